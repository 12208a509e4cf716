// Package openai is an llm.Engine for OpenAI-compatible chat completions
// (POST {base}/chat/completions with "stream": true): OpenAI itself and
// local servers such as Ollama, llama.cpp server, vLLM and LM Studio.
//
// The reply is read from the server-sent event stream as it arrives and
// yielded as choices[0].delta.content deltas. A camera snapshot rides on
// the last user message as an image_url content part (a JPEG data URL), so
// vision models can see it; text-only servers may reject such a request.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/duplex-ai/duplex/internal/oaihttp"
	"github.com/duplex-ai/duplex/llm"
)

// Engine streams chat completions; safe for concurrent use.
type Engine struct {
	o        Options
	endpoint string
}

var _ llm.Engine = (*Engine)(nil)

// New checks the options and returns an Engine. It does not contact the
// server.
func New(o Options) (*Engine, error) {
	o.setDefaults()
	ep, err := oaihttp.Endpoint(o.BaseURL, "chat/completions")
	if err != nil {
		return nil, fmt.Errorf("openai: %w", err)
	}
	if o.MaxTokens < 0 {
		return nil, fmt.Errorf("openai: %w: MaxTokens %d", ErrInvalidOption, o.MaxTokens)
	}
	return &Engine{o: o, endpoint: ep}, nil
}

// Name is "openai:" and the model, e.g. "openai:gpt-4o-mini".
func (e *Engine) Name() string { return "openai:" + e.o.Model }

// Stream sends the request and returns once the server has accepted it
// (2xx headers); the reply then arrives through Next. A non-2xx answer is
// returned here as an *APIError.
func (e *Engine) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	msgs, err := buildMessages(req, e.o.SystemPrompt, e.o.InterruptedMarker)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(chatRequest{
		Model:       e.o.Model,
		Stream:      true,
		Messages:    msgs,
		Temperature: e.o.Temperature,
		MaxTokens:   e.o.MaxTokens,
		Tools:       buildTools(req.Tools),
	})
	if err != nil {
		return nil, fmt.Errorf("openai: encoding the request: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, e.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("openai: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "text/event-stream")
	oaihttp.Authorize(hreq, e.o.APIKey)
	resp, err := oaihttp.Do(ctx, e.o.HTTPClient, hreq, oaihttp.Timeouts{
		FirstByte: e.o.FirstByteTimeout,
		Idle:      e.o.IdleTimeout,
		Total:     e.o.Timeout,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err // the caller's own cancellation, unwrapped
		}
		return nil, fmt.Errorf("openai chat: %w", err)
	}
	return newStream(ctx, resp), nil
}
