package rtvi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/duplex-ai/duplex/internal/jsonkind"
	"strconv"
	"strings"
)

// Sentinels every *Error wraps.
var (
	ErrMalformed    = errors.New("malformed message")
	ErrUnknownType  = errors.New("unknown message type")
	ErrMissingField = errors.New("missing required field")
	ErrInvalidValue = errors.New("invalid value")
)

// Error is a rejected chat-channel message. ID is the message's id when it
// could be read: the reply is then an error-response the client matches to
// its request; without one it is a non-fatal error.
type Error struct {
	Kind    error
	ID      string
	Type    string
	Message string
}

func (e *Error) Error() string { return "rtvi: " + e.Message }
func (e *Error) Unwrap() error { return e.Kind }

// Reply encodes the message that answers the rejected one; the call goes on.
func (e *Error) Reply() []byte {
	typ := TypeError
	if e.ID != "" {
		typ = TypeErrorResponse
	}
	b, _ := Encode(typ, e.ID, ErrorData{Error: e.Message}) // cannot fail: plain strings
	return b
}

// Inbound is one message from the chat channel: *Ping, *Signalling,
// *ClientReady, *SendText, *ClientMsg, *DisconnectBot or *DTMF.
type Inbound interface{ inbound() }

// Ping is the client's "ping: <epoch ms>" keep-alive, sent every second;
// recognise it and ignore it (or use it for liveness).
type Ping struct{ Millis int64 }

// Signalling is the transport's own {"type":"signalling","message":{…}}.
type Signalling struct{ Message SignallingMessage }

// Signalling message types: trackStatus from the client; renegotiate and
// peerLeft from the server.
const (
	SignalTrackStatus = "trackStatus"
	SignalRenegotiate = "renegotiate"
	SignalPeerLeft    = "peerLeft"
)

// Track indexes of trackStatus.receiver_index.
const (
	TrackAudio       = 0
	TrackVideo       = 1
	TrackScreenVideo = 2
)

// SignallingMessage is the inner message; ReceiverIndex and Enabled are
// trackStatus's.
type SignallingMessage struct {
	Type          string `json:"type"`
	ReceiverIndex *int   `json:"receiver_index,omitempty"`
	Enabled       *bool  `json:"enabled,omitempty"`
}

// EncodeSignalling builds a server signalling message (renegotiate, peerLeft).
func EncodeSignalling(m SignallingMessage) []byte {
	b, _ := json.Marshal(struct {
		Type    string            `json:"type"`
		Message SignallingMessage `json:"message"`
	}{"signalling", m}) // cannot fail
	return b
}

// ClientReady opens the RTVI session; answer with bot-ready echoing ID.
type ClientReady struct {
	ID   string
	Data ReadyData
}

// SendText is typed user input.
type SendText struct {
	ID   string
	Data SendTextData
}

// ClientMsg is an app-defined request {t, d}; answer with server-response
// or error-response echoing ID.
type ClientMsg struct {
	ID   string
	Data ClientMessageData
}

// DisconnectBot asks the server to end the call.
type DisconnectBot struct{ ID string }

// DTMF carries keypad presses.
type DTMF struct {
	ID   string
	Data DTMFData
}

func (*Ping) inbound()          {}
func (*Signalling) inbound()    {}
func (*ClientReady) inbound()   {}
func (*SendText) inbound()      {}
func (*ClientMsg) inbound()     {}
func (*DisconnectBot) inbound() {}
func (*DTMF) inbound()          {}

// Parse decodes one chat-channel message. Unknown fields are ignored;
// anything else unusable is an *Error whose Reply the caller sends back.
func Parse(msg []byte) (Inbound, error) {
	if rest, ok := bytes.CutPrefix(msg, []byte("ping:")); ok {
		ms, err := strconv.ParseInt(strings.TrimSpace(string(rest)), 10, 64)
		if err != nil {
			return nil, &Error{Kind: ErrMalformed, Message: "ping without a time"}
		}
		return &Ping{Millis: ms}, nil
	}
	var env struct {
		ID, Label, Type, Data json.RawMessage
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(msg, &probe) != nil || probe == nil {
		return nil, &Error{Kind: ErrMalformed, Message: "message is neither a ping nor a JSON object"}
	}
	e := &Error{}
	// Field-by-field so one bad field is reported as that field.
	for k, dst := range map[string]*json.RawMessage{"id": &env.ID, "label": &env.Label, "type": &env.Type, "data": &env.Data} {
		if v, ok := probe[k]; ok && !jsonkind.IsNull(v) {
			*dst = v
		}
	}
	if env.ID != nil && json.Unmarshal(env.ID, &e.ID) != nil {
		return nil, e.set(ErrInvalidValue, "id must be a string")
	}
	var typ, label string
	if env.Type == nil {
		return nil, e.set(ErrMissingField, "missing field 'type'")
	}
	if json.Unmarshal(env.Type, &typ) != nil {
		return nil, e.set(ErrInvalidValue, "type must be a string")
	}
	e.Type = typ
	if env.Label == nil && typ == "signalling" {
		raw, ok := probe["message"]
		if !ok || jsonkind.IsNull(raw) {
			return nil, e.set(ErrMissingField, "signalling: missing field 'message'")
		}
		var sm SignallingMessage
		if json.Unmarshal(raw, &sm) != nil {
			return nil, e.set(ErrInvalidValue, "signalling: message must be an object")
		}
		if sm.Type == "" {
			return nil, e.set(ErrMissingField, "signalling: missing field 'message.type'")
		}
		return &Signalling{Message: sm}, nil
	}
	if env.Label == nil {
		return nil, e.set(ErrMissingField, "missing field 'label'")
	}
	if json.Unmarshal(env.Label, &label) != nil || label != Label {
		return nil, e.set(ErrInvalidValue, "label must be \"rtvi-ai\"")
	}
	needData := func(dst any) error {
		if env.Data == nil {
			return e.set(ErrMissingField, typ+": missing field 'data'")
		}
		if err := json.Unmarshal(env.Data, dst); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				return e.set(ErrInvalidValue, fmt.Sprintf("%s: data.%s must be %s", typ, te.Field, jsonkind.Of(te.Type)))
			}
			return e.set(ErrInvalidValue, typ+": data must be an object")
		}
		return nil
	}
	switch typ {
	case TypeClientReady:
		m := &ClientReady{ID: e.ID}
		if err := needData(&m.Data); err != nil {
			return nil, err
		}
		if m.Data.Version == "" {
			return nil, e.set(ErrMissingField, typ+": missing field 'data.version'")
		}
		return m, nil
	case TypeSendText:
		m := &SendText{ID: e.ID}
		if err := needData(&m.Data); err != nil {
			return nil, err
		}
		if strings.TrimSpace(m.Data.Content) == "" {
			return nil, e.set(ErrMissingField, typ+": missing field 'data.content'")
		}
		return m, nil
	case TypeClientMessage:
		m := &ClientMsg{ID: e.ID}
		if err := needData(&m.Data); err != nil {
			return nil, err
		}
		if m.Data.T == "" {
			return nil, e.set(ErrMissingField, typ+": missing field 'data.t'")
		}
		return m, nil
	case TypeDisconnectBot:
		return &DisconnectBot{ID: e.ID}, nil
	case TypeDTMF:
		m := &DTMF{ID: e.ID}
		if err := needData(&m.Data); err != nil {
			return nil, err
		}
		if len(m.Data.Buttons) == 0 {
			return nil, e.set(ErrMissingField, typ+": missing field 'data.buttons'")
		}
		for _, b := range m.Data.Buttons {
			if len(b) != 1 || !strings.Contains("0123456789*#", b) {
				return nil, e.set(ErrInvalidValue, fmt.Sprintf("dtmf: %q is not a keypad key", clip(b)))
			}
		}
		return m, nil
	}
	return nil, e.set(ErrUnknownType, fmt.Sprintf("unknown message type %q", clip(typ)))
}

func (e *Error) set(kind error, msg string) *Error {
	e.Kind, e.Message = kind, msg
	return e
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
