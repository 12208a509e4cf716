package codec

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/realtime"
)

// run encodes evs and returns the server events, checking that each parses
// as a server event and that every event_id is unique.
func run(t *testing.T, c *Codec, seen map[string]bool, evs ...pipeline.Event) []realtime.Event {
	t.Helper()
	var out []realtime.Event
	for _, ev := range evs {
		msgs, err := c.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			e, err := realtime.ParseServerEvent(m)
			if err != nil {
				t.Fatalf("%s: %v", m, err)
			}
			var h struct {
				EventID string `json:"event_id"`
			}
			_ = json.Unmarshal(m, &h)
			if h.EventID == "" || seen[h.EventID] {
				t.Fatalf("event_id %q missing or repeated: %s", h.EventID, m)
			}
			seen[h.EventID] = true
			out = append(out, e)
		}
	}
	return out
}

func types(evs []realtime.Event) []string {
	var ts []string
	for _, e := range evs {
		ts = append(ts, e.EventType())
	}
	return ts
}

func decode(t *testing.T, c *Codec, msg string) pipeline.Command {
	t.Helper()
	cmd, err := c.Decode([]byte(msg), true)
	if err != nil {
		t.Fatalf("Decode(%s): %v", msg, err)
	}
	return cmd
}

// replies returns the events a command's Reply carries, encoded.
func replies(t *testing.T, c *Codec, seen map[string]bool, cmd pipeline.Command) []realtime.Event {
	t.Helper()
	if cmd.Reply == nil {
		return nil
	}
	return run(t, c, seen, pipeline.Reply{Payload: cmd.Reply})
}

var spokenTurn = []pipeline.Event{
	pipeline.StateChanged{State: pipeline.StateUserSpeaking},
	pipeline.StateChanged{State: pipeline.StateThinking},
	pipeline.TranscriptPartial{TurnID: 1, Text: "what"},
	pipeline.TranscriptFinal{TurnID: 1, Text: "what time is it"},
	pipeline.ReplyDelta{TurnID: 1, Text: "It is "},
	pipeline.StateChanged{State: pipeline.StateSpeaking, TurnID: 1},
	pipeline.ReplyDelta{TurnID: 1, Text: "noon."},
	pipeline.TurnMetrics{TurnID: 1},
	pipeline.ReplyDone{TurnID: 1, Text: "It is noon."},
	pipeline.StateChanged{State: pipeline.StateListening, TurnID: 1},
}

func TestSpokenTurnOrder(t *testing.T) {
	c, seen := New(nil), map[string]bool{}
	got := run(t, c, seen, append([]pipeline.Event{pipeline.Ready{}}, spokenTurn...)...)
	want := []string{
		"session.created",
		"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
		"conversation.item.input_audio_transcription.delta",
		"input_audio_buffer.committed", "conversation.item.added", "conversation.item.done",
		"conversation.item.input_audio_transcription.completed",
		"response.created", "response.output_item.added", "conversation.item.added", "response.content_part.added",
		"response.output_audio_transcript.delta", "output_audio_buffer.started", "response.output_audio_transcript.delta",
		"response.output_audio.done", "response.output_audio_transcript.done", "response.content_part.done",
		"response.output_item.done", "conversation.item.done", "response.done", "output_audio_buffer.stopped",
	}
	if !reflect.DeepEqual(types(got), want) {
		t.Fatalf("events\n got %v\nwant %v", types(got), want)
	}
	user := got[5].(*realtime.ConversationItemAdded).Item
	if user.Content[0].Type != realtime.PartInputAudio || user.Content[0].Transcript != nil {
		t.Fatalf("user item added %+v: want input_audio with a null transcript", user)
	}
	b, _ := json.Marshal(user)
	if !strings.Contains(string(b), `"transcript":null`) {
		t.Fatalf("user item %s lacks the transcript key", b)
	}
	if tr := got[7].(*realtime.InputTranscriptionCompleted); tr.Transcript != "what time is it" || tr.ItemID != user.ID {
		t.Fatalf("transcription %+v", tr)
	}
	asst := got[10].(*realtime.ConversationItemAdded)
	if asst.PreviousItemID == nil || *asst.PreviousItemID != user.ID {
		t.Fatalf("assistant item follows %v, want %s", asst.PreviousItemID, user.ID)
	}
	done := got[20].(*realtime.ResponseDone)
	if done.Response.Status != realtime.StatusCompleted || *done.Response.Output[0].Content[0].Transcript != "It is noon." {
		t.Fatalf("response.done %+v", done.Response)
	}
	// The client retrieves the user item after the transcription.
	r := replies(t, c, seen, decode(t, c, `{"type":"conversation.item.retrieve","item_id":"`+user.ID+`"}`))
	if it := r[0].(*realtime.ConversationItemRetrieved).Item; *it.Content[0].Transcript != "what time is it" {
		t.Fatalf("retrieved %+v", it)
	}
}

func TestBargeIn(t *testing.T) {
	c, seen := New(nil), map[string]bool{}
	run(t, c, seen, spokenTurn[:7]...)
	got := run(t, c, seen,
		pipeline.StateChanged{State: pipeline.StateUserSpeaking},
		pipeline.StateChanged{State: pipeline.StateThinking},
		pipeline.ReplyInterrupted{TurnID: 1, Text: "It is noon.", Heard: "It is", PlayedMS: 640},
		pipeline.TranscriptFinal{TurnID: 2, Text: "stop"},
	)
	want := []string{
		"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
		"output_audio_buffer.cleared",
		"response.output_audio.done", "response.output_audio_transcript.done", "response.content_part.done",
		"response.output_item.done", "conversation.item.done", "response.done", "conversation.item.truncated",
		"input_audio_buffer.committed", "conversation.item.added", "conversation.item.done",
		"conversation.item.input_audio_transcription.completed",
		"response.created", "response.output_item.added", "conversation.item.added", "response.content_part.added",
	}
	if !reflect.DeepEqual(types(got), want) {
		t.Fatalf("events\n got %v\nwant %v", types(got), want)
	}
	done := got[8].(*realtime.ResponseDone).Response
	if done.Status != realtime.StatusCancelled || done.StatusDetails.Reason != "turn_detected" {
		t.Fatalf("response.done %+v", done)
	}
	tr := got[9].(*realtime.ConversationItemTruncated)
	if tr.AudioEndMs != 640 {
		t.Fatalf("truncated %+v", tr)
	}
	r := replies(t, c, seen, decode(t, c, `{"type":"conversation.item.retrieve","item_id":"`+tr.ItemID+`"}`))
	it := r[0].(*realtime.ConversationItemRetrieved).Item
	if *it.Content[0].Transcript != "It is" || it.Status != realtime.StatusIncomplete {
		t.Fatalf("retrieved %+v: want what was heard", it)
	}
}

func TestCancelByClient(t *testing.T) {
	c, seen := New(nil), map[string]bool{}
	if cmd := decode(t, c, `{"type":"response.cancel","event_id":"c1"}`); cmd.Kind != pipeline.CmdReply {
		t.Fatalf("cancel with no response: %+v", cmd)
	} else if e := replies(t, c, seen, cmd)[0].(*realtime.ErrorEvent); e.Error.Code != realtime.CodeCancelNotActive || e.Error.EventID != "c1" {
		t.Fatalf("error %+v", e.Error)
	}
	run(t, c, seen, spokenTurn[:6]...)
	if cmd := decode(t, c, `{"type":"response.cancel"}`); cmd.Kind != pipeline.CmdResponseCancel {
		t.Fatalf("cancel: %+v", cmd)
	}
	if cmd := decode(t, c, `{"type":"output_audio_buffer.clear"}`); cmd.Kind != pipeline.CmdResponseCancel {
		t.Fatalf("clear: %+v", cmd)
	}
	got := run(t, c, seen, pipeline.ReplyInterrupted{TurnID: 1, Heard: "It"})
	done := got[6].(*realtime.ResponseDone).Response
	if done.StatusDetails.Reason != "client_cancelled" {
		t.Fatalf("response.done %+v", done)
	}
}

func TestTypedInput(t *testing.T) {
	c, seen := New(nil), map[string]bool{}
	cmd := decode(t, c, `{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hello there"}]}}`)
	if cmd.Kind != pipeline.CmdInputText || cmd.Text != "hello there" {
		t.Fatalf("%+v", cmd)
	}
	if cmd := decode(t, c, `{"type":"response.create","event_id":"agents_js_response_create_1"}`); cmd.Kind != pipeline.CmdReply || cmd.Reply == nil {
		t.Fatalf("response.create after typed item: %+v", cmd)
	} else if r := replies(t, c, seen, cmd); len(r) != 0 {
		t.Fatalf("response.create answered with %v; the typed turn's response answers it", types(r))
	}
	got := run(t, c, seen, pipeline.StateChanged{State: pipeline.StateThinking}, pipeline.TranscriptFinal{TurnID: 1, Text: "hello there"})
	if types(got)[0] != "conversation.item.added" || types(got)[2] != "response.created" {
		t.Fatalf("%v", types(got))
	}
	if p := got[0].(*realtime.ConversationItemAdded).Item.Content[0]; p.Type != realtime.PartInputText || p.Text != "hello there" {
		t.Fatalf("part %+v", p)
	}
	// A reply that ends before the client's response.create arrives still
	// answers it; a second response.create has nothing to answer.
	decode(t, c, `{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"again"}]}}`)
	run(t, c, seen, pipeline.TranscriptFinal{TurnID: 2, Text: "again"}, pipeline.ReplyDone{TurnID: 2, Text: "Okay."})
	if r := replies(t, c, seen, decode(t, c, `{"type":"response.create","event_id":"rc2"}`)); len(r) != 0 {
		t.Fatalf("late response.create answered with %v", types(r))
	}
	if r := replies(t, c, seen, decode(t, c, `{"type":"response.create","event_id":"rc3"}`)); len(r) != 1 || r[0].(*realtime.ErrorEvent).Error.EventID != "rc3" {
		t.Fatalf("response.create with no input: %v", types(r))
	}
}

func TestSessionUpdate(t *testing.T) {
	c, seen := New(nil), map[string]bool{}
	// The Agents SDK's first message.
	cmd := decode(t, c, `{"type":"session.update","session":{"type":"realtime","instructions":"Be brief.","model":"gpt-realtime-2.1","output_modalities":["audio"],"audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"noise_reduction":null,"transcription":{"model":"gpt-4o-mini-transcribe"},"turn_detection":{"type":"semantic_vad"}},"output":{"format":{"type":"audio/pcm","rate":24000},"speed":1}}}}`)
	if cmd.Kind != pipeline.CmdConfigure || *cmd.Instructions != "Be brief." || cmd.Turn != nil {
		t.Fatalf("%+v", cmd)
	}
	r := replies(t, c, seen, cmd)
	if !reflect.DeepEqual(types(r), []string{"session.updated"}) {
		t.Fatalf("%v", types(r))
	}
	if s := r[0].(*realtime.SessionUpdated).Session; *s.Instructions != "Be brief." {
		t.Fatalf("%+v", s)
	}
	// The tracing update: nothing changes but the client still gets its answer.
	cmd = decode(t, c, `{"type":"session.update","session":{"type":"realtime","tracing":"auto"}}`)
	if cmd.Kind != pipeline.CmdReply || !reflect.DeepEqual(types(replies(t, c, seen, cmd)), []string{"session.updated"}) {
		t.Fatalf("%+v", cmd)
	}
	// server_vad parameters tune the detector; semantic_vad eagerness the silence.
	cmd = decode(t, c, `{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","threshold":0.6,"prefix_padding_ms":200,"silence_duration_ms":700}}}}}`)
	if cmd.Kind != pipeline.CmdConfigure || cmd.Instructions != nil || *cmd.Turn != (pipeline.TurnSettings{Threshold: 0.6, PrefixPadding: 200 * time.Millisecond, Silence: 700 * time.Millisecond}) {
		t.Fatalf("%+v", cmd)
	}
	r = replies(t, c, seen, cmd)
	if td := r[0].(*realtime.SessionUpdated).Session.Audio.Input.TurnDetection; td.Value == nil || *td.Value.SilenceDurationMs != 700 {
		t.Fatalf("session.updated turn_detection %+v", td)
	}
	cmd = decode(t, c, `{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":{"type":"semantic_vad","eagerness":"high"}}}}}`)
	if cmd.Kind != pipeline.CmdConfigure || cmd.Turn.Silence != eagerHighSilence {
		t.Fatalf("%+v", cmd)
	}
	cmd = decode(t, c, `{"type":"session.update","event_id":"u3","session":{"type":"realtime","audio":{"input":{"turn_detection":null},"output":{"voice":"marin"}}}}`)
	if cmd.Kind != pipeline.CmdConfigure || cmd.ClientTurns == nil || !*cmd.ClientTurns {
		t.Fatalf("turn_detection null: %+v", cmd)
	}
	r = replies(t, c, seen, cmd)
	if !reflect.DeepEqual(types(r), []string{"error", "session.updated"}) {
		t.Fatalf("%v", types(r))
	}
	if td := r[1].(*realtime.SessionUpdated).Session.Audio.Input.TurnDetection; !td.IsNull() {
		t.Fatalf("session.updated turn_detection %+v, want null", td)
	}
	for _, e := range r[:1] {
		if o := e.(*realtime.ErrorEvent).Error; o.Code != realtime.CodeUnsupported || o.EventID != "u3" || o.Param == "" {
			t.Fatalf("%+v", o)
		}
	}
}

func TestBadClientEvents(t *testing.T) {
	c, seen := New(nil), map[string]bool{}
	for msg, code := range map[string]string{
		`not json`:                 realtime.CodeInvalidJSON,
		`{"type":"no.such.event"}`: realtime.CodeUnknownEvent,
		`{"type":"input_audio_buffer.append","audio":"AAAA"}`:      realtime.CodeUnsupported,
		`{"type":"conversation.item.retrieve","item_id":"item_x"}`: realtime.CodeItemNotFound,
		`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,AAAA"}]}}`: realtime.CodeInvalidValue,
	} {
		cmd, err := c.Decode([]byte(msg), true)
		if err != nil || cmd.Kind != pipeline.CmdReply {
			t.Fatalf("%s: %+v %v", msg, cmd, err)
		}
		r := replies(t, c, seen, cmd)
		if len(r) != 1 || r[0].(*realtime.ErrorEvent).Error.Code != code {
			t.Fatalf("%s: %v, want one error %s", msg, r, code)
		}
	}
	cmd, _ := c.Decode([]byte{0, 1}, false)
	if r := replies(t, c, seen, cmd); r[0].(*realtime.ErrorEvent).Error.Code != realtime.CodeInvalidJSON {
		t.Fatalf("binary: %v", r)
	}
}

func TestDefaultsFromMintedSession(t *testing.T) {
	c := New(&realtime.Session{Instructions: ptr("Speak French.")})
	if c.Instructions() != "Speak French." {
		t.Fatal(c.Instructions())
	}
	got := run(t, c, map[string]bool{}, pipeline.Ready{})
	if s := got[0].(*realtime.SessionCreated).Session; s.Instructions == nil || *s.Instructions != "Speak French." {
		t.Fatalf("%+v", s)
	}
}

func TestOpenAppliesMintedInstructions(t *testing.T) {
	if cmds := New(nil).Open(); len(cmds) != 0 {
		t.Fatalf("%+v", cmds)
	}
	cmds := New(&realtime.Session{Instructions: ptr("Speak French.")}).Open()
	if len(cmds) != 1 || cmds[0].Kind != pipeline.CmdConfigure || *cmds[0].Instructions != "Speak French." {
		t.Fatalf("%+v", cmds)
	}
}

func TestOpenAppliesMintedTurnDetection(t *testing.T) {
	silence := 900
	c := New(&realtime.Session{Audio: &realtime.SessionAudio{Input: &realtime.AudioInput{
		TurnDetection: realtime.Some(realtime.TurnDetection{Type: realtime.TurnServerVAD, SilenceDurationMs: &silence})}}})
	cmds := c.Open()
	if len(cmds) != 1 || cmds[0].Instructions != nil || cmds[0].Turn == nil || cmds[0].Turn.Silence != 900*time.Millisecond {
		t.Fatalf("%+v", cmds)
	}
	got := run(t, c, map[string]bool{}, pipeline.Ready{})
	if td := got[0].(*realtime.SessionCreated).Session.Audio.Input.TurnDetection; td.Value == nil || *td.Value.SilenceDurationMs != 900 {
		t.Fatalf("session.created turn_detection %+v", td)
	}
}

// Encode (the event writer's goroutine) and Decode (the data channel's)
// share the session object: under -race this fails if either reads it
// unguarded.
func TestEncodeDecodeConcurrently(t *testing.T) {
	c := New(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			if _, err := c.Decode([]byte(`{"type":"session.update","session":{"type":"realtime","instructions":"Be brief.","audio":{"input":{"turn_detection":{"type":"server_vad","threshold":0.6}}}}}`), true); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < 200; i++ {
		if _, err := c.Encode(pipeline.Ready{CallID: "c", Mode: pipeline.ModeFullDuplex, Pipeline: "assistant"}); err != nil {
			t.Fatal(err)
		}
	}
	<-done
}
