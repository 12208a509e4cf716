package dialogue

import (
	"github.com/duplex-ai/duplex/tools"
	"time"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/tts"
	"github.com/duplex-ai/duplex/vad"
)

// Options configures the Assistant pipeline. Zero values take the
// documented defaults.
type Options struct {
	// Brain produces the replies. Nil means the cascade of STT, LLM and
	// TTS below (then all three are required and the timeouts, voice and
	// reply cap apply to it).
	Brain brain.Brain
	STT   stt.Engine
	LLM   llm.Engine
	TTS   tts.Engine
	// NewDetector returns a fresh turn detector for one call. Required.
	// A Detector that is also a Hinter gets the partial's hint.
	NewDetector func() Detector
	// FixedSilence is the fixed end-of-turn silence an adaptive
	// detector's wait is compared with for turn.metrics' endpoint split
	// (early or waited); default vad.DefaultMinSilence.
	FixedSilence time.Duration

	// PreemptAt is the share of the end-of-turn wait after which a reply
	// is prepared before the turn commits (preemptive replies; needs a
	// Tentative detector and a brain.Speculator brain); default
	// DefaultPreemptAt, negative: off.
	PreemptAt float64

	// Mode is pipeline.ModeFullDuplex (default) or pipeline.ModeHalfDuplex.
	Mode pipeline.Mode
	// MinInterruption is how long the user must speak over the assistant
	// before it pauses (full duplex); default 120 ms, measured from the
	// speech onset.
	MinInterruption time.Duration
	// FalseInterruptionTimeout: a pause that produced no words after this
	// long resumes the reply; default 1.5 s. It counts from the pause when
	// the brain's streams have live partials, else from the end of the
	// user's speech (never resumed while the caller still speaks).
	FalseInterruptionTimeout time.Duration
	// EchoCancel says when the echo gate (internal/echogate) discounts the
	// assistant's own voice in the caller's audio before turn detection:
	// EchoAuto (default) in full duplex, where speech over the assistant
	// interrupts it; EchoOn always; EchoOff never.
	EchoCancel EchoMode
	// NoResume disables resuming after a false interruption or a
	// backchannel: every onset over the assistant then ends the reply.
	NoResume bool
	// Memory is how far back history reaches; default 5 min.
	Memory time.Duration
	// MaxHistory caps the messages kept; default 60.
	MaxHistory int
	// MaxReplyChars caps one reply's text; default 4000.
	MaxReplyChars int
	// FirstPieceMinChars: a first sentence at least this wide goes to TTS
	// on its own (tts.ChunkerOptions.FirstMinChars); 0 keeps MinChars. For
	// a TTS server, whose first-audio delay starts only with the request.
	FirstPieceMinChars int
	// FirstPieceWords, when positive, lets the first piece go to TTS after
	// that many whole words, before its sentence ends
	// (tts.ChunkerOptions.FirstWords); 0 keeps whole sentences.
	FirstPieceWords int
	// STTTimeout bounds the final transcript after end of speech; default 10 s.
	STTTimeout time.Duration
	// LLMTimeout bounds the wait for the first token; default 15 s.
	LLMTimeout time.Duration
	// TTSTimeout bounds the wait for one piece's first audio; default 10 s.
	TTSTimeout time.Duration
	// Tools, when set, are offered to the LLM and run exactly once per
	// call id (see Cascade.Tools); ToolTimeout bounds one call (default
	// tools.DefaultTimeout).
	Tools       *tools.Registry
	ToolTimeout time.Duration
	// Voice and Language go to TTS (and Language to STT and LLM).
	Voice    string
	Language string
	// SystemPrompt is passed to the LLM; empty uses the backend's default.
	SystemPrompt string
	// Clock times turns, timeouts and the false-interruption wait; default
	// the call's clock (pipeline.IO.Clock), else the wall clock.
	Clock clock.Clock
	// Metrics receives per-turn figures; nil records nothing.
	Metrics *Metrics
	// ImageMaxWidth×ImageMaxHeight bound the camera picture given to the
	// LLM (aspect kept); default 1200×800.
	ImageMaxWidth, ImageMaxHeight int
	// JPEGQuality of that picture; default 80.
	JPEGQuality int
	// SnapshotWait bounds the wait for a fresh key frame when the picture
	// held is older than the turn; default 300 ms (then the older one is used).
	SnapshotWait time.Duration
}

func (o *Options) setDefaults() {
	if o.PreemptAt == 0 {
		o.PreemptAt = DefaultPreemptAt
	}
	if o.Mode == "" {
		o.Mode = pipeline.ModeFullDuplex
	}
	if o.EchoCancel == "" {
		o.EchoCancel = EchoAuto
	}
	if o.MinInterruption <= 0 {
		o.MinInterruption = 120 * time.Millisecond
	}
	if o.FalseInterruptionTimeout <= 0 {
		o.FalseInterruptionTimeout = 1500 * time.Millisecond
	}
	if o.Memory <= 0 {
		o.Memory = 5 * time.Minute
	}
	if o.MaxHistory <= 0 {
		o.MaxHistory = 60
	}
	if o.MaxReplyChars <= 0 {
		o.MaxReplyChars = 4000
	}
	if o.STTTimeout <= 0 {
		o.STTTimeout = 10 * time.Second
	}
	if o.LLMTimeout <= 0 {
		o.LLMTimeout = 15 * time.Second
	}
	if o.TTSTimeout <= 0 {
		o.TTSTimeout = 10 * time.Second
	}
	if o.ImageMaxWidth <= 0 || o.ImageMaxHeight <= 0 {
		o.ImageMaxWidth, o.ImageMaxHeight = 1200, 800
	}
	if o.JPEGQuality <= 0 || o.JPEGQuality > 100 {
		o.JPEGQuality = 80
	}
	if o.SnapshotWait <= 0 {
		o.SnapshotWait = 300 * time.Millisecond
	}
}

// Detector is the per-call voice activity and turn detector.
type Detector interface {
	// Push classifies one 20 ms frame of 16 kHz PCM at media time at and
	// returns the turn starts and ends it caused, in order (usually none).
	// Times are media times of the caller's audio, not wall clock.
	Push(pcm []int16, at time.Duration) []vad.Event
	// PreRoll returns the audio from shortly before the onset up to the
	// current frame (valid right after SpeechStarted), for STT.
	PreRoll() []int16
	// Reset forgets any speech in progress.
	Reset()
}

// Tunable is a Detector a client may tune per call (OpenAI Realtime's
// server_vad parameters); it forgets any speech in progress.
type Tunable interface {
	Tune(pipeline.TurnSettings) error
}

// EchoMode is when the echo gate runs (Options.EchoCancel).
type EchoMode string

// The echo gate's modes.
const (
	EchoAuto EchoMode = "auto"
	EchoOn   EchoMode = "on"
	EchoOff  EchoMode = "off"
)
