package openai

import (
	"net/http"
	"time"

	"github.com/duplex-ai/duplex/internal/oaihttp"
)

// Defaults for Options.
const (
	DefaultBaseURL = "https://api.openai.com/v1"
	DefaultModel   = "whisper-1"
	// DefaultMaxDuration is the 30 s utterance cap plus 2 s of margin for
	// the pre-roll and the end-of-turn silence.
	DefaultMaxDuration = 32 * time.Second
	// DefaultMinDuration: shorter audio is not sent (OpenAI rejects audio
	// under 0.1 s) and transcribes as "".
	DefaultMinDuration = 100 * time.Millisecond
	// DefaultFirstByteTimeout covers upload and transcription, which
	// happen before the server sends anything.
	DefaultFirstByteTimeout = 30 * time.Second
	DefaultIdleTimeout      = 30 * time.Second
	DefaultTimeout          = 60 * time.Second
)

// Options configure an Engine. The zero value talks to OpenAI with
// whisper-1 (and needs APIKey). For other servers set BaseURL and Model,
// e.g. Groq "https://api.groq.com/openai/v1" with "whisper-large-v3",
// speaches "http://localhost:8000/v1" with
// "Systran/faster-whisper-small", whisper.cpp server started with
// --inference-path /v1/audio/transcriptions and BaseURL
// "http://localhost:8080/v1" (it ignores the model).
type Options struct {
	// BaseURL is the API root; default "https://api.openai.com/v1".
	BaseURL string
	// APIKey is sent as "Authorization: Bearer …"; empty sends no header.
	APIKey string
	// Model is the model name; default "whisper-1".
	Model string
	// Language is the default language hint (BCP-47, e.g. "en" or
	// "en-US"; sent as its ISO-639-1 part); StreamOptions.Language
	// overrides it. Empty lets the server detect the language.
	Language string
	// Prompt, when set, is sent as "prompt": vocabulary or style hints.
	Prompt string
	// MaxDuration caps one utterance; default 32 s. Write returns
	// ErrTooLong beyond it.
	MaxDuration time.Duration
	// MinDuration: audio shorter than this is not sent and gives an empty
	// transcript; default 100 ms, negative sends everything.
	MinDuration time.Duration
	// HTTPClient sends the requests; default http.DefaultClient. Leave its
	// Timeout zero: the timeouts below apply.
	HTTPClient *http.Client
	// FirstByteTimeout bounds connecting, uploading and transcribing, up to
	// the first byte of the answer; default 30 s, negative disables.
	FirstByteTimeout time.Duration
	// IdleTimeout bounds a stall while reading the answer; default 30 s,
	// negative disables.
	IdleTimeout time.Duration
	// Timeout bounds the whole request; default 60 s, negative disables.
	Timeout time.Duration
}

func (o *Options) setDefaults() {
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	if o.Model == "" {
		o.Model = DefaultModel
	}
	if o.MaxDuration == 0 {
		o.MaxDuration = DefaultMaxDuration
	}
	switch {
	case o.MinDuration == 0:
		o.MinDuration = DefaultMinDuration
	case o.MinDuration < 0:
		o.MinDuration = 0
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	o.FirstByteTimeout = oaihttp.OrDefault(o.FirstByteTimeout, DefaultFirstByteTimeout)
	o.IdleTimeout = oaihttp.OrDefault(o.IdleTimeout, DefaultIdleTimeout)
	o.Timeout = oaihttp.OrDefault(o.Timeout, DefaultTimeout)
}
