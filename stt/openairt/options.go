package openairt

import (
	"errors"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/clock"
)

// Defaults for Options.
const (
	DefaultURL   = "wss://api.openai.com/v1/realtime"
	DefaultModel = "gpt-4o-transcribe"
	// DefaultTimeout bounds a connect and the wait for a transcript after
	// the commit.
	DefaultTimeout = 15 * time.Second
	// DefaultMinDuration: the service rejects a commit of less than 100 ms
	// (input_audio_buffer_commit_empty); shorter turns transcribe as "".
	DefaultMinDuration = 100 * time.Millisecond
	// DefaultMaxDuration is the 30 s utterance cap plus 2 s of margin.
	DefaultMaxDuration = 32 * time.Second
)

var (
	// ErrInvalidOption: an Options value cannot be used.
	ErrInvalidOption = errors.New("stt/openairt: invalid option")
	// ErrServer: the server answered the turn with an error event or a
	// failed transcription.
	ErrServer = errors.New("stt/openairt: server error")
	// ErrLost: the socket went away before the transcript came; the next
	// turn connects again.
	ErrLost = errors.New("stt/openairt: connection lost")
	// ErrTimeout: no transcript within Options.Timeout of the commit, or no
	// connection within it.
	ErrTimeout = errors.New("stt/openairt: timed out")
	// ErrTooLong: the utterance exceeds Options.MaxDuration.
	ErrTooLong = errors.New("stt/openairt: utterance longer than the maximum duration")
	// ErrFinished: Write or Finish after Finish.
	ErrFinished = errors.New("stt/openairt: stream already finished")
)

// Options configure an Engine. The zero value talks to OpenAI with
// gpt-4o-transcribe (and needs APIKey).
type Options struct {
	// URL is the Realtime endpoint (ws, wss, http or https); the engine
	// adds ?intent=transcription. Default wss://api.openai.com/v1/realtime.
	URL    string
	APIKey string
	// Model transcribes (session.audio.input.transcription.model).
	Model string
	// Language (BCP-47; its ISO-639-1 part is sent) and Prompt are
	// transcription hints; StreamOptions.Language overrides Language.
	Language, Prompt string
	// Timeout bounds a connect and the wait for a transcript after the
	// commit; default 15 s.
	Timeout time.Duration
	// MinDuration: a turn with less audio is not committed and transcribes
	// as ""; default 100 ms (the service's minimum).
	MinDuration time.Duration
	// MaxDuration caps one turn; default 32 s.
	MaxDuration time.Duration
	// Clock runs the timeouts; nil is the wall clock.
	Clock      clock.Clock
	HTTPClient *http.Client
	Log        zerolog.Logger
}

func (o *Options) setDefaults() {
	if o.URL == "" {
		o.URL = DefaultURL
	}
	if o.Model == "" {
		o.Model = DefaultModel
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MinDuration == 0 {
		o.MinDuration = DefaultMinDuration
	}
	if o.MaxDuration == 0 {
		o.MaxDuration = DefaultMaxDuration
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
}
