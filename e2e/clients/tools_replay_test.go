package clients

import (
	"encoding/json"
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

// encodeAll is what codec c sends for evs, one string a message.
func encodeAll(t *testing.T, c interface {
	Encode(pipeline.Event) ([][]byte, error)
}, evs []pipeline.Event) []string {
	t.Helper()
	var msgs []string
	for _, ev := range evs {
		bs, err := c.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range bs {
			msgs = append(msgs, string(m))
		}
	}
	return msgs
}

// TestOpenAIReplayToolCall: the realtime codec's function_call and
// function_call_output items for a call Duplex ran are accepted by the
// real client without errors, and the client does not try to run the
// tool itself (no function_call_output from it).
func TestOpenAIReplayToolCall(t *testing.T) {
	got := replayOpenAI(t, encodeAll(t, rtcodec.New(nil), append([]pipeline.Event{pipeline.Ready{}}, toolTurn...)))
	for _, ev := range parseSent(t, got.Sent) {
		if cr, ok := ev.(*realtime.ConversationItemCreate); ok && cr.Item.Type == realtime.ItemFunctionCallOutput {
			b, _ := json.Marshal(cr)
			t.Errorf("the client ran the tool itself: %s", b)
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
	msgs := encodeAll(t, rtvicodec.New(nil), []pipeline.Event{toolTurn[3], toolTurn[4],
		pipeline.ToolDone{TurnID: 2, CallID: "call_d", Name: "counter", Error: "tools: the user did not confirm the call", Cancelled: true}})
	replayPipecat(t, msgs, []string{"onLLMFunctionCallStarted", "onLLMFunctionCallInProgress", "onLLMFunctionCallStopped"}, []string{
		`["onLLMFunctionCallStarted",{"function_name":"counter"}]`,
		`["onLLMFunctionCallInProgress",{"function_name":"counter","tool_call_id":"call_c","arguments":{"by":1}}]`,
		`["onLLMFunctionCallStopped",{"function_name":"counter","tool_call_id":"call_c","cancelled":false,"result":{"count":1}}]`,
		`["onLLMFunctionCallStopped",{"function_name":"counter","tool_call_id":"call_d","cancelled":true,"result":{"error":"tools: the user did not confirm the call"}}]`,
	})
}
