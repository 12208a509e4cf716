// Package events defines the JSON messages exchanged on a call's "events"
// data channel. Every message is one JSON object with a "type" field.
// docs/protocol.md is the reference for clients.
package events

// Server → client event types.
const (
	TypeSessionReady      = "session.ready"
	TypeState             = "state"
	TypeTranscriptPartial = "transcript.partial"
	TypeTranscriptFinal   = "transcript.final"
	TypeReplyDelta        = "reply.delta"
	TypeReplyDone         = "reply.done"
	TypeReplyInterrupted  = "reply.interrupted"
	TypeTurnMetrics       = "turn.metrics"
	TypeError             = "error"
	// TypeSessionEnding: the server is shutting down; the call ends once
	// the reply in progress is over, or after DeadlineMS.
	TypeSessionEnding = "session.ending"
	// TypeToolStarted and TypeToolDone show a tool call running.
	TypeToolStarted = "tool.started"
	TypeToolDone    = "tool.done"
)

// Client → server command types.
const (
	TypeInputText      = "input.text"
	TypeResponseCancel = "response.cancel"
	TypeSessionUpdate  = "session.update"
	// TypeInputAudioStart and TypeInputAudioStop bracket push-to-talk: the
	// audio between them is one user turn, whatever the VAD says.
	TypeInputAudioStart = "input.audio.start"
	TypeInputAudioStop  = "input.audio.stop"
)

// Assistant states carried by a "state" event.
const (
	StateListening    = "listening"
	StateUserSpeaking = "user_speaking"
	StateThinking     = "thinking"
	StateSpeaking     = "speaking"
)

// Conversation modes.
const (
	ModeFullDuplex = "full_duplex"
	ModeHalfDuplex = "half_duplex"
)

// Error codes carried by an "error" event.
const (
	CodeBadMessage    = "bad_message"
	CodeUnknownType   = "unknown_type"
	CodeTooLarge      = "too_large"
	CodeBackendFailed = "backend_failed"
	CodeUnsupported   = "unsupported"
	CodeRateLimited   = "rate_limited"
)

// Event is one server → client message. Only the fields that belong to the
// event's type are set; the rest are omitted from the JSON.
type Event struct {
	Type string `json:"type"`

	// session.ready
	CallID   string            `json:"call_id,omitempty"`
	Mode     string            `json:"mode,omitempty"`
	Pipeline string            `json:"pipeline,omitempty"`
	Engines  map[string]string `json:"engines,omitempty"`

	// state
	State string `json:"state,omitempty"`

	// transcript.*, reply.*, turn.metrics
	TurnID int    `json:"turn_id,omitempty"`
	Text   string `json:"text,omitempty"`
	// transcript.final of speech: whether the recogniser took Text as a
	// request it knows (false: Text is only what it heard). Absent for
	// typed input.
	Understood *bool `json:"understood,omitempty"`
	// reply.interrupted: the part of the reply the user actually heard.
	Heard string `json:"heard,omitempty"`
	// transcript.final: the call ended before the user's turn did; Text
	// is what the recogniser had.
	Partial bool         `json:"partial,omitempty"`
	Metrics *TurnMetrics `json:"metrics,omitempty"`

	// session.ending; reply.interrupted when the end of the call cut the
	// reply (the call's close reason)
	Reason     string  `json:"reason,omitempty"`
	DeadlineMS float64 `json:"deadline_ms,omitempty"`

	// tool.started, tool.done: the tool call's id and the tool's name;
	// tool.done: how long it ran and, if it failed, why.
	ToolCallID string  `json:"tool_call_id,omitempty"`
	Tool       string  `json:"tool,omitempty"`
	DurationMS float64 `json:"duration_ms,omitempty"`
	ToolError  string  `json:"error,omitempty"`

	// error
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// TurnMetrics is the latency breakdown of one turn, in milliseconds.
// LatencyMS runs from the detected end of the user's speech to the first
// reply audio frame sent.
type TurnMetrics struct {
	LatencyMS        float64 `json:"latency_ms"`
	EndpointMS       float64 `json:"endpoint_ms,omitempty"`
	EndpointWaitedMS float64 `json:"endpoint_waited_ms,omitempty"`
	EndpointEarlyMS  float64 `json:"endpoint_early_ms,omitempty"`
	STTMS            float64 `json:"stt_ms,omitempty"`
	LLMFirstTokenMS  float64 `json:"llm_first_token_ms,omitempty"`
	TTSFirstAudioMS  float64 `json:"tts_first_audio_ms,omitempty"`
	SpeechDurationMS float64 `json:"speech_duration_ms,omitempty"`
	// Speculative: the turn's recognition (and its reply, when the
	// transcript came in time) began before the end of the turn committed
	// (a preemptive reply); DiscardedSpeculations: how many the user's
	// going on dropped during the turn.
	Speculative           bool `json:"speculative,omitempty"`
	DiscardedSpeculations int  `json:"discarded_speculations,omitempty"`
}
