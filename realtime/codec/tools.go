package codec

import (
	"encoding/json"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/realtime"
)

// toolCall is a function_call item the client has been shown.
type toolCall struct {
	item, name, args string
}

// toolStarted shows a call the brain runs as the Realtime API shows a
// model's function call: a function_call item of the response in progress
// (opened if none is), its arguments streamed and done. The item's status
// stays in_progress in response.output_item.done: Duplex runs the call,
// and a completed function_call is what makes a Realtime client (the
// agents SDK) dispatch the tool itself.
func (c *Codec) toolStarted(ev pipeline.ToolStarted) []realtime.Event {
	if c.calls == nil {
		c.calls = map[string]*toolCall{}
	}
	if _, ok := c.calls[ev.CallID]; ok || ev.CallID == "" {
		return nil
	}
	out := c.startResponse()
	r := c.resp
	r.outputs++
	tc := &toolCall{item: c.ids.Item(), name: ev.Name, args: ev.Arguments}
	c.calls[ev.CallID] = tc
	prev := c.prev()
	ref := realtime.OutputItemRef{ResponseID: r.id, OutputIndex: r.outputs}
	item := realtime.Item{ID: tc.item, Object: "realtime.item", Type: realtime.ItemFunctionCall,
		Status: realtime.StatusInProgress, CallID: ev.CallID, Name: ev.Name}
	out = append(out,
		&realtime.ResponseOutputItemAdded{OutputItemRef: ref, Item: item},
		&realtime.ConversationItemAdded{PreviousItemID: prev, Item: item})
	if ev.Arguments != "" {
		out = append(out, &realtime.ResponseFunctionCallArgumentsDelta{ResponseID: r.id, ItemID: tc.item,
			OutputIndex: r.outputs, CallID: ev.CallID, Delta: ev.Arguments})
	}
	item.Arguments = ev.Arguments
	out = append(out,
		&realtime.ResponseFunctionCallArgumentsDone{ResponseID: r.id, ItemID: tc.item, OutputIndex: r.outputs,
			CallID: ev.CallID, Name: ev.Name, Arguments: ev.Arguments},
		&realtime.ResponseOutputItemDone{OutputItemRef: ref, Item: item})
	item.Status = realtime.StatusCompleted
	out = append(out, &realtime.ConversationItemDone{PreviousItemID: prev, Item: item})
	r.calls = append(r.calls, item)
	c.last = tc.item
	c.remember(item)
	return out
}

// toolDone adds the call's function_call_output item to the conversation:
// the result, or {"error": …}. A call never shown started (one the user
// declined) first gets its function_call item, outside any response.
func (c *Codec) toolDone(ev pipeline.ToolDone) []realtime.Event {
	var out []realtime.Event
	if _, ok := c.calls[ev.CallID]; !ok {
		if c.calls == nil {
			c.calls = map[string]*toolCall{}
		}
		tc := &toolCall{item: c.ids.Item(), name: ev.Name}
		c.calls[ev.CallID] = tc
		item := realtime.Item{ID: tc.item, Object: "realtime.item", Type: realtime.ItemFunctionCall,
			Status: realtime.StatusCompleted, CallID: ev.CallID, Name: ev.Name, Arguments: "{}"}
		prev := c.prev()
		out = append(out, &realtime.ConversationItemAdded{PreviousItemID: prev, Item: item},
			&realtime.ConversationItemDone{PreviousItemID: prev, Item: item})
		c.last = tc.item
		c.remember(item)
	}
	output := ev.Result
	if ev.Error != "" {
		b, _ := json.Marshal(map[string]string{"error": ev.Error})
		output = string(b)
	}
	item := realtime.Item{ID: c.ids.Item(), Object: "realtime.item", Type: realtime.ItemFunctionCallOutput,
		Status: realtime.StatusCompleted, CallID: ev.CallID, Output: output}
	prev := c.prev()
	out = append(out, &realtime.ConversationItemAdded{PreviousItemID: prev, Item: item},
		&realtime.ConversationItemDone{PreviousItemID: prev, Item: item})
	c.last = item.ID
	c.remember(item)
	delete(c.calls, ev.CallID)
	return out
}
