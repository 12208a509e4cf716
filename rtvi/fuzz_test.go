package rtvi

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"testing"
)

// reencode writes an accepted inbound message back to the wire.
func reencode(t *testing.T, in Inbound) []byte {
	var b []byte
	var err error
	switch m := in.(type) {
	case *Ping:
		b = []byte("ping: " + strconv.FormatInt(m.Millis, 10))
	case *Signalling:
		b = EncodeSignalling(m.Message)
	case *ClientReady:
		b, err = Encode(TypeClientReady, m.ID, m.Data)
	case *SendText:
		b, err = Encode(TypeSendText, m.ID, m.Data)
	case *ClientMsg:
		b, err = Encode(TypeClientMessage, m.ID, m.Data)
	case *DisconnectBot:
		b, err = Encode(TypeDisconnectBot, m.ID, nil)
	case *DTMF:
		b, err = Encode(TypeDTMF, m.ID, m.Data)
	default:
		t.Fatalf("unexpected inbound %T", in)
	}
	if err != nil {
		t.Fatalf("encode %T: %v", in, err)
	}
	return b
}

// FuzzParse feeds arbitrary chat-channel messages: no panic; a rejection
// is an *Error with exactly one sentinel whose Reply is an RTVI error or
// error-response echoing the id; an accepted message survives a
// re-encode/parse round trip unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`ping: 1733456789000`))
	f.Add([]byte(`{"type":"signalling","message":{"type":"trackStatus","receiver_index":0,"enabled":true}}`))
	f.Add([]byte(`{"id":"a","label":"rtvi-ai","type":"client-ready","data":{"version":"2.1.0","about":{"library":"x"}}}`))
	f.Add([]byte(`{"id":"b","label":"rtvi-ai","type":"send-text","data":{"content":"hi","options":{"audio_response":false}}}`))
	f.Add([]byte(`{"id":"c","label":"rtvi-ai","type":"client-message","data":{"t":"x","d":null}}`))
	f.Add([]byte(`{"id":"d","label":"rtvi-ai","type":"dtmf","data":{"buttons":["*"]}}`))
	f.Add([]byte(`{"id":"e","label":"rtvi-ai","type":"nope"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Parse(data)
		if err != nil {
			var pe *Error
			if in != nil || !errors.As(err, &pe) {
				t.Fatalf("%T %v", in, err)
			}
			n := 0
			for _, s := range []error{ErrMalformed, ErrUnknownType, ErrMissingField, ErrInvalidValue} {
				if errors.Is(err, s) {
					n++
				}
			}
			var reply Message
			if n != 1 || pe.Message == "" || json.Unmarshal(pe.Reply(), &reply) != nil || reply.Label != Label || reply.ID != pe.ID ||
				(reply.Type != TypeError && reply.Type != TypeErrorResponse) {
				t.Fatalf("error %+v (%d sentinels), reply %s", pe, n, pe.Reply())
			}
			return
		}
		again, err := Parse(reencode(t, in))
		if err != nil {
			t.Fatalf("re-parse of %s: %v", reencode(t, in), err)
		}
		// Raw JSON fields may differ in spacing; compare them re-encoded.
		if !reflect.DeepEqual(reencode(t, again), reencode(t, in)) {
			t.Fatalf("round trip changed %#v into %#v", in, again)
		}
	})
}
