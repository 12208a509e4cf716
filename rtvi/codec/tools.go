package codec

import (
	"encoding/json"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/rtvi"
)

// maxStarted bounds the call ids remembered between started and stopped.
const maxStarted = 256

// toolStarted: llm-function-call-started, then -in-progress with the id
// and arguments, as Pipecat reports a function call.
func (c *Codec) toolStarted(ev pipeline.ToolStarted) []msg {
	if c.started == nil {
		c.started = map[string]bool{}
	}
	if len(c.started) < maxStarted {
		c.started[ev.CallID] = true
	}
	return []msg{
		{typ: rtvi.TypeLLMFunctionCallStarted, data: rtvi.FunctionCallStartedData{FunctionName: ev.Name}},
		{typ: rtvi.TypeLLMFunctionCallInProgress, data: rtvi.FunctionCallInProgressData{
			FunctionName: ev.Name, ToolCallID: ev.CallID, Arguments: jsonObject(ev.Arguments)}},
	}
}

// toolDone: llm-function-call-stopped with the result (JSON as it is,
// other text as a string, a failure as {"error": …}); a call that never
// ran (declined, or never shown started) is cancelled.
func (c *Codec) toolDone(ev pipeline.ToolDone) []msg {
	d := rtvi.FunctionCallStoppedData{FunctionName: ev.Name, ToolCallID: ev.CallID}
	if ev.Cancelled || !c.started[ev.CallID] {
		d.Cancelled = true
	}
	delete(c.started, ev.CallID)
	switch {
	case ev.Error != "":
		d.Result, _ = json.Marshal(map[string]string{"error": ev.Error})
	case json.Valid([]byte(ev.Result)):
		d.Result = json.RawMessage(ev.Result)
	default:
		d.Result, _ = json.Marshal(ev.Result)
	}
	return []msg{{typ: rtvi.TypeLLMFunctionCallStopped, data: d}}
}

// jsonObject returns args if it is a JSON object, else {} (the client's
// type is Record<string, unknown>).
func jsonObject(args string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(args), &m) != nil || m == nil {
		return json.RawMessage("{}")
	}
	return json.RawMessage(args)
}
