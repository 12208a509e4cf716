package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"regexp"
	"strings"

	"github.com/duplex-ai/duplex/internal/oaihttp"
	"github.com/duplex-ai/duplex/stt"
)

// maxResponse caps the transcription answer.
const maxResponse = 1 << 20

// onlyMarkers matches transcripts made only of non-speech annotations,
// such as whisper.cpp's "[BLANK_AUDIO]" or "(silence)".
var onlyMarkers = regexp.MustCompile(`^(\s*(\[[^\]]*\]|\([^)]*\)))*\s*$`)

// stream buffers one utterance; it is used from one goroutine.
type stream struct {
	e    *Engine
	ctx  context.Context
	lang string
	max  int

	pcm      []int16
	finished bool
	closed   bool
}

// Write appends PCM; ErrTooLong beyond Options.MaxDuration.
func (s *stream) Write(pcm []int16) error {
	switch {
	case s.closed:
		return stt.ErrClosed
	case s.finished:
		return ErrFinished
	case s.ctx.Err() != nil:
		return s.ctx.Err()
	case len(s.pcm)+len(pcm) > s.max:
		return fmt.Errorf("%w: %.1f s > %v", ErrTooLong, float64(len(s.pcm)+len(pcm))/stt.SampleRate, s.e.o.MaxDuration)
	}
	s.pcm = append(s.pcm, pcm...)
	return nil
}

// Partial is always "": these servers transcribe whole files.
func (s *stream) Partial() string { return "" }

// Finish uploads the utterance and returns the transcript. Both ctx and
// the stream's context bound it; the caller's cancellation is returned as
// that context's error.
func (s *stream) Finish(ctx context.Context) (stt.Result, error) {
	switch {
	case s.closed:
		return stt.Result{}, stt.ErrClosed
	case s.finished:
		return stt.Result{}, ErrFinished
	}
	s.finished = true
	pcm := s.pcm
	s.pcm = nil
	if err := s.ctx.Err(); err != nil {
		return stt.Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return stt.Result{}, err
	}
	if len(pcm) == 0 || len(pcm) < int(s.e.o.MinDuration.Seconds()*stt.SampleRate) {
		return stt.Result{Confidence: -1}, nil
	}

	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(s.ctx, func() { cancel(s.ctx.Err()) })
	defer stop()

	text, err := s.e.transcribe(rctx, pcm, s.lang)
	if err != nil {
		switch {
		case s.ctx.Err() != nil:
			return stt.Result{}, s.ctx.Err()
		case ctx.Err() != nil:
			return stt.Result{}, ctx.Err()
		}
		return stt.Result{}, err
	}
	return stt.Result{Text: text, Confidence: -1}, nil
}

// Close releases the buffer; safe after Finish and twice.
func (s *stream) Close() error {
	s.closed = true
	s.pcm = nil
	return nil
}

// transcribe posts one WAV file and returns the trimmed text.
func (e *Engine) transcribe(ctx context.Context, pcm []int16, lang string) (string, error) {
	var body bytes.Buffer
	body.Grow(wavHeaderSize + 2*len(pcm) + 1024)
	mw := multipart.NewWriter(&body)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="file"; filename="audio.wav"`)
	h.Set("Content-Type", "audio/wav")
	part, err := mw.CreatePart(h)
	if err != nil {
		return "", fmt.Errorf("stt/openai: %w", err)
	}
	if err := writeWAV(part, pcm, stt.SampleRate); err != nil {
		return "", fmt.Errorf("stt/openai: %w", err)
	}
	fields := [][2]string{{"model", e.o.Model}, {"response_format", "json"}}
	if lang != "" {
		fields = append(fields, [2]string{"language", lang})
	}
	if e.o.Prompt != "" {
		fields = append(fields, [2]string{"prompt", e.o.Prompt})
	}
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return "", fmt.Errorf("stt/openai: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return "", fmt.Errorf("stt/openai: %w", err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.endpoint, bytes.NewReader(body.Bytes()))
	if err != nil {
		return "", fmt.Errorf("stt/openai: %w", err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	oaihttp.Authorize(req, e.o.APIKey)
	resp, err := oaihttp.Do(ctx, e.o.HTTPClient, req, oaihttp.Timeouts{
		FirstByte: e.o.FirstByteTimeout,
		Idle:      e.o.IdleTimeout,
		Total:     e.o.Timeout,
	})
	if err != nil {
		return "", fmt.Errorf("stt/openai: %w", err)
	}
	defer resp.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", fmt.Errorf("stt/openai: reading the transcription: %w", err)
	}
	text, err := parseTranscript(resp.Header.Get("Content-Type"), b)
	if err != nil {
		return "", err
	}
	if onlyMarkers.MatchString(text) {
		return "", nil
	}
	return text, nil
}

// parseTranscript reads {"text": …} (response_format json); a text/plain
// answer that is not that JSON (servers that ignore response_format) is
// the transcript itself.
func parseTranscript(contentType string, b []byte) (string, error) {
	var v struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(b, &v); err == nil && v.Text != nil {
		return strings.TrimSpace(*v.Text), nil
	}
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "text/plain" {
		return strings.TrimSpace(string(b)), nil
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return "", fmt.Errorf("%w: %q", ErrBadResponse, s)
}
