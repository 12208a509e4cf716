package clients

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/realtime"
	rtcodec "github.com/duplex-ai/duplex/realtime/codec"
	rtvicodec "github.com/duplex-ai/duplex/rtvi/codec"
)

// toolTurn is a turn whose reply runs a tool, as the engine emits it.
var toolTurn = []pipeline.Event{
	pipeline.StateChanged{State: pipeline.StateUserSpeaking},
	pipeline.StateChanged{State: pipeline.StateThinking},
	pipeline.TranscriptFinal{TurnID: 1, Text: "count please"},
	pipeline.ToolStarted{TurnID: 1, CallID: "call_c", Name: "counter", Arguments: `{"by":1}`},
	pipeline.ToolDone{TurnID: 1, CallID: "call_c", Name: "counter", Result: `{"count":1}`, DurationMS: 4},
	pipeline.ReplyDelta{TurnID: 1, Text: "The count is one."},
	pipeline.StateChanged{State: pipeline.StateSpeaking, TurnID: 1},
	pipeline.ReplyDone{TurnID: 1, Text: "The count is one.", ToolCalls: []string{"call_c"}},
	pipeline.StateChanged{State: pipeline.StateListening, TurnID: 1},
}

// TestOpenAIReplayToolCall: the realtime codec's function_call and
// function_call_output items for a call Duplex ran are accepted by the
// real client without errors, and the client does not try to run the
// tool itself (no function_call_output from it).
func TestOpenAIReplayToolCall(t *testing.T) {
	s := newStub(t, "openai", 404, `{}`)
	b := newBrowser(t, s.URL+"/")
	c := rtcodec.New(nil)
	var msgs []string
	for _, ev := range append([]pipeline.Event{pipeline.Ready{}}, toolTurn...) {
		bs, err := c.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range bs {
			msgs = append(msgs, string(m))
		}
	}
	evs, _ := json.Marshal(msgs)
	var got struct {
		Errors  []string         `json:"errors"`
		Fired   map[string]int   `json:"fired"`
		History []map[string]any `json:"history"`
		Sent    []string         `json:"sent"`
	}
	b.eval(strings.Replace(replayJS, "%s", string(evs), 1), &got)
	if len(got.Errors) != 0 {
		t.Errorf("the client reported errors: %v", got.Errors)
	}
	for _, m := range got.Sent {
		ev, err := realtime.ParseClientEvent([]byte(m))
		if err != nil {
			t.Errorf("the client sent %s: %v", m, err)
			continue
		}
		if cr, ok := ev.(*realtime.ConversationItemCreate); ok && cr.Item.Type == realtime.ItemFunctionCallOutput {
			t.Errorf("the client ran the tool itself: %s", m)
		}
	}
	h, _ := json.Marshal(got.History)
	if len(got.History) != 2 || got.History[1]["role"] != "assistant" || !strings.Contains(string(h), "The count is one.") {
		t.Errorf("history %s", h)
	}
	if got.Fired["agent_end"] != 1 {
		t.Errorf("agent_end fired %d times", got.Fired["agent_end"])
	}
}

// TestPipecatReplayToolCall: the rtvi codec's llm-function-call-* messages
// reach the real client's function call callbacks with their data.
func TestPipecatReplayToolCall(t *testing.T) {
	s := newStub(t, "pipecat", 404, `{}`)
	b := newBrowser(t, s.URL+"/")
	c := rtvicodec.New(nil)
	var msgs []string
	for _, ev := range []pipeline.Event{toolTurn[3], toolTurn[4],
		pipeline.ToolDone{TurnID: 2, CallID: "call_d", Name: "counter", Error: "tools: the user did not confirm the call", Cancelled: true}} {
		bs, err := c.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range bs {
			msgs = append(msgs, string(m))
		}
	}
	js := strings.Replace(rtviReplayJS, "'onBotDisconnected'];", "'onBotDisconnected', 'onLLMFunctionCallStarted', 'onLLMFunctionCallInProgress', 'onLLMFunctionCallStopped'];", 1)
	arg, _ := json.Marshal(msgs)
	var got []json.RawMessage
	b.eval(strings.Replace(js, "%s", string(arg), 1), &got)
	want := []string{
		`["onLLMFunctionCallStarted",{"function_name":"counter"}]`,
		`["onLLMFunctionCallInProgress",{"function_name":"counter","tool_call_id":"call_c","arguments":{"by":1}}]`,
		`["onLLMFunctionCallStopped",{"function_name":"counter","tool_call_id":"call_c","cancelled":false,"result":{"count":1}}]`,
		`["onLLMFunctionCallStopped",{"function_name":"counter","tool_call_id":"call_d","cancelled":true,"result":{"error":"tools: the user did not confirm the call"}}]`,
	}
	var g, w []any
	for _, r := range got {
		var v any
		_ = json.Unmarshal(r, &v)
		g = append(g, v)
	}
	for _, s := range want {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		w = append(w, v)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("callbacks:\n got %s\nwant %s", got, want)
	}
}
