package codec

import (
	"testing"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/realtime"
)

// FuzzDecode: any client message is a command or an answer the codec can
// encode; Decode never fails the call and never panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"session.update","session":{"type":"realtime","instructions":"x"}}`,
		`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}}`,
		`{"type":"conversation.item.retrieve","item_id":"item_1"}`,
		`{"type":"response.cancel"}`, `{"type":"response.create"}`, `{"type":"output_audio_buffer.clear"}`,
		`{"type":"conversation.item.truncate","item_id":"item_1","content_index":0,"audio_end_ms":10}`,
		`{"type":"input_audio_buffer.commit"}`, `{"type":"input_audio_buffer.clear"}`,
		`{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":null}}}}`,
		// A 1×1 PNG.
		`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAG7buVgAAAABJRU5ErkJggg=="}]}}`,
		`not json`, `{}`, `{"type":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := New(nil)
		cmd, err := c.Decode(data, true)
		if err != nil {
			t.Fatalf("Decode error %v: errors go back as error events", err)
		}
		if cmd.Kind == "" {
			t.Fatalf("empty command kind for %q", data)
		}
		if cmd.Reply != nil {
			msgs, err := c.Encode(pipeline.Reply{Payload: cmd.Reply})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				if _, err := realtime.ParseServerEvent(m); err != nil {
					t.Fatalf("reply %s does not parse: %v", m, err)
				}
			}
		}
	})
}
