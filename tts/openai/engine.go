// Package openai is the text-to-speech backend for OpenAI-compatible
// servers: POST {BaseURL}/audio/speech with response_format "pcm", whose
// body is raw 24 kHz s16le mono streamed as it is synthesized (OpenAI,
// Kokoro-FastAPI, speaches, …). Chunks carry no word marks.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/internal/oaihttp"
	"github.com/duplex-ai/duplex/tts"
)

// Engine is a tts.Engine for an OpenAI-compatible /audio/speech endpoint,
// safe for concurrent use.
type Engine struct {
	opt      Options
	endpoint string
	client   *http.Client
	own      *http.Transport // the default client's transport, closed by Close

	mu     sync.Mutex
	closed bool
}

var _ tts.Engine = (*Engine)(nil)

// New returns an Engine; it does not contact the server. Errors wrap
// ErrInvalidOption.
func New(opt Options) (*Engine, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Engine{opt: opt, endpoint: strings.TrimRight(opt.BaseURL, "/") + "/audio/speech", client: opt.HTTPClient}
	if e.client == nil {
		e.own = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: opt.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   opt.ConnectTimeout,
			ForceAttemptHTTP2:     true,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
		e.client = &http.Client{Transport: e.own}
	}
	return e, nil
}

// Name returns "openai:" and the model, e.g. "openai:tts-1".
func (e *Engine) Name() string { return "openai:" + e.opt.Model }

// Close makes later Synthesize calls fail with ErrClosed and closes the
// default client's idle connections. Streams already returned keep working
// until their own Close.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	if e.own != nil {
		e.own.CloseIdleConnections()
	}
	return nil
}

type speechRequest struct {
	Model          string `json:"model"`
	Input          string `json:"input"`
	Voice          string `json:"voice"`
	ResponseFormat string `json:"response_format"`
}

// maxErrorBody bounds the error body read for its message.
// Synthesize sends the request and returns once the response headers have
// arrived; the audio then streams through Next. opt.Voice overrides the
// default voice; opt.Language is not sent (the voices are multilingual).
// Errors: ErrEmptyText, ErrClosed, *APIError (ErrUnauthorized,
// ErrRateLimited, ErrServer, ErrStatus), ErrBadResponse,
// ErrFirstByteTimeout, ErrTimeout, the context's error, or the transport's.
func (e *Engine) Synthesize(ctx context.Context, text string, opt tts.Options) (tts.Stream, error) {
	if strings.TrimSpace(text) == "" {
		return nil, ErrEmptyText
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	voice := opt.Voice
	if voice == "" {
		voice = e.opt.Voice
	}
	body, err := json.Marshal(speechRequest{Model: e.opt.Model, Input: text, Voice: voice, ResponseFormat: "pcm"})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}

	s := &stream{}
	tctx, cancelTotal := context.WithTimeoutCause(ctx, e.opt.Timeout, ErrTimeout)
	s.ctx, s.cancel = context.WithCancelCause(tctx)
	s.cancelTotal = cancelTotal
	s.firstByte = time.AfterFunc(e.opt.FirstByteTimeout, func() { s.cancel(ErrFirstByteTimeout) })

	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, e.endpoint, bytes.NewReader(body))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "audio/pcm, application/octet-stream, */*")
	oaihttp.Authorize(req, e.opt.APIKey)
	resp, err := e.client.Do(req)
	if err != nil {
		err = s.stopErr(err)
		s.Close()
		return nil, err
	}
	s.body = resp.Body
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := oaihttp.ReadAPIError(req, resp)
		s.Close()
		return nil, apiErr
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" || strings.HasPrefix(mt, "text/") {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		s.Close()
		return nil, fmt.Errorf("%w: HTTP %d with %s body, not PCM: %q", ErrBadResponse, resp.StatusCode, mt, msg)
	}
	return s, nil
}
