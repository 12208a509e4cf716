package fakerealtime

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"

	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/tts/espeak"
)

// TestTranscriptionSession speaks to a transcription session as raw
// JSON: the session it reports, error events naming the bad event, and a
// commit's events in order with their required fields.
func TestTranscriptionSession(t *testing.T) {
	v, err := espeak.New(espeak.Options{})
	if err != nil {
		t.Skip("espeak-ng:", err)
	}
	defer v.Close()
	s := Start(Options{TTS: v, TranscribeDelay: 30 * time.Millisecond})
	defer s.Close()
	s.SetTranscript("what time is it")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.URL()+"?intent=transcription", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	send := func(msg string) {
		t.Helper()
		if err := ws.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	next := func() map[string]any {
		t.Helper()
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if id, _ := m["event_id"].(string); id == "" {
			t.Fatalf("no event_id: %s", b)
		}
		return m
	}
	expect := func(typ string, fields ...string) map[string]any {
		t.Helper()
		m := next()
		if m["type"] != typ {
			t.Fatalf("got %v, want %s", m, typ)
		}
		for _, f := range fields {
			if _, ok := m[f]; !ok {
				t.Fatalf("%s without %s: %v", typ, f, m)
			}
		}
		return m
	}
	m := expect("session.created", "session")
	if se := m["session"].(map[string]any); se["type"] != "transcription" {
		t.Fatalf("session %v", se)
	}
	send(`{"type":"session.update","session":{"type":"transcription","audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"transcription":{"model":"gpt-4o-transcribe"},"turn_detection":null}}}}`)
	expect("session.updated", "session")
	for _, bad := range []struct{ msg, code string }{
		{`{"type":"input_audio_buffer.append","event_id":"e1","audio":"!!"}`, wire.CodeInvalidValue},
		{`{"type":"response.create","event_id":"e2"}`, wire.CodeUnsupported},
		{`{"type":"session.update","event_id":"e3","session":{"type":"realtime"}}`, wire.CodeInvalidValue},
		{`{"type":"input_audio_buffer.commit","event_id":"e4"}`, wire.CodeCommitEmpty},
	} {
		send(bad.msg)
		m := expect("error", "error")
		var sent map[string]any
		_ = json.Unmarshal([]byte(bad.msg), &sent)
		if e := m["error"].(map[string]any); e["code"] != bad.code || e["event_id"] != sent["event_id"] {
			t.Fatalf("%s: error %v", bad.msg, e)
		}
	}
	send(`{"type":"input_audio_buffer.append","audio":"` + wire.EncodePCM(make([]int16, SampleRate/5)) + `"}`)
	send(`{"type":"input_audio_buffer.commit"}`)
	item := expect("input_audio_buffer.committed", "item_id", "previous_item_id")["item_id"]
	expect("conversation.item.added", "item", "previous_item_id")
	var words string
	for {
		m := next()
		if m["item_id"] != item || m["content_index"] != 0.0 {
			t.Fatalf("event %v for item %v", m, item)
		}
		if m["type"] == "conversation.item.input_audio_transcription.completed" {
			if m["transcript"] != "what time is it" || words != "what time is it" || m["usage"] == nil {
				t.Fatalf("completed %v after deltas %q", m, words)
			}
			break
		}
		if m["type"] != "conversation.item.input_audio_transcription.delta" {
			t.Fatalf("got %v", m)
		}
		words += m["delta"].(string)
	}
	expect("conversation.item.done", "item")
}
