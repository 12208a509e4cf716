package pipeline

// State is what the assistant is doing.
type State string

// Assistant states.
const (
	StateListening    State = "listening"
	StateUserSpeaking State = "user_speaking"
	StateThinking     State = "thinking"
	StateSpeaking     State = "speaking"
)

// Mode is the conversation mode.
type Mode string

// Conversation modes.
const (
	// ModeFullDuplex: the user can barge in on the assistant.
	ModeFullDuplex Mode = "full_duplex"
	// ModeHalfDuplex: speech over the assistant is ignored (walkie-talkie).
	ModeHalfDuplex Mode = "half_duplex"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == ModeFullDuplex || m == ModeHalfDuplex }

// ErrorCode classifies an Error event.
type ErrorCode string

// Error codes.
const (
	CodeBadMessage    ErrorCode = "bad_message"
	CodeUnknownType   ErrorCode = "unknown_type"
	CodeTooLarge      ErrorCode = "too_large"
	CodeBackendFailed ErrorCode = "backend_failed"
	CodeUnsupported   ErrorCode = "unsupported"
	CodeRateLimited   ErrorCode = "rate_limited"
)

// Event is one thing that happened on a call, as a pipeline or the session
// reports it. The concrete types below are all there is; a Protocol turns
// them into its wire messages.
type Event interface{ event() }

// Ready: the call is set up (or its mode changed).
type Ready struct {
	CallID   string
	Mode     Mode
	Pipeline string
	Engines  map[string]string
}

// ModeChanged: the client switched the conversation mode. The session
// answers with Ready.
type ModeChanged struct{ Mode Mode }

// StateChanged: the assistant's state changed. TurnID is the latest turn
// (0 before the first).
type StateChanged struct {
	State  State
	TurnID int
}

// TranscriptPartial is an interim transcript of what the user is saying.
type TranscriptPartial struct {
	TurnID int
	Text   string
}

// TranscriptFinal is what the user said in a turn. Partial: the call
// ended while the user was speaking; Text is what the recogniser had.
type TranscriptFinal struct {
	// Understood (speech only; nil for typed input): whether the
	// recogniser took Text as a request it knows; false: Text is only
	// what it heard.
	Understood *bool
	TurnID     int
	Text       string
	Partial    bool
}

// NothingHeard: a turn the client committed (CmdInputAudioCommit) was
// heard as no words, or not at all; no TranscriptFinal follows for it.
type NothingHeard struct{}

// ReplyDelta is the next piece of the reply's text.
type ReplyDelta struct {
	TurnID int
	Text   string
}

// ReplyDone: the reply was produced and played in full.
type ReplyDone struct {
	TurnID int
	Text   string
	// ToolCalls are the ids of the tool calls whose results the reply used
	// (now heard by the user).
	ToolCalls []string
}

// ReplyInterrupted: the reply was cut off; Heard is the part the user
// heard, Text all that was planned so far. Reason is empty for a barge-in
// or a cancel, else the close reason of the call that cut it (Ended).
type ReplyInterrupted struct {
	TurnID int
	Text   string
	Heard  string
	// PlayedMS is how much of the reply's audio was played out.
	PlayedMS float64
	Reason   string
	// ToolCalls are the ids of the tool calls whose results the reply used
	// (not heard in full: carried into the next turn).
	ToolCalls []string
}

// Reply is a codec's answer to a client message (Command.Reply), routed
// through the call's event tap so it goes out in order with the rest;
// only the codec that made it encodes it.
type Reply struct{ Payload any }

// Metrics is the latency breakdown of one turn, in milliseconds. LatencyMS
// runs from the detected end of the user's speech to the first reply audio
// frame sent.
type Metrics struct {
	LatencyMS  float64
	EndpointMS float64
	// With adaptive endpointing (else 0), EndpointMS again, split by how
	// the end was decided: after at least the fixed silence (waited), or
	// before it (early: the words and contour said the turn had ended).
	EndpointWaitedMS float64
	EndpointEarlyMS  float64
	STTMS            float64
	LLMFirstTokenMS  float64
	TTSFirstAudioMS  float64
	SpeechDurationMS float64
	// Speculative: the turn's recognition, and its reply when the
	// transcript came in time, began before the turn committed (a
	// preemptive reply, released only at the commit).
	Speculative bool
	// DiscardedSpeculations counts the replies prepared during this turn's
	// pauses and dropped because the user went on.
	DiscardedSpeculations int
}

// TurnMetrics reports a turn's latency once its first audio is sent.
type TurnMetrics struct {
	TurnID  int
	Metrics Metrics
}

// Error reports a failure the client should know about.
type Error struct {
	Code    ErrorCode
	Message string
}

// Error implements error, so a Protocol can return one from Decode.
func (e Error) Error() string { return string(e.Code) + ": " + e.Message }

// Ending: the server is shutting down; the call ends once the reply in
// progress is over, or after DeadlineMS (0: no deadline).
type Ending struct {
	Reason     string
	DeadlineMS float64
}

// ToolStarted: the brain called a tool; CallID is the call's id (the
// model's tool_call id), Name the tool's.
type ToolStarted struct {
	TurnID int
	CallID string
	Name   string
	// Arguments is the call's JSON arguments (for protocols that carry
	// them, e.g. a Realtime function_call item; the events protocol does
	// not).
	Arguments string
}

// ToolDone: a tool call ended; Error is empty when it succeeded. A call
// ends once even when the reply that asked for it was cut off.
type ToolDone struct {
	TurnID     int
	CallID     string
	Name       string
	Error      string
	DurationMS float64
	// Result is the bounded result given to the model (for a Realtime
	// function_call_output; the events protocol does not carry it).
	Result string
	// Cancelled: the call never ran (the user did not confirm it); Error
	// says why. Not a failure: no error event follows.
	Cancelled bool
}

func (Ready) event()             {}
func (ModeChanged) event()       {}
func (StateChanged) event()      {}
func (NothingHeard) event()      {}
func (TranscriptPartial) event() {}
func (TranscriptFinal) event()   {}
func (ReplyDelta) event()        {}
func (ReplyDone) event()         {}
func (ReplyInterrupted) event()  {}
func (TurnMetrics) event()       {}
func (Error) event()             {}
func (Ending) event()            {}
func (Reply) event()             {}
func (ToolStarted) event()       {}
func (ToolDone) event()          {}
