package events

import (
	"encoding/json"
	"fmt"

	"github.com/duplex-ai/duplex/pipeline"
)

// Label is the data channel label of this protocol.
const Label = "events"

// Codec is the events protocol as a pipeline.Protocol. It has no state:
// one value serves any number of calls.
type Codec struct{}

var _ pipeline.Protocol = Codec{}

// NewCodec returns the events codec.
func NewCodec() pipeline.Protocol { return Codec{} }

// Name implements pipeline.Protocol.
func (Codec) Name() string { return Label }

// Encode implements pipeline.Protocol: one JSON message per event that the
// protocol carries.
func (Codec) Encode(ev pipeline.Event) ([][]byte, error) {
	m, ok := Wire(ev)
	if !ok {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("events: marshal %s: %w", m.Type, err)
	}
	return [][]byte{b}, nil
}

// Decode implements pipeline.Protocol.
func (Codec) Decode(msg []byte, text bool) (pipeline.Command, error) {
	if !text {
		return pipeline.Command{}, pipeline.Error{Code: pipeline.CodeBadMessage, Message: "binary messages are not supported; send JSON text"}
	}
	c, err := ParseCommand(msg)
	if err != nil {
		ev := ErrorEvent(err)
		return pipeline.Command{}, pipeline.Error{Code: pipeline.ErrorCode(ev.Code), Message: ev.Message}
	}
	return Internal(c)
}

// Internal turns a parsed command into the pipeline's command.
func Internal(c Command) (pipeline.Command, error) {
	var k pipeline.CommandKind
	switch c.Type {
	case TypeInputText:
		k = pipeline.CmdInputText
	case TypeResponseCancel:
		k = pipeline.CmdResponseCancel
	case TypeSessionUpdate:
		k = pipeline.CmdSessionUpdate
	case TypeInputAudioStart:
		k = pipeline.CmdInputAudioStart
	case TypeInputAudioStop:
		k = pipeline.CmdInputAudioStop
	default:
		return pipeline.Command{}, fmt.Errorf("%w: %q", ErrUnknownType, c.Type)
	}
	return pipeline.Command{Kind: k, Text: c.Text, Mode: pipeline.Mode(c.Mode)}, nil
}

// Wire returns the events-protocol message that carries ev; false when the
// protocol has none (ModeChanged: the session answers it with Ready).
func Wire(ev pipeline.Event) (Event, bool) {
	switch ev := ev.(type) {
	case pipeline.Ready:
		return Event{Type: TypeSessionReady, CallID: ev.CallID, Mode: string(ev.Mode), Pipeline: ev.Pipeline, Engines: ev.Engines}, true
	case pipeline.StateChanged:
		return Event{Type: TypeState, State: string(ev.State), TurnID: ev.TurnID}, true
	case pipeline.TranscriptPartial:
		return Event{Type: TypeTranscriptPartial, TurnID: ev.TurnID, Text: ev.Text}, true
	case pipeline.TranscriptFinal:
		return Event{Type: TypeTranscriptFinal, TurnID: ev.TurnID, Text: ev.Text, Understood: ev.Understood, Partial: ev.Partial}, true
	case pipeline.ReplyDelta:
		return Event{Type: TypeReplyDelta, TurnID: ev.TurnID, Text: ev.Text}, true
	case pipeline.ReplyDone:
		return Event{Type: TypeReplyDone, TurnID: ev.TurnID, Text: ev.Text}, true
	case pipeline.ReplyInterrupted:
		return Event{Type: TypeReplyInterrupted, TurnID: ev.TurnID, Text: ev.Text, Heard: ev.Heard, Reason: ev.Reason}, true
	case pipeline.TurnMetrics:
		m := TurnMetrics(ev.Metrics)
		return Event{Type: TypeTurnMetrics, TurnID: ev.TurnID, Metrics: &m}, true
	case pipeline.Error:
		return Event{Type: TypeError, Code: string(ev.Code), Message: ev.Message}, true
	case pipeline.Ending:
		return Event{Type: TypeSessionEnding, Reason: ev.Reason, DeadlineMS: ev.DeadlineMS}, true
	case pipeline.ToolStarted:
		return Event{Type: TypeToolStarted, TurnID: ev.TurnID, ToolCallID: ev.CallID, Tool: ev.Name}, true
	case pipeline.ToolDone:
		return Event{Type: TypeToolDone, TurnID: ev.TurnID, ToolCallID: ev.CallID, Tool: ev.Name, DurationMS: ev.DurationMS, ToolError: ev.Error}, true
	}
	return Event{}, false
}
