package events

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want error
		code string
	}{
		{"text", `{"type":"input.text","text":"hello"}`, nil, ""},
		{"cancel", `{"type":"response.cancel"}`, nil, ""},
		{"ptt start", `{"type":"input.audio.start"}`, nil, ""},
		{"ptt stop", `{"type":"input.audio.stop"}`, nil, ""},
		{"mode", `{"type":"session.update","mode":"half_duplex"}`, nil, ""},
		{"bad mode", `{"type":"session.update","mode":"simplex"}`, ErrMalformed, CodeBadMessage},
		{"not json", `hello`, ErrMalformed, CodeBadMessage},
		{"no type", `{"text":"x"}`, ErrMalformed, CodeBadMessage},
		{"unknown type", `{"type":"launch.missiles"}`, ErrUnknownType, CodeUnknownType},
		{"unknown field", `{"type":"input.text","text":"a","x":1}`, ErrMalformed, CodeBadMessage},
		{"empty text", `{"type":"input.text","text":""}`, ErrMalformed, CodeBadMessage},
		{"long text", `{"type":"input.text","text":"` + strings.Repeat("a", MaxTextLen+1) + `"}`, ErrTooLarge, CodeTooLarge},
		{"trailing", `{"type":"response.cancel"} {}`, ErrMalformed, CodeBadMessage},
		{"array", `[1,2]`, ErrMalformed, CodeBadMessage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCommand([]byte(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseCommand(%s) err = %v, want %v", tc.in, err, tc.want)
			}
			if err == nil {
				if c.Type == "" {
					t.Fatal("parsed command has no type")
				}
				return
			}
			ev := ErrorEvent(err)
			if ev.Type != TypeError || ev.Code != tc.code || ev.Message == "" {
				t.Fatalf("ErrorEvent = %+v, want code %s", ev, tc.code)
			}
		})
	}
}

func TestEventOmitsUnsetFields(t *testing.T) {
	b, err := json.Marshal(Event{Type: TypeState, State: StateListening})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"type":"state","state":"listening"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
