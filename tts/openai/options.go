package openai

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Options configures an Engine. Zero values take the defaults.
type Options struct {
	// BaseURL is the API root, e.g. "https://api.openai.com/v1" or a local
	// server's "http://127.0.0.1:8880/v1"; requests go to BaseURL +
	// "/audio/speech". Required.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer …" when set.
	APIKey string
	// Model is the TTS model. Default "tts-1".
	Model string
	// Voice is the default voice when tts.Options.Voice is empty. Default
	// "alloy".
	Voice string
	// HTTPClient sends the requests. Default: a client of its own whose
	// dialer and TLS handshake time out after ConnectTimeout. Its own
	// Timeout, if any, also bounds the whole stream.
	HTTPClient *http.Client
	// ConnectTimeout bounds dial + TLS handshake of the default client.
	// Default 5 s.
	ConnectTimeout time.Duration
	// FirstByteTimeout bounds the time from the request to the first audio
	// byte (connect, headers, first body byte). Default 5 s.
	FirstByteTimeout time.Duration
	// Timeout bounds the whole synthesis, request to last byte. Default 60 s.
	Timeout time.Duration
}

const (
	defaultModel            = "tts-1"
	defaultVoice            = "alloy"
	defaultConnectTimeout   = 5 * time.Second
	defaultFirstByteTimeout = 5 * time.Second
	defaultTimeout          = 60 * time.Second

	// SampleRate of response_format "pcm": 24 kHz s16le mono.
	SampleRate = 24000
)

func (o Options) withDefaults() (Options, error) {
	u, err := url.Parse(o.BaseURL)
	if o.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return o, fmt.Errorf("%w: BaseURL %q (want http(s)://host/v1)", ErrInvalidOption, o.BaseURL)
	}
	if o.Model == "" {
		o.Model = defaultModel
	}
	if o.Voice == "" {
		o.Voice = defaultVoice
	}
	for _, d := range []*time.Duration{&o.ConnectTimeout, &o.FirstByteTimeout, &o.Timeout} {
		if *d < 0 {
			return o, fmt.Errorf("%w: negative timeout %v", ErrInvalidOption, *d)
		}
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = defaultConnectTimeout
	}
	if o.FirstByteTimeout == 0 {
		o.FirstByteTimeout = defaultFirstByteTimeout
	}
	if o.Timeout == 0 {
		o.Timeout = defaultTimeout
	}
	return o, nil
}
