package codec

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"reflect"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/realtime"
)

// manualCodec is a codec whose client switched turn detection off.
func manualCodec(t *testing.T, seen map[string]bool) *Codec {
	t.Helper()
	c := New(nil)
	cmd := decode(t, c, `{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":null}}}}`)
	if cmd.Kind != pipeline.CmdConfigure || cmd.ClientTurns == nil || !*cmd.ClientTurns {
		t.Fatalf("%+v", cmd)
	}
	replies(t, c, seen, cmd)
	return c
}

func TestClientCommittedTurn(t *testing.T) {
	seen := map[string]bool{}
	c := manualCodec(t, seen)
	// Nothing spoken yet: the commit is empty.
	cmd := decode(t, c, `{"type":"input_audio_buffer.commit","event_id":"c0"}`)
	r := replies(t, c, seen, cmd)
	if cmd.Kind != pipeline.CmdReply || len(r) != 1 || r[0].(*realtime.ErrorEvent).Error.Code != realtime.CodeCommitEmpty || r[0].(*realtime.ErrorEvent).Error.EventID != "c0" {
		t.Fatalf("empty commit: %+v %v", cmd, r)
	}
	// Speech: no server VAD events without turn detection.
	if got := run(t, c, seen, pipeline.StateChanged{State: pipeline.StateUserSpeaking}); len(got) != 0 {
		t.Fatalf("speech_started sent with turn_detection null: %v", types(got))
	}
	cmd = decode(t, c, `{"type":"input_audio_buffer.commit","event_id":"c1"}`)
	r = replies(t, c, seen, cmd)
	if cmd.Kind != pipeline.CmdInputAudioCommit || !reflect.DeepEqual(types(r), []string{"input_audio_buffer.committed"}) {
		t.Fatalf("commit: %+v %v", cmd, types(r))
	}
	item := r[0].(*realtime.InputAudioBufferCommitted).ItemID
	// A second commit with nothing new is empty.
	if r := replies(t, c, seen, decode(t, c, `{"type":"input_audio_buffer.commit"}`)); r[0].(*realtime.ErrorEvent).Error.Code != realtime.CodeCommitEmpty {
		t.Fatalf("second commit: %v", r)
	}
	// The transcript: the item, but no response until the client asks.
	got := run(t, c, seen, pipeline.StateChanged{State: pipeline.StateThinking},
		pipeline.TranscriptFinal{TurnID: 1, Text: "what time is it"},
		pipeline.StateChanged{State: pipeline.StateListening, TurnID: 1})
	if want := []string{"conversation.item.added", "conversation.item.done", "conversation.item.input_audio_transcription.completed"}; !reflect.DeepEqual(types(got), want) {
		t.Fatalf("got %v, want %v", types(got), want)
	}
	if got[1].(*realtime.ConversationItemDone).Item.ID != item {
		t.Fatalf("item %s, committed %s", got[1].(*realtime.ConversationItemDone).Item.ID, item)
	}
	cmd = decode(t, c, `{"type":"response.create","event_id":"r1"}`)
	if cmd.Kind != pipeline.CmdResponseCreate {
		t.Fatalf("response.create: %+v", cmd)
	}
	// A second one before the first is answered is refused.
	r = replies(t, c, seen, decode(t, c, `{"type":"response.create","event_id":"r2"}`))
	if o := r[0].(*realtime.ErrorEvent).Error; o.Code != realtime.CodeActiveResponse || o.EventID != "r2" {
		t.Fatalf("second response.create: %+v", o)
	}
	got = run(t, c, seen, pipeline.ReplyDelta{TurnID: 1, Text: "Noon."}, pipeline.ReplyDone{TurnID: 1, Text: "Noon."})
	if types(got)[0] != "response.created" || types(got)[len(got)-1] != "response.done" {
		t.Fatalf("reply: %v", types(got))
	}
	// The pipeline cannot answer: the error names the response.create.
	decode(t, c, `{"type":"response.create","event_id":"r3"}`)
	got = run(t, c, seen, pipeline.Error{Code: pipeline.CodeBadMessage, Message: "response.create: no user turn to answer"})
	if o := got[0].(*realtime.ErrorEvent).Error; o.EventID != "r3" || o.Code != realtime.CodeInvalidValue {
		t.Fatalf("%+v", o)
	}
}

func TestClientCommitEmptyTranscript(t *testing.T) {
	seen := map[string]bool{}
	c := manualCodec(t, seen)
	run(t, c, seen, pipeline.StateChanged{State: pipeline.StateUserSpeaking})
	r := replies(t, c, seen, decode(t, c, `{"type":"input_audio_buffer.commit"}`))
	item := r[0].(*realtime.InputAudioBufferCommitted).ItemID
	if got := run(t, c, seen, pipeline.StateChanged{State: pipeline.StateThinking}, pipeline.StateChanged{State: pipeline.StateListening}); len(got) != 0 {
		t.Fatalf("events before the transcript: %v", types(got))
	}
	got := run(t, c, seen, pipeline.NothingHeard{})
	if len(got) != 3 || got[1].(*realtime.ConversationItemDone).Item.ID != item || *got[1].(*realtime.ConversationItemDone).Item.Content[0].Transcript != "" {
		t.Fatalf("committed speech with no words: %v", types(got))
	}
}

// The user speaks again before the committed turn's transcript is back:
// the transcript goes to the committed item, the new speech is a new one.
func TestClientSpeaksAgainBeforeTranscript(t *testing.T) {
	seen := map[string]bool{}
	c := manualCodec(t, seen)
	run(t, c, seen, pipeline.StateChanged{State: pipeline.StateUserSpeaking})
	first := replies(t, c, seen, decode(t, c, `{"type":"input_audio_buffer.commit"}`))[0].(*realtime.InputAudioBufferCommitted).ItemID
	run(t, c, seen, pipeline.StateChanged{State: pipeline.StateThinking}, pipeline.StateChanged{State: pipeline.StateUserSpeaking})
	got := run(t, c, seen, pipeline.TranscriptFinal{TurnID: 1, Text: "hello"})
	if want := []string{"conversation.item.added", "conversation.item.done", "conversation.item.input_audio_transcription.completed"}; !reflect.DeepEqual(types(got), want) || got[1].(*realtime.ConversationItemDone).Item.ID != first {
		t.Fatalf("got %v for item %s", types(got), first)
	}
	r := replies(t, c, seen, decode(t, c, `{"type":"input_audio_buffer.commit"}`))
	if second, ok := r[0].(*realtime.InputAudioBufferCommitted); !ok || second.ItemID == first || second.PreviousItemID == nil || *second.PreviousItemID != first {
		t.Fatalf("second commit %+v", r[0])
	}
}

func TestClearAndServerTurnsAgain(t *testing.T) {
	seen := map[string]bool{}
	c := manualCodec(t, seen)
	run(t, c, seen, pipeline.StateChanged{State: pipeline.StateUserSpeaking})
	cmd := decode(t, c, `{"type":"input_audio_buffer.clear"}`)
	if cmd.Kind != pipeline.CmdInputAudioClear || !reflect.DeepEqual(types(replies(t, c, seen, cmd)), []string{"input_audio_buffer.cleared"}) {
		t.Fatalf("clear: %+v", cmd)
	}
	if r := replies(t, c, seen, decode(t, c, `{"type":"input_audio_buffer.commit"}`)); r[0].(*realtime.ErrorEvent).Error.Code != realtime.CodeCommitEmpty {
		t.Fatalf("commit after clear: %v", r)
	}
	cmd = decode(t, c, `{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad"}}}}}`)
	if cmd.Kind != pipeline.CmdConfigure || cmd.ClientTurns == nil || *cmd.ClientTurns {
		t.Fatalf("back to server_vad: %+v", cmd)
	}
	replies(t, c, seen, cmd)
	got := run(t, c, seen, spokenTurn...)
	if types(got)[0] != "input_audio_buffer.speech_started" || !contains(types(got), "response.created") {
		t.Fatalf("server turn: %v", types(got))
	}
}

func TestOpenClientTurnsFromMintedSession(t *testing.T) {
	c := New(&realtime.Session{Audio: &realtime.SessionAudio{Input: &realtime.AudioInput{TurnDetection: realtime.Null[realtime.TurnDetection]()}}})
	cmds := c.Open()
	if len(cmds) != 1 || cmds[0].ClientTurns == nil || !*cmds[0].ClientTurns {
		t.Fatalf("%+v", cmds)
	}
}

func pngURL(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}

func TestInputImage(t *testing.T) {
	seen := map[string]bool{}
	c := New(nil)
	// A picture alone: an item, and the still for the next turn, scaled to fit 1200×800.
	cmd := decode(t, c, `{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_image","image_url":"`+pngURL(t, 1600, 400)+`"}]}}`)
	if cmd.Kind != pipeline.CmdInputImage || cmd.Image == nil {
		t.Fatalf("%+v", cmd)
	}
	if b := cmd.Image.Image.Bounds(); b.Dx() != 1200 || b.Dy() != 300 {
		t.Fatalf("scaled to %v, want 1200×300", b)
	}
	r := replies(t, c, seen, cmd)
	if !reflect.DeepEqual(types(r), []string{"conversation.item.added", "conversation.item.done"}) || r[1].(*realtime.ConversationItemDone).Item.Content[0].Type != realtime.PartInputImage {
		t.Fatalf("%v", types(r))
	}
	// With text: a typed turn carrying the picture.
	cmd = decode(t, c, `{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"what is this"},{"type":"input_image","image_url":"`+pngURL(t, 64, 48)+`"}]}}`)
	if cmd.Kind != pipeline.CmdInputText || cmd.Text != "what is this" || cmd.Image == nil || cmd.Image.Image.Bounds().Dx() != 64 {
		t.Fatalf("%+v", cmd)
	}
	got := run(t, c, seen, pipeline.TranscriptFinal{TurnID: 1, Text: "what is this"})
	if parts := got[1].(*realtime.ConversationItemDone).Item.Content; len(parts) != 2 || parts[1].Type != realtime.PartInputImage {
		t.Fatalf("%+v", parts)
	}
}

func TestBadInputImage(t *testing.T) {
	seen := map[string]bool{}
	c := New(nil)
	huge := func() string { // a 1×1 PNG whose header claims 5000×5000
		var b bytes.Buffer
		_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
		raw := b.Bytes()
		binary.BigEndian.PutUint32(raw[16:], 5000) // IHDR width
		binary.BigEndian.PutUint32(raw[20:], 5000) // IHDR height
		binary.BigEndian.PutUint32(raw[29:], crc32.ChecksumIEEE(raw[12:29]))
		return "data:image/png;base64," + base64.StdEncoding.EncodeToString(raw)
	}()
	for name, url := range map[string]string{
		"not a data URL": "https://example.com/x.png",
		"gif":            "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
		"bad base64":     "data:image/png;base64,!!!",
		"not a png":      "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("hello")),
		"too large":      huge,
		"no base64":      "data:image/png,abc",
	} {
		cmd := decode(t, c, `{"type":"conversation.item.create","event_id":"e1","item":{"type":"message","role":"user","content":[{"type":"input_image","image_url":"`+url+`"}]}}`)
		r := replies(t, c, seen, cmd)
		if cmd.Kind != pipeline.CmdReply || len(r) != 1 {
			t.Fatalf("%s: %+v", name, cmd)
		}
		o := r[0].(*realtime.ErrorEvent).Error
		if o.Code != realtime.CodeInvalidValue || o.EventID != "e1" || !strings.Contains(o.Param, "image_url") {
			t.Fatalf("%s: %+v", name, o)
		}
		if name == "too large" && !strings.Contains(o.Message, "5000×5000") {
			t.Fatalf("too large: %q, want the size refused before decoding", o.Message)
		}
	}
}
