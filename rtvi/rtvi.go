// Package rtvi holds the Pipecat RTVI 2.x message types that Duplex speaks
// on the SmallWebRTC "chat" data channel, the channel's own signalling
// messages and "ping: <ms>" keep-alives, and the SmallWebRTC HTTP bodies
// (offer, answer, PATCH with trickled candidates). Read from
// @pipecat-ai/client-js 1.13.1 and @pipecat-ai/small-webrtc-transport
// 1.10.8; see docs/clients.md. A leaf: JSON in, typed values out.
package rtvi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
)

// Label marks an RTVI message; the client drops JSON without it.
const Label = "rtvi-ai"

// ProtocolVersion is the RTVI version Duplex speaks (client-js 1.13.1
// sends 2.1.0; a bot-ready major below 2 makes it warn).
const ProtocolVersion = "2.1.0"

// Server → client message types.
const (
	TypeBotReady            = "bot-ready"
	TypeError               = "error"
	TypeErrorResponse       = "error-response"
	TypeServerResponse      = "server-response"
	TypeServerMessage       = "server-message"
	TypeMetrics             = "metrics"
	TypeUserStartedSpeaking = "user-started-speaking"
	TypeUserStoppedSpeaking = "user-stopped-speaking"
	TypeBotStartedSpeaking  = "bot-started-speaking"
	TypeBotStoppedSpeaking  = "bot-stopped-speaking"
	TypeUserTranscription   = "user-transcription"
	TypeBotOutput           = "bot-output"
	TypeBotTranscription    = "bot-transcription" // deprecated by bot-output
	TypeBotLLMText          = "bot-llm-text"
	TypeBotLLMStarted       = "bot-llm-started"
	TypeBotLLMStopped       = "bot-llm-stopped"
	TypeBotTTSText          = "bot-tts-text"
	TypeBotTTSStarted       = "bot-tts-started"
	TypeBotTTSStopped       = "bot-tts-stopped"
	TypeUserMuteStarted     = "user-mute-started"
	TypeUserMuteStopped     = "user-mute-stopped"
)

// Client → server message types.
const (
	TypeClientReady   = "client-ready"
	TypeSendText      = "send-text"
	TypeClientMessage = "client-message"
	TypeDisconnectBot = "disconnect-bot"
	TypeDTMF          = "dtmf"
)

// Message is the RTVI envelope. Data is absent for the messages that
// carry none (user-started-speaking, bot-llm-started, …).
type Message struct {
	ID    string          `json:"id,omitempty"`
	Label string          `json:"label"`
	Type  string          `json:"type"`
	Data  json.RawMessage `json:"data,omitempty"`
}

// Encode builds one server message. data may be nil; id may be empty
// except for replies (bot-ready, server-response, error-response echo the
// client message's id).
func Encode(typ, id string, data any) ([]byte, error) {
	m := Message{ID: id, Label: Label, Type: typ}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return nil, err
		}
		m.Data = b
	}
	return json.Marshal(m)
}

// NewID returns a random message id for unsolicited server messages.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// About describes a library in client-ready / bot-ready.
type About struct {
	Library         string         `json:"library"`
	LibraryVersion  string         `json:"library_version,omitempty"`
	Platform        string         `json:"platform,omitempty"`
	PlatformVersion string         `json:"platform_version,omitempty"`
	PlatformDetails map[string]any `json:"platform_details,omitempty"`
}

// ReadyData is the data of client-ready and bot-ready.
type ReadyData struct {
	Version string `json:"version"`
	About   *About `json:"about,omitempty"`
}

// ErrorData is the data of error (fatal ends the session on the client)
// and error-response (answers one client message, by id).
type ErrorData struct {
	Error string `json:"error"`
	Fatal bool   `json:"fatal"`
}

// ServerResponseData answers a client-message {t,d} with the same id.
type ServerResponseData struct {
	T string `json:"t"`
	D any    `json:"d,omitempty"`
}

// TranscriptData is user-transcription: partials (Final false) and finals.
// Timestamp is ISO 8601.
type TranscriptData struct {
	Text      string `json:"text"`
	Final     bool   `json:"final"`
	Timestamp string `json:"timestamp"`
	UserID    string `json:"user_id"`
}

// Spoken statuses of bot-output (RTVI 2.x): a sentence arrives as "new"
// with its full text, then "completed" with the same segment_id.
const (
	SpokenNew        = "new"
	SpokenInProgress = "in-progress"
	SpokenCompleted  = "completed"
)

// BotOutputData is bot-output, the preferred reply-text message.
type BotOutputData struct {
	Text           string          `json:"text"`
	AggregatedBy   string          `json:"aggregated_by,omitempty"` // "word" | "sentence"
	SegmentID      *int            `json:"segment_id,omitempty"`
	WillBeSpoken   *bool           `json:"will_be_spoken,omitempty"`
	SpokenStatus   string          `json:"spoken_status,omitempty"`
	SpokenProgress *SpokenProgress `json:"spoken_progress,omitempty"`
}

// SpokenProgress splits a segment into what was spoken and what remains.
type SpokenProgress struct {
	AccumulatedText string `json:"accumulated_text"`
	RemainingText   string `json:"remaining_text"`
}

// TextData is bot-llm-text, bot-tts-text and bot-transcription.
type TextData struct {
	Text string `json:"text"`
}

// MetricsData is metrics; values in seconds (ttfb, processing) or counts
// (characters), per processor.
type MetricsData struct {
	Processing []MetricValue `json:"processing,omitempty"`
	TTFB       []MetricValue `json:"ttfb,omitempty"`
	Characters []MetricValue `json:"characters,omitempty"`
}

// MetricValue is one processor's measurement.
type MetricValue struct {
	Processor string  `json:"processor"`
	Value     float64 `json:"value"`
}

// SendTextData is send-text: typed user input.
type SendTextData struct {
	Content string           `json:"content"`
	Options *SendTextOptions `json:"options,omitempty"`
}

// SendTextOptions: run_immediately interrupts the bot; audio_response
// false asks for a text-only reply.
type SendTextOptions struct {
	RunImmediately *bool `json:"run_immediately,omitempty"`
	AudioResponse  *bool `json:"audio_response,omitempty"`
}

// ClientMessageData is client-message {t, d}; the client waits for a
// server-response or error-response with the same id.
type ClientMessageData struct {
	T string          `json:"t"`
	D json.RawMessage `json:"d,omitempty"`
}

// DTMFData is dtmf: keypad keys in order.
type DTMFData struct {
	Buttons []string `json:"buttons"`
}
