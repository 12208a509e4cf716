package codec

import (
	"reflect"
	"testing"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/realtime"
)

// TestToolCallEvents: a tool call the brain runs shows as the Realtime API
// shows a function call: a function_call item of the response, its
// arguments, then the function_call_output item; the response's output
// lists both items.
func TestToolCallEvents(t *testing.T) {
	c := New(nil)
	seen := map[string]bool{}
	run(t, c, seen, pipeline.Ready{}, pipeline.StateChanged{State: pipeline.StateUserSpeaking},
		pipeline.StateChanged{State: pipeline.StateThinking})
	final := run(t, c, seen, pipeline.TranscriptFinal{TurnID: 1, Text: "count"})
	created := final[len(final)-4].(*realtime.ResponseCreated)
	msgItem := final[len(final)-3].(*realtime.ResponseOutputItemAdded).Item.ID

	got := run(t, c, seen, pipeline.ToolStarted{TurnID: 1, CallID: "call_1", Name: "counter", Arguments: `{"by":1}`})
	want := []string{
		"response.output_item.added", "conversation.item.added",
		"response.function_call_arguments.delta", "response.function_call_arguments.done",
		"response.output_item.done", "conversation.item.done",
	}
	if !reflect.DeepEqual(types(got), want) {
		t.Fatalf("started\n got %v\nwant %v", types(got), want)
	}
	added := got[0].(*realtime.ResponseOutputItemAdded)
	fc := added.Item
	if added.ResponseID != created.Response.ID || added.OutputIndex != 1 || fc.Type != realtime.ItemFunctionCall ||
		fc.CallID != "call_1" || fc.Name != "counter" || fc.Status != realtime.StatusInProgress {
		t.Fatalf("output_item.added %+v", added)
	}
	if prev := got[1].(*realtime.ConversationItemAdded).PreviousItemID; prev == nil || *prev != msgItem {
		t.Fatalf("function_call item follows %v, want the response's message %s", prev, msgItem)
	}
	delta := got[2].(*realtime.ResponseFunctionCallArgumentsDelta)
	args := got[3].(*realtime.ResponseFunctionCallArgumentsDone)
	if delta.Delta != `{"by":1}` || args.Arguments != `{"by":1}` || args.Name != "counter" || args.CallID != "call_1" || args.ItemID != fc.ID {
		t.Fatalf("arguments %+v %+v", delta, args)
	}
	// Duplex runs the call: the client must not see it completed in the
	// response (it would dispatch the tool itself).
	if d := got[4].(*realtime.ResponseOutputItemDone).Item; d.Status != realtime.StatusInProgress || d.Arguments != `{"by":1}` {
		t.Fatalf("output_item.done %+v", d)
	}
	// A repeated start (the same id) shows nothing.
	if again := run(t, c, seen, pipeline.ToolStarted{TurnID: 1, CallID: "call_1", Name: "counter"}); len(again) != 0 {
		t.Fatalf("repeated start: %v", types(again))
	}

	got = run(t, c, seen, pipeline.ToolDone{TurnID: 1, CallID: "call_1", Name: "counter", Result: `{"count":1}`, DurationMS: 3})
	if !reflect.DeepEqual(types(got), []string{"conversation.item.added", "conversation.item.done"}) {
		t.Fatalf("done: %v", types(got))
	}
	out := got[1].(*realtime.ConversationItemDone)
	if out.Item.Type != realtime.ItemFunctionCallOutput || out.Item.CallID != "call_1" || out.Item.Output != `{"count":1}` ||
		out.PreviousItemID == nil || *out.PreviousItemID != fc.ID {
		t.Fatalf("function_call_output %+v", out)
	}

	end := run(t, c, seen, pipeline.ReplyDelta{TurnID: 1, Text: "One."}, pipeline.ReplyDone{TurnID: 1, Text: "One."})
	rd := end[len(end)-1].(*realtime.ResponseDone)
	if rd.Response.ID != created.Response.ID || len(rd.Response.Output) != 2 ||
		rd.Response.Output[0].ID != msgItem || rd.Response.Output[1].CallID != "call_1" {
		t.Fatalf("response.done output %+v", rd.Response.Output)
	}
	// The items can be retrieved.
	cmd := decode(t, c, `{"type":"conversation.item.retrieve","item_id":"`+fc.ID+`"}`)
	if r := replies(t, c, seen, cmd); len(r) != 1 || r[0].(*realtime.ConversationItemRetrieved).Item.CallID != "call_1" {
		t.Fatalf("retrieve: %v", r)
	}
}

// TestToolDoneAfterInterruption: a call that ends after its reply was cut
// off still gets its output item (it is history); a failed call's output
// is {"error": …}; a call never started (declined) first gets its
// function_call item.
func TestToolDoneAfterInterruption(t *testing.T) {
	c := New(nil)
	seen := map[string]bool{}
	run(t, c, seen, pipeline.Ready{}, pipeline.TranscriptFinal{TurnID: 1, Text: "look it up"},
		pipeline.ToolStarted{TurnID: 1, CallID: "call_s", Name: "slow_lookup", Arguments: "{}"},
		pipeline.ReplyDelta{TurnID: 1, Text: "Let me check. "},
		pipeline.ReplyInterrupted{TurnID: 1, Heard: "Let me"})
	got := run(t, c, seen, pipeline.ToolDone{TurnID: 1, CallID: "call_s", Name: "slow_lookup", Error: "tools: tool timed out"})
	if !reflect.DeepEqual(types(got), []string{"conversation.item.added", "conversation.item.done"}) {
		t.Fatalf("done after the reply: %v", types(got))
	}
	if o := got[1].(*realtime.ConversationItemDone).Item.Output; o != `{"error":"tools: tool timed out"}` {
		t.Fatalf("output %s", o)
	}
	got = run(t, c, seen, pipeline.ToolDone{TurnID: 2, CallID: "call_d", Name: "counter", Error: "declined"})
	if !reflect.DeepEqual(types(got), []string{"conversation.item.added", "conversation.item.done", "conversation.item.added", "conversation.item.done"}) {
		t.Fatalf("declined: %v", types(got))
	}
	if it := got[0].(*realtime.ConversationItemAdded).Item; it.Type != realtime.ItemFunctionCall || it.CallID != "call_d" {
		t.Fatalf("declined call item %+v", it)
	}
}
