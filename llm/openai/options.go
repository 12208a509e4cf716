package openai

import (
	"net/http"
	"time"

	"github.com/duplex-ai/duplex/internal/oaihttp"
)

// Defaults for Options.
const (
	DefaultBaseURL          = "https://api.openai.com/v1"
	DefaultModel            = "gpt-4o-mini"
	DefaultFirstByteTimeout = 10 * time.Second
	DefaultTimeout          = 120 * time.Second
	DefaultIdleTimeout      = 30 * time.Second
	// DefaultInterruptedMarker is appended to an assistant turn the user
	// cut short, so the model knows the rest was never heard.
	DefaultInterruptedMarker = " [interrupted by the user]"
	// DefaultSystemPrompt suits a spoken conversation.
	DefaultSystemPrompt = "You are a helpful voice assistant in a live spoken conversation. " +
		"Answer briefly, in one to three plain spoken sentences, unless the user asks for more. " +
		"Do not use markdown, lists, emoji, code blocks or URLs; write numbers and symbols the way they are said. " +
		"When an image from the user's camera is attached, it shows what the user is looking at now. " +
		"If your previous reply is marked as interrupted, the user only heard the part shown."
)

// Options configure an Engine. The zero value talks to OpenAI with
// gpt-4o-mini (and needs APIKey).
type Options struct {
	// BaseURL is the API root, e.g. "https://api.openai.com/v1" (default)
	// or Ollama's "http://localhost:11434/v1", llama.cpp server's
	// "http://localhost:8080/v1", vLLM's "http://localhost:8000/v1".
	BaseURL string
	// APIKey is sent as "Authorization: Bearer …"; empty sends no header.
	APIKey string
	// Model is the model name; default "gpt-4o-mini".
	Model string
	// SystemPrompt is used when a Request has no System; default
	// DefaultSystemPrompt.
	SystemPrompt string
	// Temperature is sent when non-nil; nil leaves the server's default.
	Temperature *float64
	// MaxTokens is sent as max_tokens when > 0.
	MaxTokens int
	// HTTPClient sends the requests; default http.DefaultClient. Leave its
	// Timeout zero: the timeouts below bound streams properly.
	HTTPClient *http.Client
	// FirstByteTimeout bounds connecting, sending and the wait for the
	// first byte of the answer; default 10 s, negative disables.
	FirstByteTimeout time.Duration
	// IdleTimeout bounds each wait for more of the stream once it has
	// started; default 30 s, negative disables.
	IdleTimeout time.Duration
	// Timeout bounds the whole request, stream included; default 120 s,
	// negative disables.
	Timeout time.Duration
	// InterruptedMarker is appended to interrupted assistant turns; default
	// DefaultInterruptedMarker. Set NoMarker to send them unmarked.
	InterruptedMarker string
}

// NoMarker, as Options.InterruptedMarker, sends interrupted assistant turns
// without a marker.
const NoMarker = "-"

func (o *Options) setDefaults() {
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	if o.Model == "" {
		o.Model = DefaultModel
	}
	if o.SystemPrompt == "" {
		o.SystemPrompt = DefaultSystemPrompt
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	o.FirstByteTimeout = oaihttp.OrDefault(o.FirstByteTimeout, DefaultFirstByteTimeout)
	o.IdleTimeout = oaihttp.OrDefault(o.IdleTimeout, DefaultIdleTimeout)
	o.Timeout = oaihttp.OrDefault(o.Timeout, DefaultTimeout)
	switch o.InterruptedMarker {
	case "":
		o.InterruptedMarker = DefaultInterruptedMarker
	case NoMarker:
		o.InterruptedMarker = ""
	}
}
