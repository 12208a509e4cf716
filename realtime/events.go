package realtime

// Client event types (client → server).
const (
	TypeSessionUpdate            = "session.update"
	TypeInputAudioBufferAppend   = "input_audio_buffer.append"
	TypeInputAudioBufferCommit   = "input_audio_buffer.commit"
	TypeInputAudioBufferClear    = "input_audio_buffer.clear"
	TypeConversationItemCreate   = "conversation.item.create"
	TypeConversationItemRetrieve = "conversation.item.retrieve"
	TypeConversationItemTruncate = "conversation.item.truncate"
	TypeConversationItemDelete   = "conversation.item.delete"
	TypeResponseCreate           = "response.create"
	TypeResponseCancel           = "response.cancel"
	TypeOutputAudioBufferClear   = "output_audio_buffer.clear"
)

// Server event types (server → client).
const (
	TypeError                              = "error"
	TypeSessionCreated                     = "session.created"
	TypeSessionUpdated                     = "session.updated"
	TypeInputAudioBufferSpeechStarted      = "input_audio_buffer.speech_started"
	TypeInputAudioBufferSpeechStopped      = "input_audio_buffer.speech_stopped"
	TypeInputAudioBufferCommitted          = "input_audio_buffer.committed"
	TypeInputAudioBufferCleared            = "input_audio_buffer.cleared"
	TypeConversationItemAdded              = "conversation.item.added"
	TypeConversationItemDone               = "conversation.item.done"
	TypeConversationItemRetrieved          = "conversation.item.retrieved"
	TypeConversationItemTruncated          = "conversation.item.truncated"
	TypeConversationItemDeleted            = "conversation.item.deleted"
	TypeInputTranscriptionDelta            = "conversation.item.input_audio_transcription.delta"
	TypeInputTranscriptionCompleted        = "conversation.item.input_audio_transcription.completed"
	TypeInputTranscriptionFailed           = "conversation.item.input_audio_transcription.failed"
	TypeResponseCreated                    = "response.created"
	TypeResponseDone                       = "response.done"
	TypeResponseOutputItemAdded            = "response.output_item.added"
	TypeResponseOutputItemDone             = "response.output_item.done"
	TypeResponseContentPartAdded           = "response.content_part.added"
	TypeResponseContentPartDone            = "response.content_part.done"
	TypeResponseOutputAudioDelta           = "response.output_audio.delta"
	TypeResponseOutputAudioDone            = "response.output_audio.done"
	TypeResponseOutputAudioTranscriptDelta = "response.output_audio_transcript.delta"
	TypeResponseOutputAudioTranscriptDone  = "response.output_audio_transcript.done"
	TypeResponseOutputTextDelta            = "response.output_text.delta"
	TypeResponseOutputTextDone             = "response.output_text.done"
	TypeResponseFunctionCallArgumentsDelta = "response.function_call_arguments.delta"
	TypeResponseFunctionCallArgumentsDone  = "response.function_call_arguments.done"
	TypeOutputAudioBufferStarted           = "output_audio_buffer.started"
	TypeOutputAudioBufferStopped           = "output_audio_buffer.stopped"
	TypeOutputAudioBufferCleared           = "output_audio_buffer.cleared"
	TypeRateLimitsUpdated                  = "rate_limits.updated"
)

// betaAliases maps beta server event names to their GA names;
// ParseServerEvent accepts both and reports the GA name.
var betaAliases = map[string]string{
	"response.audio.delta":            TypeResponseOutputAudioDelta,
	"response.audio.done":             TypeResponseOutputAudioDone,
	"response.audio_transcript.delta": TypeResponseOutputAudioTranscriptDelta,
	"response.audio_transcript.done":  TypeResponseOutputAudioTranscriptDone,
	"response.text.delta":             TypeResponseOutputTextDelta,
	"response.text.done":              TypeResponseOutputTextDone,
	"conversation.item.created":       TypeConversationItemAdded,
}

// Event is any client or server event. Events are used as pointers
// (*SessionUpdate, …); the Header gives every one its type and event_id.
type Event interface {
	EventType() string
	header() *Header
}

// Header is the part every event shares. Marshal fills Type from the Go
// type and EventID from the generator when empty.
type Header struct {
	Type    string `json:"type"`
	EventID string `json:"event_id,omitempty"`
}

func (h *Header) header() *Header { return h }

// ID returns the event's event_id.
func (h *Header) ID() string { return h.EventID }

// ---------------------------------------------------------------------------
// Client events

// SessionUpdate changes the session; absent fields stay as they are.
type SessionUpdate struct {
	Header
	Session Session `json:"session"`
}

// InputAudioBufferAppend adds base64 audio in the session's input format
// (WebSocket only; over WebRTC audio rides RTP).
type InputAudioBufferAppend struct {
	Header
	Audio string `json:"audio"`
}

// InputAudioBufferCommit ends the user's turn when turn detection is off.
type InputAudioBufferCommit struct{ Header }

// InputAudioBufferClear discards uncommitted input audio.
type InputAudioBufferClear struct{ Header }

// ConversationItemCreate adds an item: typed text or a still image.
// PreviousItemID "root" inserts at the start; absent appends.
type ConversationItemCreate struct {
	Header
	PreviousItemID string `json:"previous_item_id,omitempty"`
	Item           Item   `json:"item"`
}

// ConversationItemRetrieve asks for conversation.item.retrieved.
type ConversationItemRetrieve struct {
	Header
	ItemID string `json:"item_id"`
}

// ConversationItemTruncate cuts an assistant item's audio at AudioEndMs
// (what the user heard).
type ConversationItemTruncate struct {
	Header
	ItemID       string `json:"item_id"`
	ContentIndex int    `json:"content_index"`
	AudioEndMs   int    `json:"audio_end_ms"`
}

// ConversationItemDelete removes an item.
type ConversationItemDelete struct {
	Header
	ItemID string `json:"item_id"`
}

// ResponseCreate asks for a response; Response may override the session.
type ResponseCreate struct {
	Header
	Response *ResponseParams `json:"response,omitempty"`
}

// ResponseCancel stops the ongoing (or the named) response.
type ResponseCancel struct {
	Header
	ResponseID string `json:"response_id,omitempty"`
}

// OutputAudioBufferClear stops the reply audio (WebRTC only).
type OutputAudioBufferClear struct{ Header }

func (*SessionUpdate) EventType() string            { return TypeSessionUpdate }
func (*InputAudioBufferAppend) EventType() string   { return TypeInputAudioBufferAppend }
func (*InputAudioBufferCommit) EventType() string   { return TypeInputAudioBufferCommit }
func (*InputAudioBufferClear) EventType() string    { return TypeInputAudioBufferClear }
func (*ConversationItemCreate) EventType() string   { return TypeConversationItemCreate }
func (*ConversationItemRetrieve) EventType() string { return TypeConversationItemRetrieve }
func (*ConversationItemTruncate) EventType() string { return TypeConversationItemTruncate }
func (*ConversationItemDelete) EventType() string   { return TypeConversationItemDelete }
func (*ResponseCreate) EventType() string           { return TypeResponseCreate }
func (*ResponseCancel) EventType() string           { return TypeResponseCancel }
func (*OutputAudioBufferClear) EventType() string   { return TypeOutputAudioBufferClear }

// ---------------------------------------------------------------------------
// Server events

// ErrorEvent reports a rejected client event or a server failure; the
// session goes on.
type ErrorEvent struct {
	Header
	Error ErrorObject `json:"error"`
}

// SessionCreated is the first server event of a call.
type SessionCreated struct {
	Header
	Session Session `json:"session"`
}

// SessionUpdated answers every session.update with the effective session;
// the official client's connect() resolves on the first one.
type SessionUpdated struct {
	Header
	Session Session `json:"session"`
}

// InputAudioBufferSpeechStarted: the VAD heard the user start.
type InputAudioBufferSpeechStarted struct {
	Header
	AudioStartMs int    `json:"audio_start_ms"`
	ItemID       string `json:"item_id"`
}

// InputAudioBufferSpeechStopped: the VAD heard the user stop.
type InputAudioBufferSpeechStopped struct {
	Header
	AudioEndMs int    `json:"audio_end_ms"`
	ItemID     string `json:"item_id"`
}

// InputAudioBufferCommitted: the user's audio became item ItemID.
// PreviousItemID is null for the first item.
type InputAudioBufferCommitted struct {
	Header
	PreviousItemID *string `json:"previous_item_id"`
	ItemID         string  `json:"item_id"`
}

// InputAudioBufferCleared answers input_audio_buffer.clear.
type InputAudioBufferCleared struct{ Header }

// ConversationItemAdded: an item joined the conversation (beta name:
// conversation.item.created).
type ConversationItemAdded struct {
	Header
	PreviousItemID *string `json:"previous_item_id"`
	Item           Item    `json:"item"`
}

// ConversationItemDone: an item is final.
type ConversationItemDone struct {
	Header
	PreviousItemID *string `json:"previous_item_id"`
	Item           Item    `json:"item"`
}

// ConversationItemRetrieved answers conversation.item.retrieve.
type ConversationItemRetrieved struct {
	Header
	Item Item `json:"item"`
}

// ConversationItemTruncated answers conversation.item.truncate, or tells
// the client Duplex cut a reply at barge-in.
type ConversationItemTruncated struct {
	Header
	ItemID       string `json:"item_id"`
	ContentIndex int    `json:"content_index"`
	AudioEndMs   int    `json:"audio_end_ms"`
}

// ConversationItemDeleted answers conversation.item.delete.
type ConversationItemDeleted struct {
	Header
	ItemID string `json:"item_id"`
}

// InputTranscriptionDelta is a partial transcript of a user item.
type InputTranscriptionDelta struct {
	Header
	ItemID       string `json:"item_id"`
	ContentIndex int    `json:"content_index"`
	Delta        string `json:"delta"`
}

// InputTranscriptionCompleted is a user item's final transcript.
type InputTranscriptionCompleted struct {
	Header
	ItemID       string `json:"item_id"`
	ContentIndex int    `json:"content_index"`
	Transcript   string `json:"transcript"`
	Usage        *Usage `json:"usage,omitempty"`
}

// InputTranscriptionFailed: a user item could not be transcribed.
type InputTranscriptionFailed struct {
	Header
	ItemID       string      `json:"item_id"`
	ContentIndex int         `json:"content_index"`
	Error        ErrorObject `json:"error"`
}

// ResponseCreated starts a response (answering response.create or a
// server-VAD turn).
type ResponseCreated struct {
	Header
	Response Response `json:"response"`
}

// ResponseDone ends every response, cancelled ones included.
type ResponseDone struct {
	Header
	Response Response `json:"response"`
}

// OutputItemRef places an output item in a response.
type OutputItemRef struct {
	ResponseID  string `json:"response_id"`
	OutputIndex int    `json:"output_index"`
}

// ContentRef places a content part in a response.
type ContentRef struct {
	ResponseID   string `json:"response_id"`
	ItemID       string `json:"item_id"`
	OutputIndex  int    `json:"output_index"`
	ContentIndex int    `json:"content_index"`
}

// ResponseOutputItemAdded: the response began an item.
type ResponseOutputItemAdded struct {
	Header
	OutputItemRef
	Item Item `json:"item"`
}

// ResponseOutputItemDone: the response finished an item.
type ResponseOutputItemDone struct {
	Header
	OutputItemRef
	Item Item `json:"item"`
}

// ResponseContentPartAdded: an item began a content part.
type ResponseContentPartAdded struct {
	Header
	ContentRef
	Part ContentPart `json:"part"`
}

// ResponseContentPartDone: an item finished a content part.
type ResponseContentPartDone struct {
	Header
	ContentRef
	Part ContentPart `json:"part"`
}

// ResponseOutputAudioDelta carries base64 reply audio (WebSocket only).
type ResponseOutputAudioDelta struct {
	Header
	ContentRef
	Delta string `json:"delta"`
}

// ResponseOutputAudioDone: the reply audio is all generated.
type ResponseOutputAudioDone struct {
	Header
	ContentRef
}

// ResponseOutputAudioTranscriptDelta is reply text as it is spoken.
type ResponseOutputAudioTranscriptDelta struct {
	Header
	ContentRef
	Delta string `json:"delta"`
}

// ResponseOutputAudioTranscriptDone is the whole spoken reply text.
type ResponseOutputAudioTranscriptDone struct {
	Header
	ContentRef
	Transcript string `json:"transcript"`
}

// ResponseOutputTextDelta is text-only reply text.
type ResponseOutputTextDelta struct {
	Header
	ContentRef
	Delta string `json:"delta"`
}

// ResponseOutputTextDone is the whole text-only reply.
type ResponseOutputTextDone struct {
	Header
	ContentRef
	Text string `json:"text"`
}

// ResponseFunctionCallArgumentsDelta streams a function_call item's
// arguments (JSON text).
type ResponseFunctionCallArgumentsDelta struct {
	Header
	ResponseID  string `json:"response_id"`
	ItemID      string `json:"item_id"`
	OutputIndex int    `json:"output_index"`
	CallID      string `json:"call_id"`
	Delta       string `json:"delta"`
}

// ResponseFunctionCallArgumentsDone: a function_call item's arguments are
// complete; the client runs the call and answers with a
// function_call_output item of the same call_id.
type ResponseFunctionCallArgumentsDone struct {
	Header
	ResponseID  string `json:"response_id"`
	ItemID      string `json:"item_id"`
	OutputIndex int    `json:"output_index"`
	CallID      string `json:"call_id"`
	Name        string `json:"name,omitempty"`
	Arguments   string `json:"arguments"`
}

// OutputAudioBufferStarted: reply audio began to play out (WebRTC).
type OutputAudioBufferStarted struct {
	Header
	ResponseID string `json:"response_id"`
}

// OutputAudioBufferStopped: reply audio finished playing out (WebRTC).
type OutputAudioBufferStopped struct {
	Header
	ResponseID string `json:"response_id"`
}

// OutputAudioBufferCleared: reply audio was cut (barge-in or
// output_audio_buffer.clear).
type OutputAudioBufferCleared struct {
	Header
	ResponseID string `json:"response_id"`
}

// RateLimitsUpdated is sent by the OpenAI service after each response.
type RateLimitsUpdated struct {
	Header
	RateLimits []RateLimit `json:"rate_limits"`
}

// RateLimit is one entry of rate_limits.updated.
type RateLimit struct {
	Name         string  `json:"name"`
	Limit        int     `json:"limit"`
	Remaining    int     `json:"remaining"`
	ResetSeconds float64 `json:"reset_seconds"`
}

func (*ErrorEvent) EventType() string                    { return TypeError }
func (*SessionCreated) EventType() string                { return TypeSessionCreated }
func (*SessionUpdated) EventType() string                { return TypeSessionUpdated }
func (*InputAudioBufferSpeechStarted) EventType() string { return TypeInputAudioBufferSpeechStarted }
func (*InputAudioBufferSpeechStopped) EventType() string { return TypeInputAudioBufferSpeechStopped }
func (*InputAudioBufferCommitted) EventType() string     { return TypeInputAudioBufferCommitted }
func (*InputAudioBufferCleared) EventType() string       { return TypeInputAudioBufferCleared }
func (*ConversationItemAdded) EventType() string         { return TypeConversationItemAdded }
func (*ConversationItemDone) EventType() string          { return TypeConversationItemDone }
func (*ConversationItemRetrieved) EventType() string     { return TypeConversationItemRetrieved }
func (*ConversationItemTruncated) EventType() string     { return TypeConversationItemTruncated }
func (*ConversationItemDeleted) EventType() string       { return TypeConversationItemDeleted }
func (*InputTranscriptionDelta) EventType() string       { return TypeInputTranscriptionDelta }
func (*InputTranscriptionCompleted) EventType() string   { return TypeInputTranscriptionCompleted }
func (*InputTranscriptionFailed) EventType() string      { return TypeInputTranscriptionFailed }
func (*ResponseCreated) EventType() string               { return TypeResponseCreated }
func (*ResponseDone) EventType() string                  { return TypeResponseDone }
func (*ResponseOutputItemAdded) EventType() string       { return TypeResponseOutputItemAdded }
func (*ResponseOutputItemDone) EventType() string        { return TypeResponseOutputItemDone }
func (*ResponseContentPartAdded) EventType() string      { return TypeResponseContentPartAdded }
func (*ResponseContentPartDone) EventType() string       { return TypeResponseContentPartDone }
func (*ResponseOutputAudioDelta) EventType() string      { return TypeResponseOutputAudioDelta }
func (*ResponseOutputAudioDone) EventType() string       { return TypeResponseOutputAudioDone }
func (*ResponseOutputAudioTranscriptDelta) EventType() string {
	return TypeResponseOutputAudioTranscriptDelta
}
func (*ResponseOutputAudioTranscriptDone) EventType() string {
	return TypeResponseOutputAudioTranscriptDone
}
func (*ResponseOutputTextDelta) EventType() string { return TypeResponseOutputTextDelta }
func (*ResponseOutputTextDone) EventType() string  { return TypeResponseOutputTextDone }
func (*ResponseFunctionCallArgumentsDelta) EventType() string {
	return TypeResponseFunctionCallArgumentsDelta
}
func (*ResponseFunctionCallArgumentsDone) EventType() string {
	return TypeResponseFunctionCallArgumentsDone
}
func (*OutputAudioBufferStarted) EventType() string { return TypeOutputAudioBufferStarted }
func (*OutputAudioBufferStopped) EventType() string { return TypeOutputAudioBufferStopped }
func (*OutputAudioBufferCleared) EventType() string { return TypeOutputAudioBufferCleared }
func (*RateLimitsUpdated) EventType() string        { return TypeRateLimitsUpdated }

// clientEvents and serverEvents make an empty event of each known type,
// with the fields each requires (present and not null).
type spec struct {
	new      func() Event
	required []string
}

var clientEvents = map[string]spec{
	TypeSessionUpdate:            {func() Event { return new(SessionUpdate) }, []string{"session"}},
	TypeInputAudioBufferAppend:   {func() Event { return new(InputAudioBufferAppend) }, []string{"audio"}},
	TypeInputAudioBufferCommit:   {func() Event { return new(InputAudioBufferCommit) }, nil},
	TypeInputAudioBufferClear:    {func() Event { return new(InputAudioBufferClear) }, nil},
	TypeConversationItemCreate:   {func() Event { return new(ConversationItemCreate) }, []string{"item"}},
	TypeConversationItemRetrieve: {func() Event { return new(ConversationItemRetrieve) }, []string{"item_id"}},
	TypeConversationItemTruncate: {func() Event { return new(ConversationItemTruncate) }, []string{"item_id", "content_index", "audio_end_ms"}},
	TypeConversationItemDelete:   {func() Event { return new(ConversationItemDelete) }, []string{"item_id"}},
	TypeResponseCreate:           {func() Event { return new(ResponseCreate) }, nil},
	TypeResponseCancel:           {func() Event { return new(ResponseCancel) }, nil},
	TypeOutputAudioBufferClear:   {func() Event { return new(OutputAudioBufferClear) }, nil},
}

var contentRef = []string{"response_id", "item_id", "output_index", "content_index"}

func req(base []string, more ...string) []string {
	return append(append([]string{"event_id"}, base...), more...)
}

var serverEvents = map[string]spec{
	TypeError:                              {func() Event { return new(ErrorEvent) }, req(nil, "error")},
	TypeSessionCreated:                     {func() Event { return new(SessionCreated) }, req(nil, "session")},
	TypeSessionUpdated:                     {func() Event { return new(SessionUpdated) }, req(nil, "session")},
	TypeInputAudioBufferSpeechStarted:      {func() Event { return new(InputAudioBufferSpeechStarted) }, req(nil, "item_id")},
	TypeInputAudioBufferSpeechStopped:      {func() Event { return new(InputAudioBufferSpeechStopped) }, req(nil, "item_id")},
	TypeInputAudioBufferCommitted:          {func() Event { return new(InputAudioBufferCommitted) }, req(nil, "item_id")},
	TypeInputAudioBufferCleared:            {func() Event { return new(InputAudioBufferCleared) }, req(nil)},
	TypeConversationItemAdded:              {func() Event { return new(ConversationItemAdded) }, req(nil, "item")},
	TypeConversationItemDone:               {func() Event { return new(ConversationItemDone) }, req(nil, "item")},
	TypeConversationItemRetrieved:          {func() Event { return new(ConversationItemRetrieved) }, req(nil, "item")},
	TypeConversationItemTruncated:          {func() Event { return new(ConversationItemTruncated) }, req(nil, "item_id", "audio_end_ms")},
	TypeConversationItemDeleted:            {func() Event { return new(ConversationItemDeleted) }, req(nil, "item_id")},
	TypeInputTranscriptionDelta:            {func() Event { return new(InputTranscriptionDelta) }, req(nil, "item_id", "delta")},
	TypeInputTranscriptionCompleted:        {func() Event { return new(InputTranscriptionCompleted) }, req(nil, "item_id", "transcript")},
	TypeInputTranscriptionFailed:           {func() Event { return new(InputTranscriptionFailed) }, req(nil, "item_id", "error")},
	TypeResponseCreated:                    {func() Event { return new(ResponseCreated) }, req(nil, "response")},
	TypeResponseDone:                       {func() Event { return new(ResponseDone) }, req(nil, "response")},
	TypeResponseOutputItemAdded:            {func() Event { return new(ResponseOutputItemAdded) }, req(nil, "response_id", "item")},
	TypeResponseOutputItemDone:             {func() Event { return new(ResponseOutputItemDone) }, req(nil, "response_id", "item")},
	TypeResponseContentPartAdded:           {func() Event { return new(ResponseContentPartAdded) }, req(contentRef, "part")},
	TypeResponseContentPartDone:            {func() Event { return new(ResponseContentPartDone) }, req(contentRef, "part")},
	TypeResponseOutputAudioDelta:           {func() Event { return new(ResponseOutputAudioDelta) }, req(contentRef, "delta")},
	TypeResponseOutputAudioDone:            {func() Event { return new(ResponseOutputAudioDone) }, req(contentRef)},
	TypeResponseOutputAudioTranscriptDelta: {func() Event { return new(ResponseOutputAudioTranscriptDelta) }, req(contentRef, "delta")},
	TypeResponseOutputAudioTranscriptDone:  {func() Event { return new(ResponseOutputAudioTranscriptDone) }, req(contentRef, "transcript")},
	TypeResponseOutputTextDelta:            {func() Event { return new(ResponseOutputTextDelta) }, req(contentRef, "delta")},
	TypeResponseOutputTextDone:             {func() Event { return new(ResponseOutputTextDone) }, req(contentRef, "text")},
	TypeResponseFunctionCallArgumentsDelta: {func() Event { return new(ResponseFunctionCallArgumentsDelta) }, req(nil, "response_id", "item_id", "call_id", "delta")},
	TypeResponseFunctionCallArgumentsDone:  {func() Event { return new(ResponseFunctionCallArgumentsDone) }, req(nil, "response_id", "item_id", "call_id", "arguments")},
	TypeOutputAudioBufferStarted:           {func() Event { return new(OutputAudioBufferStarted) }, req(nil)},
	TypeOutputAudioBufferStopped:           {func() Event { return new(OutputAudioBufferStopped) }, req(nil)},
	TypeOutputAudioBufferCleared:           {func() Event { return new(OutputAudioBufferCleared) }, req(nil)},
	TypeRateLimitsUpdated:                  {func() Event { return new(RateLimitsUpdated) }, req(nil, "rate_limits")},
}
