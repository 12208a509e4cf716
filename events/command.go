package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// MaxTextLen is the longest input.text accepted, in bytes.
const MaxTextLen = 4096

// Command is one client → server message.
type Command struct {
	Type string `json:"type"`
	// input.text
	Text string `json:"text,omitempty"`
	// session.update
	Mode string `json:"mode,omitempty"`
}

// ParseCommand decodes and validates one client message. The error says
// what is wrong in words a client developer can act on; it wraps one of the
// Err… sentinels of this package.
func ParseCommand(data []byte) (Command, error) {
	var c Command
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Command{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return Command{}, fmt.Errorf("%w: trailing data after the JSON object", ErrMalformed)
	}
	switch c.Type {
	case "":
		return Command{}, fmt.Errorf("%w: missing \"type\"", ErrMalformed)
	case TypeInputText:
		if c.Text == "" {
			return Command{}, fmt.Errorf("%w: input.text needs a non-empty \"text\"", ErrMalformed)
		}
		if len(c.Text) > MaxTextLen {
			return Command{}, fmt.Errorf("%w: input.text is %d bytes, the limit is %d", ErrTooLarge, len(c.Text), MaxTextLen)
		}
		if !utf8.ValidString(c.Text) {
			return Command{}, fmt.Errorf("%w: input.text is not valid UTF-8", ErrMalformed)
		}
	case TypeResponseCancel, TypeInputAudioStart, TypeInputAudioStop:
	case TypeSessionUpdate:
		if c.Mode != ModeFullDuplex && c.Mode != ModeHalfDuplex {
			return Command{}, fmt.Errorf("%w: session.update \"mode\" must be %q or %q", ErrMalformed, ModeFullDuplex, ModeHalfDuplex)
		}
	default:
		return Command{}, fmt.Errorf("%w: %q", ErrUnknownType, c.Type)
	}
	return c, nil
}

// ErrorEvent turns a ParseCommand error into the error event sent back.
func ErrorEvent(err error) Event {
	code := CodeBadMessage
	switch {
	case isErr(err, ErrUnknownType):
		code = CodeUnknownType
	case isErr(err, ErrTooLarge):
		code = CodeTooLarge
	}
	return Event{Type: TypeError, Code: code, Message: err.Error()}
}
