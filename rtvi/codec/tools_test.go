package codec

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/duplex-ai/duplex/pipeline"
)

// fields decodes a message's data into a map, to check it against the
// client's types (client-js 1.13.1 index.d.ts: LLMFunctionCallStartedData,
// LLMFunctionCallInProgressData, LLMFunctionCallStoppedData).
func fields(t *testing.T, data json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return m
}

func TestToolCallMessages(t *testing.T) {
	c := New(nil)
	got := encode(t, c,
		pipeline.ToolStarted{TurnID: 1, CallID: "call_1", Name: "counter", Arguments: `{"by":2}`},
		pipeline.ToolDone{TurnID: 1, CallID: "call_1", Name: "counter", Result: `{"count":1}`},
		pipeline.ToolStarted{TurnID: 1, CallID: "call_2", Name: "slow_lookup", Arguments: `not json`},
		pipeline.ToolDone{TurnID: 1, CallID: "call_2", Name: "slow_lookup", Result: "plain text"},
		pipeline.ToolStarted{TurnID: 2, CallID: "call_3", Name: "slow_lookup"},
		pipeline.ToolDone{TurnID: 2, CallID: "call_3", Name: "slow_lookup", Error: "tools: tool timed out"},
		// Declined: never started.
		pipeline.ToolDone{TurnID: 3, CallID: "call_4", Name: "counter", Error: "declined"},
	)
	want := []string{
		"llm-function-call-started", "llm-function-call-in-progress", "llm-function-call-stopped",
		"llm-function-call-started", "llm-function-call-in-progress", "llm-function-call-stopped",
		"llm-function-call-started", "llm-function-call-in-progress", "llm-function-call-stopped",
		"llm-function-call-stopped",
	}
	if !reflect.DeepEqual(types(got), want) {
		t.Fatalf("messages\n got %v\nwant %v", types(got), want)
	}
	if m := fields(t, got[0].Data); !reflect.DeepEqual(m, map[string]any{"function_name": "counter"}) {
		t.Fatalf("started %v", m)
	}
	checks := []struct {
		i    int
		want map[string]any
	}{
		{1, map[string]any{"function_name": "counter", "tool_call_id": "call_1", "arguments": map[string]any{"by": 2.0}}},
		{2, map[string]any{"function_name": "counter", "tool_call_id": "call_1", "cancelled": false, "result": map[string]any{"count": 1.0}}},
		// arguments must be an object: bad JSON becomes {}.
		{4, map[string]any{"function_name": "slow_lookup", "tool_call_id": "call_2", "arguments": map[string]any{}}},
		{5, map[string]any{"function_name": "slow_lookup", "tool_call_id": "call_2", "cancelled": false, "result": "plain text"}},
		{8, map[string]any{"function_name": "slow_lookup", "tool_call_id": "call_3", "cancelled": false, "result": map[string]any{"error": "tools: tool timed out"}}},
		{9, map[string]any{"function_name": "counter", "tool_call_id": "call_4", "cancelled": true, "result": map[string]any{"error": "declined"}}},
	}
	for _, ch := range checks {
		if m := fields(t, got[ch.i].Data); !reflect.DeepEqual(m, ch.want) {
			t.Errorf("message %d (%s): %v, want %v", ch.i, got[ch.i].Type, m, ch.want)
		}
	}
}
