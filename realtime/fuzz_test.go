package realtime

import (
	"bytes"
	"errors"
	"testing"
)

// checkParsed is the fuzz invariant shared by both parsers: no panic; a
// rejection is an *Error wrapping exactly one sentinel, with a code and a
// message, that ErrorFor turns into an encodable error event; an accepted
// event has its Go type's own type name and re-encodes to a fixpoint
// (parse(marshal(ev)) marshals to the same bytes).
func checkParsed(t *testing.T, parse func([]byte) (Event, error), data []byte) {
	ev, err := parse(data)
	if err != nil {
		if ev != nil {
			t.Fatalf("error %v with event %T", err, ev)
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("error %T %v is not *Error", err, err)
		}
		n := 0
		for _, s := range []error{ErrMalformed, ErrUnknownType, ErrMissingField, ErrInvalidValue} {
			if errors.Is(err, s) {
				n++
			}
		}
		if n != 1 || pe.Code == "" || pe.Message == "" {
			t.Fatalf("error %+v: %d sentinels", pe, n)
		}
		if _, err := Marshal(ErrorFor(err), NewIDs()); err != nil {
			t.Fatalf("error event: %v", err)
		}
		return
	}
	if ev.header().Type != ev.EventType() {
		t.Fatalf("header type %q for %T", ev.header().Type, ev)
	}
	out1, err := Marshal(ev, nil)
	if err != nil {
		t.Fatalf("marshal %T: %v", ev, err)
	}
	ev2, err := parse(out1)
	if err != nil {
		t.Fatalf("re-parse of %s: %v", out1, err)
	}
	out2, err := Marshal(ev2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out1, out2) {
		t.Fatalf("not a fixpoint:\n%s\n%s", out1, out2)
	}
}

// FuzzParseClientEvent: every message a client may send on oai-events.
func FuzzParseClientEvent(f *testing.F) {
	f.Add([]byte(`{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":null}}}}`))
	f.Add([]byte(`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}}`))
	f.Add([]byte(`{"type":"conversation.item.truncate","item_id":"a","content_index":0,"audio_end_ms":10}`))
	f.Add([]byte(`{"type":"response.create","event_id":"agents_js_response_create_1"}`))
	f.Add([]byte(`{"type":"nope"}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) { checkParsed(t, ParseClientEvent, data) })
}

// FuzzParseServerEvent: every event a Realtime server may send Duplex.
func FuzzParseServerEvent(f *testing.F) {
	f.Add([]byte(`{"type":"response.audio.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"AA"}`))
	f.Add([]byte(`{"type":"conversation.item.created","event_id":"e","item":{"type":"message","role":"assistant","content":[{"type":"audio"}]}}`))
	f.Add([]byte(`{"type":"error","event_id":"e","error":{"type":"invalid_request_error","message":"m"}}`))
	f.Add([]byte(`{"type":"session.created","event_id":"e","session":{"audio":{"input":{"transcription":null}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkParsed(t, ParseServerEvent, data) })
}
