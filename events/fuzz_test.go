package events

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParseCommand feeds arbitrary bytes as a data-channel message: no
// panic; a rejected message gets an error event with a code that matches
// the sentinel its error wraps; an accepted one has a known command type,
// satisfies that type's rules, and survives a marshal/parse round trip
// unchanged.
func FuzzParseCommand(f *testing.F) {
	f.Add([]byte(`{"type":"input.text","text":"hi"}`))
	f.Add([]byte(`{"type":"session.update","mode":"full_duplex"}`))
	f.Add([]byte(`{"type":"response.cancel"}`))
	f.Add([]byte(`{`))
	f.Add([]byte(`{"type":"input.text","text":"\ud800"}`))
	f.Add([]byte(`{"type":"bogus"} `))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCommand(data)
		if err != nil {
			if c != (Command{}) {
				t.Fatalf("error %v with command %+v", err, c)
			}
			ev := ErrorEvent(err)
			if ev.Type != TypeError || ev.Message == "" {
				t.Fatalf("error event %+v", ev)
			}
			var want string
			switch {
			case errors.Is(err, ErrUnknownType):
				want = CodeUnknownType
			case errors.Is(err, ErrTooLarge):
				want = CodeTooLarge
			case errors.Is(err, ErrMalformed):
				want = CodeBadMessage
			default:
				t.Fatalf("error %v wraps no sentinel", err)
			}
			if ev.Code != want {
				t.Fatalf("error %v has code %q, want %q", err, ev.Code, want)
			}
			return
		}
		switch c.Type {
		case TypeInputText:
			if c.Text == "" || len(c.Text) > MaxTextLen || !utf8.ValidString(c.Text) {
				t.Fatalf("accepted input.text of %d bytes, valid UTF-8 %v", len(c.Text), utf8.ValidString(c.Text))
			}
		case TypeSessionUpdate:
			if c.Mode != ModeFullDuplex && c.Mode != ModeHalfDuplex {
				t.Fatalf("accepted mode %q", c.Mode)
			}
		case TypeResponseCancel, TypeInputAudioStart, TypeInputAudioStop:
		default:
			t.Fatalf("accepted unknown type %q", c.Type)
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ParseCommand(b)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b, err)
		}
		if c2 != c {
			t.Fatalf("round trip %+v → %s → %+v", c, b, c2)
		}
	})
}
