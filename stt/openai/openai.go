// Package openai is an stt.Engine for OpenAI-compatible transcription
// servers (POST {base}/audio/transcriptions, multipart/form-data): OpenAI
// whisper-1, Groq, speaches / faster-whisper-server, whisper.cpp server.
//
// These servers transcribe whole files, so a Stream buffers the
// utterance's PCM and Finish uploads it as a WAV file; Partial is always
// "". Confidence is -1 (the JSON format reports none).
package openai

import (
	"context"
	"fmt"
	"strings"

	"github.com/duplex-ai/duplex/internal/oaihttp"
	"github.com/duplex-ai/duplex/stt"
)

// Engine hands out one Stream per utterance; safe for concurrent use.
type Engine struct {
	o        Options
	endpoint string
}

var _ stt.Engine = (*Engine)(nil)

// New checks the options and returns an Engine. It does not contact the
// server.
func New(o Options) (*Engine, error) {
	o.setDefaults()
	ep, err := oaihttp.Endpoint(o.BaseURL, "audio/transcriptions")
	if err != nil {
		return nil, fmt.Errorf("stt/openai: %w", err)
	}
	if o.MaxDuration < 0 {
		return nil, fmt.Errorf("stt/openai: %w: MaxDuration %v", ErrInvalidOption, o.MaxDuration)
	}
	return &Engine{o: o, endpoint: ep}, nil
}

// Name is "openai:" and the model, e.g. "openai:whisper-1".
func (e *Engine) Name() string { return "openai:" + e.o.Model }

// NewStream starts buffering one utterance. ctx bounds the utterance: once
// it is cancelled, Write and Finish fail with its error and a Finish in
// flight is abandoned.
func (e *Engine) NewStream(ctx context.Context, opt stt.StreamOptions) (stt.Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lang := opt.Language
	if lang == "" {
		lang = e.o.Language
	}
	return &stream{
		e:    e,
		ctx:  ctx,
		lang: isoLanguage(lang),
		max:  int(e.o.MaxDuration.Seconds() * stt.SampleRate),
		pcm:  make([]int16, 0, 4*stt.SampleRate),
	}, nil
}

// isoLanguage turns a BCP-47 tag ("en-US", "zh_Hans") into the ISO-639
// code the API takes ("en", "zh").
func isoLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return strings.ToLower(tag)
}
