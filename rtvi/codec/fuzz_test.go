package codec

import (
	"encoding/json"
	"testing"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/rtvi"
)

// FuzzDecode: any chat-channel message is a command or an RTVI answer;
// Decode never fails the call and never panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","label":"rtvi-ai","type":"client-ready","data":{"version":"2.1.0"}}`,
		`{"id":"b","label":"rtvi-ai","type":"send-text","data":{"content":"hi"}}`,
		`{"id":"c","label":"rtvi-ai","type":"client-message","data":{"t":"x","d":{}}}`,
		`{"type":"signalling","message":{"type":"trackStatus","receiver_index":1,"enabled":false}}`,
		`ping: 1`, `{}`, `null`, `{"label":"rtvi-ai","type":5}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := New(nil)
		cmd, err := c.Decode(data, true)
		if err != nil {
			t.Fatalf("Decode error %v: errors go back as RTVI messages", err)
		}
		if cmd.Kind == "" {
			t.Fatalf("empty command kind for %q", data)
		}
		if cmd.Reply == nil {
			return
		}
		bs, err := c.Encode(pipeline.Reply{Payload: cmd.Reply})
		if err != nil || len(bs) == 0 {
			t.Fatalf("reply %v: %v", cmd.Reply, err)
		}
		for _, b := range bs {
			var m rtvi.Message
			if err := json.Unmarshal(b, &m); err != nil || m.Label != rtvi.Label || m.Type == "" {
				t.Fatalf("reply %s: %v", b, err)
			}
		}
	})
}
