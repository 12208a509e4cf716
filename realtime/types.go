package realtime

import "encoding/json"

// Session.Type and the values of its enum fields.
const (
	SessionRealtime = "realtime"
	// SessionTranscription is a transcription-only session
	// (wss://…/v1/realtime?intent=transcription): input audio in,
	// conversation.item.input_audio_transcription.* out, no responses.
	SessionTranscription = "transcription"

	ModalityAudio = "audio"
	ModalityText  = "text"

	FormatPCM  = "audio/pcm" // PCM16 LE mono; rate 24000
	FormatPCMU = "audio/pcmu"
	FormatPCMA = "audio/pcma"

	TurnServerVAD   = "server_vad"
	TurnSemanticVAD = "semantic_vad"

	EagernessLow    = "low"
	EagernessMedium = "medium"
	EagernessHigh   = "high"
	EagernessAuto   = "auto"
)

// Session is the GA session object: what session.update sends (absent
// fields leave a setting alone) and what session.created/updated carry
// (the effective settings).
type Session struct {
	Type             string        `json:"type,omitempty"` // "realtime"
	Object           string        `json:"object,omitempty"`
	ID               string        `json:"id,omitempty"`
	Model            string        `json:"model,omitempty"`
	Instructions     *string       `json:"instructions,omitempty"`
	OutputModalities []string      `json:"output_modalities,omitempty"`
	Audio            *SessionAudio `json:"audio,omitempty"`
	ExpiresAt        int64         `json:"expires_at,omitempty"`
	// Tools are the session's function tools (FunctionTools builds them);
	// passed through, not interpreted, by the server side.
	Tools           json.RawMessage `json:"tools,omitempty"` // []FunctionTool
	ToolChoice      json.RawMessage `json:"tool_choice,omitempty"`
	Tracing         json.RawMessage `json:"tracing,omitempty"`
	MaxOutputTokens json.RawMessage `json:"max_output_tokens,omitempty"` // integer or "inf"
}

// SessionAudio is session.audio.
type SessionAudio struct {
	Input  *AudioInput  `json:"input,omitempty"`
	Output *AudioOutput `json:"output,omitempty"`
}

// AudioInput is session.audio.input. TurnDetection null means the client
// commits turns itself (input_audio_buffer.commit + response.create).
type AudioInput struct {
	Format         *AudioFormat             `json:"format,omitempty"`
	Transcription  Nullable[Transcription]  `json:"transcription,omitzero"`
	TurnDetection  Nullable[TurnDetection]  `json:"turn_detection,omitzero"`
	NoiseReduction Nullable[NoiseReduction] `json:"noise_reduction,omitzero"`
}

// AudioOutput is session.audio.output.
type AudioOutput struct {
	Format *AudioFormat `json:"format,omitempty"`
	Voice  string       `json:"voice,omitempty"`
	Speed  *float64     `json:"speed,omitempty"` // 0.25 … 1.5
}

// AudioFormat is {type, rate}; rate only for audio/pcm.
type AudioFormat struct {
	Type string `json:"type"`
	Rate int    `json:"rate,omitempty"`
}

// Transcription configures input transcription.
type Transcription struct {
	Model    string `json:"model,omitempty"`
	Language string `json:"language,omitempty"`
	Prompt   string `json:"prompt,omitempty"`
}

// NoiseReduction is {type: near_field|far_field}.
type NoiseReduction struct {
	Type string `json:"type"`
}

// TurnDetection is server_vad (threshold, padding, silence) or
// semantic_vad (eagerness).
type TurnDetection struct {
	Type              string   `json:"type"`
	Threshold         *float64 `json:"threshold,omitempty"`
	PrefixPaddingMs   *int     `json:"prefix_padding_ms,omitempty"`
	SilenceDurationMs *int     `json:"silence_duration_ms,omitempty"`
	IdleTimeoutMs     *int     `json:"idle_timeout_ms,omitempty"`
	Eagerness         string   `json:"eagerness,omitempty"`
	CreateResponse    *bool    `json:"create_response,omitempty"`
	InterruptResponse *bool    `json:"interrupt_response,omitempty"`
}

// Item types, roles, statuses and content part types.
const (
	ItemMessage            = "message"
	ItemFunctionCall       = "function_call"
	ItemFunctionCallOutput = "function_call_output"

	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleSystem    = "system"

	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusIncomplete = "incomplete"
	StatusCancelled  = "cancelled"
	StatusFailed     = "failed"

	PartInputText   = "input_text"
	PartInputAudio  = "input_audio"
	PartInputImage  = "input_image"
	PartOutputText  = "output_text"
	PartOutputAudio = "output_audio"
)

// Item is a conversation item. A message's Content is always written (an
// empty list for an assistant item just started).
type Item struct {
	ID      string        `json:"id,omitempty"`
	Object  string        `json:"object,omitempty"` // "realtime.item"
	Type    string        `json:"type"`
	Status  string        `json:"status,omitempty"`
	Role    string        `json:"role,omitempty"`
	Content []ContentPart `json:"content,omitempty"`
	// function_call (call_id, name, arguments) and function_call_output
	// (call_id, output): the model's tool calls and their results.
	CallID    string `json:"call_id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
	Output    string `json:"output,omitempty"`
}

// MarshalJSON writes "content": [] for a message with no parts: the
// official client's item schema requires the key.
func (it Item) MarshalJSON() ([]byte, error) {
	type plain Item
	if it.Type == ItemMessage && len(it.Content) == 0 {
		return json.Marshal(struct {
			plain
			Content []ContentPart `json:"content"`
		}{plain(it), []ContentPart{}})
	}
	return json.Marshal(plain(it))
}

// ContentPart is one part of a message. The official client's item schema
// requires "text" on text parts (even "") and "transcript" on an
// input_audio part (null until known), so those keys are always written.
type ContentPart struct {
	Type       string  `json:"type"`
	Text       string  `json:"text,omitempty"`
	Audio      string  `json:"audio,omitempty"` // base64, input_audio from the client
	Transcript *string `json:"transcript,omitempty"`
	ImageURL   string  `json:"image_url,omitempty"` // data:image/{png,jpeg};base64,…
	Detail     string  `json:"detail,omitempty"`    // auto|low|high
}

// MarshalJSON writes the keys the official client requires.
func (p ContentPart) MarshalJSON() ([]byte, error) {
	type plain ContentPart
	switch p.Type {
	case PartInputAudio, PartOutputAudio:
		return json.Marshal(struct {
			plain
			Transcript *string `json:"transcript"`
		}{plain(p), p.Transcript})
	case PartInputText, PartOutputText:
		return json.Marshal(struct {
			plain
			Text string `json:"text"`
		}{plain(p), p.Text})
	}
	return json.Marshal(plain(p))
}

// Response is the response object of response.created / response.done.
// Output is always written.
type Response struct {
	ID               string          `json:"id"`
	Object           string          `json:"object,omitempty"` // "realtime.response"
	Status           string          `json:"status,omitempty"`
	StatusDetails    *StatusDetails  `json:"status_details,omitempty"`
	Output           []Item          `json:"output"`
	ConversationID   string          `json:"conversation_id,omitempty"`
	OutputModalities []string        `json:"output_modalities,omitempty"`
	Audio            *ResponseAudio  `json:"audio,omitempty"`
	Usage            *Usage          `json:"usage,omitempty"`
	Metadata         json.RawMessage `json:"metadata,omitempty"`
}

// MarshalJSON writes "output": [] when there is none yet.
func (r Response) MarshalJSON() ([]byte, error) {
	type plain Response
	if r.Output == nil {
		r.Output = []Item{}
	}
	return json.Marshal(plain(r))
}

// StatusDetails says why a response ended other than completed, e.g.
// {type: "cancelled", reason: "turn_detected"}.
type StatusDetails struct {
	Type   string       `json:"type"`
	Reason string       `json:"reason,omitempty"` // turn_detected, client_cancelled, max_output_tokens, content_filter
	Error  *ErrorObject `json:"error,omitempty"`
}

// ResponseAudio is response.audio (and response.create's response.audio).
type ResponseAudio struct {
	Output *AudioOutput `json:"output,omitempty"`
}

// Usage is response.usage, in tokens. Transcription usage has no image
// or cached counts, hence the pointers.
type Usage struct {
	// Type is set on a transcription's usage: "tokens", or "duration"
	// with Seconds (models billed by the second).
	Type               string        `json:"type,omitempty"`
	Seconds            float64       `json:"seconds,omitempty"`
	TotalTokens        int           `json:"total_tokens"`
	InputTokens        int           `json:"input_tokens"`
	OutputTokens       int           `json:"output_tokens"`
	InputTokenDetails  *TokenDetails `json:"input_token_details,omitempty"`
	OutputTokenDetails *TokenDetails `json:"output_token_details,omitempty"`
}

// TokenDetails splits a token count by modality.
type TokenDetails struct {
	TextTokens   int  `json:"text_tokens"`
	AudioTokens  int  `json:"audio_tokens"`
	ImageTokens  *int `json:"image_tokens,omitempty"`
	CachedTokens *int `json:"cached_tokens,omitempty"`
}

// ResponseParams is response.create's optional response object.
// Conversation "none" makes an out-of-band response.
type ResponseParams struct {
	Instructions     *string         `json:"instructions,omitempty"`
	OutputModalities []string        `json:"output_modalities,omitempty"`
	Conversation     string          `json:"conversation,omitempty"` // auto|none
	Input            []Item          `json:"input,omitempty"`
	Audio            *ResponseAudio  `json:"audio,omitempty"`
	Metadata         json.RawMessage `json:"metadata,omitempty"`
	Tools            json.RawMessage `json:"tools,omitempty"`
	ToolChoice       json.RawMessage `json:"tool_choice,omitempty"`
	MaxOutputTokens  json.RawMessage `json:"max_output_tokens,omitempty"`
}

// Error types.
const (
	ErrorTypeInvalidRequest = "invalid_request_error"
	ErrorTypeServer         = "server_error"
)

// Error codes. The first group are codes the OpenAI service itself sends
// (seen in public clients that branch on them); the rest are Duplex's, in
// the same style, for what it rejects.
const (
	CodeActiveResponse    = "conversation_already_has_active_response"
	CodeCancelNotActive   = "response_cancel_not_active"
	CodeCommitEmpty       = "input_audio_buffer_commit_empty"
	CodeInvalidJSON       = "invalid_json"
	CodeUnknownEvent      = "invalid_event_type"
	CodeMissingParameter  = "missing_required_parameter"
	CodeInvalidValue      = "invalid_value"
	CodeItemNotFound      = "item_not_found"
	CodeUnsupported       = "unsupported"
	CodeInvalidAudioEndMs = "invalid_audio_end_ms"
	CodeServerError       = "server_error"
)

// ErrorObject is the error of an error event. EventID names the client
// event that caused it: the official client uses it to release a
// response.create it is holding.
type ErrorObject struct {
	Type    string `json:"type"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
	EventID string `json:"event_id,omitempty"`
}

// FunctionTool is one entry of session.tools: a function the model may
// call with a JSON object matching Parameters (a JSON Schema).
type FunctionTool struct {
	Type        string          `json:"type"` // "function"
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// ToolFunction is FunctionTool.Type.
const ToolFunction = "function"
