package codec

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/rtvi"
)

func encode(t *testing.T, c *Codec, evs ...pipeline.Event) []rtvi.Message {
	t.Helper()
	var out []rtvi.Message
	for _, ev := range evs {
		bs, err := c.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			var m rtvi.Message
			if err := json.Unmarshal(b, &m); err != nil || m.Label != rtvi.Label {
				t.Fatalf("%s: %v", b, err)
			}
			out = append(out, m)
		}
	}
	return out
}

func types(ms []rtvi.Message) []string {
	var ts []string
	for _, m := range ms {
		ts = append(ts, m.Type)
	}
	return ts
}

func TestTurnAndBargeIn(t *testing.T) {
	at := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	c := New(func() time.Time { return at })
	got := encode(t, c,
		pipeline.Ready{},
		pipeline.StateChanged{State: pipeline.StateListening},
		pipeline.StateChanged{State: pipeline.StateUserSpeaking},
		pipeline.TranscriptPartial{Text: "what"},
		pipeline.StateChanged{State: pipeline.StateThinking},
		pipeline.TranscriptFinal{TurnID: 1, Text: "what time is it"},
		pipeline.ReplyDelta{TurnID: 1, Text: "It is noon."},
		pipeline.StateChanged{State: pipeline.StateSpeaking},
		pipeline.TurnMetrics{TurnID: 1, Metrics: pipeline.Metrics{LatencyMS: 500, STTMS: 100}},
		pipeline.ReplyDelta{TurnID: 1, Text: "Anything else?"},
		// The user speaks over the reply.
		pipeline.StateChanged{State: pipeline.StateUserSpeaking},
		pipeline.StateChanged{State: pipeline.StateThinking},
		pipeline.ReplyInterrupted{TurnID: 1, Heard: "It is noon."},
	)
	want := []string{
		"user-started-speaking", "user-transcription", "user-stopped-speaking", "user-transcription",
		"bot-llm-started", "bot-tts-started", "bot-llm-text", "bot-tts-text", "bot-output",
		"bot-started-speaking", "metrics", "bot-llm-text", "bot-tts-text", "bot-output",
		"user-started-speaking", "bot-stopped-speaking", "user-stopped-speaking", "bot-llm-stopped", "bot-tts-stopped",
	}
	if !reflect.DeepEqual(types(got), want) {
		t.Fatalf("messages\n got %v\nwant %v", types(got), want)
	}
	var tr rtvi.TranscriptData
	_ = json.Unmarshal(got[3].Data, &tr)
	if !tr.Final || tr.Text != "what time is it" || tr.Timestamp != "2026-12-06T05:00:00Z" {
		t.Fatalf("%+v", tr)
	}
	var out rtvi.BotOutputData
	_ = json.Unmarshal(got[13].Data, &out)
	if out.Text != "Anything else?" || *out.SegmentID != 2 || out.SpokenStatus != rtvi.SpokenNew {
		t.Fatalf("%+v", out)
	}
	var m rtvi.MetricsData
	_ = json.Unmarshal(got[10].Data, &m)
	if m.Processing[1].Value != 0.5 || m.TTFB[0].Value != 0.1 {
		t.Fatalf("%+v", m)
	}
	// A finished reply closes its brackets once.
	got = encode(t, c, pipeline.TranscriptFinal{TurnID: 2, Text: "stop"}, pipeline.ReplyDelta{Text: "OK."},
		pipeline.StateChanged{State: pipeline.StateSpeaking}, pipeline.ReplyDone{Text: "OK."}, pipeline.StateChanged{State: pipeline.StateListening})
	want = []string{"user-transcription", "bot-llm-started", "bot-tts-started", "bot-llm-text", "bot-tts-text", "bot-output",
		"bot-started-speaking", "bot-llm-stopped", "bot-tts-stopped", "bot-stopped-speaking"}
	if !reflect.DeepEqual(types(got), want) {
		t.Fatalf("messages\n got %v\nwant %v", types(got), want)
	}
}

func decode(t *testing.T, c *Codec, m string) (pipeline.Command, []rtvi.Message) {
	t.Helper()
	cmd, err := c.Decode([]byte(m), true)
	if err != nil {
		t.Fatalf("%s: %v", m, err)
	}
	if cmd.Reply == nil {
		return cmd, nil
	}
	return cmd, encode(t, c, pipeline.Reply{Payload: cmd.Reply})
}

func TestDecode(t *testing.T) {
	c := New(nil)
	cmd, r := decode(t, c, `{"id":"a1b2c3d4","label":"rtvi-ai","type":"client-ready","data":{"version":"2.1.0","about":{"library":"@pipecat-ai/client-js"}}}`)
	if cmd.Kind != pipeline.CmdReply || len(r) != 1 || r[0].Type != rtvi.TypeBotReady || r[0].ID != "a1b2c3d4" {
		t.Fatalf("%+v %+v", cmd, r)
	}
	var rd rtvi.ReadyData
	_ = json.Unmarshal(r[0].Data, &rd)
	if rd.Version != rtvi.ProtocolVersion || rd.About == nil || rd.About.Library != "duplex" {
		t.Fatalf("%+v", rd)
	}
	for _, ignored := range []string{"ping: 1733461200000", `{"type":"signalling","message":{"type":"trackStatus","receiver_index":0,"enabled":true}}`} {
		if cmd, r := decode(t, c, ignored); cmd.Kind != pipeline.CmdReply || r != nil {
			t.Fatalf("%s: %+v %v", ignored, cmd, r)
		}
	}
	if cmd, _ := decode(t, c, `{"id":"x","label":"rtvi-ai","type":"send-text","data":{"content":"hello","options":{"run_immediately":true}}}`); cmd.Kind != pipeline.CmdInputText || cmd.Text != "hello" {
		t.Fatalf("%+v", cmd)
	}
	if cmd, _ := decode(t, c, `{"id":"x","label":"rtvi-ai","type":"disconnect-bot"}`); cmd.Kind != pipeline.CmdHangup {
		t.Fatalf("%+v", cmd)
	}
	for m, typ := range map[string]string{
		`{"id":"q1","label":"rtvi-ai","type":"client-message","data":{"t":"weather"}}`: rtvi.TypeErrorResponse,
		`{"id":"q2","label":"rtvi-ai","type":"dtmf","data":{"buttons":["1"]}}`:         rtvi.TypeErrorResponse,
		`{"id":"q3","label":"rtvi-ai","type":"no-such"}`:                               rtvi.TypeErrorResponse,
		`not json`: rtvi.TypeError,
	} {
		cmd, r := decode(t, c, m)
		if cmd.Kind != pipeline.CmdReply || len(r) != 1 || r[0].Type != typ {
			t.Fatalf("%s: %+v %+v", m, cmd, r)
		}
	}
}

// TestBotOutputBySentence: word deltas are bot-llm-text each; bot-output
// and bot-tts-text carry whole sentences; an interrupted sentence that was
// never finished is not reported as output.
func TestBotOutputBySentence(t *testing.T) {
	c := New(nil)
	got := encode(t, c, pipeline.ReplyDelta{Text: "It's "}, pipeline.ReplyDelta{Text: "noon. "}, pipeline.ReplyDelta{Text: "Anything "},
		pipeline.ReplyInterrupted{Heard: "It's noon."})
	want := []string{"bot-llm-started", "bot-tts-started", "bot-llm-text", "bot-llm-text", "bot-tts-text", "bot-output", "bot-llm-text", "bot-llm-stopped", "bot-tts-stopped"}
	if !reflect.DeepEqual(types(got), want) {
		t.Fatalf("messages\n got %v\nwant %v", types(got), want)
	}
	var out rtvi.BotOutputData
	_ = json.Unmarshal(got[5].Data, &out)
	if out.Text != "It's noon." {
		t.Fatalf("%+v", out)
	}
	got = encode(t, c, pipeline.ReplyDelta{Text: "Bye"}, pipeline.ReplyDone{Text: "Bye"})
	if tt := types(got); tt[len(tt)-3] != "bot-output" {
		t.Fatalf("the unfinished last sentence is not sent at the end: %v", tt)
	}
}
