package realtime

import (
	"context"
	"encoding/base64"
	"encoding/json"

	"github.com/duplex-ai/duplex/llm"
	wire "github.com/duplex-ai/duplex/realtime"
)

// The model asking for a picture: once a call's camera has given a turn a
// picture, the session offers the function tool LookTool; when the model
// calls it, the camera's latest picture goes in as an input_image item
// after the call's function_call_output, and the reply asks for a new
// response that can use it (as for any tool call).

// LookTool is the name of the function the model calls to look.
const LookTool = "look"

var lookDef = wire.FunctionTool{Type: wire.ToolFunction, Name: LookTool,
	Description: "Look through the caller's camera now: the current picture is added to the conversation. " +
		"Call it when the caller asks you to look at something or what you can see.",
	Parameters: json.RawMessage(`{"type":"object","properties":{},"additionalProperties":false}`)}

// lookState is the session's camera as the look tool sees it; under
// session.mu.
type lookState struct {
	camera  bool // a turn had a picture: the tool is offered
	latest  func(context.Context) *llm.Image
	offered *conn // the socket told about the tool
}

// withLook adds the look tool to a session object's tools once the call
// has a camera.
func (s *session) withLook(tools, choice json.RawMessage) (json.RawMessage, json.RawMessage) {
	s.mu.Lock()
	camera := s.look.camera
	s.mu.Unlock()
	if !camera {
		return tools, choice
	}
	var list []json.RawMessage
	if len(tools) > 0 {
		if err := json.Unmarshal(tools, &list); err != nil {
			return tools, choice
		}
	}
	d, _ := json.Marshal(lookDef)
	b, err := json.Marshal(append(list, d))
	if err != nil {
		return tools, choice
	}
	if len(choice) == 0 {
		choice = json.RawMessage(`"auto"`)
	}
	return b, choice
}

// sawCamera records that a reply had a camera picture (latest gives the
// newest) and offers the look tool on c if it was not yet.
func (s *session) sawCamera(c *conn, latest func(context.Context) *llm.Image) {
	s.mu.Lock()
	s.look.camera = true
	if latest != nil {
		s.look.latest = latest
	}
	offer := s.look.offered != c
	s.look.offered = c
	s.mu.Unlock()
	if offer {
		so := s.sessionObject()
		s.send(c, &wire.SessionUpdate{Session: wire.Session{Type: wire.SessionRealtime, Tools: so.Tools, ToolChoice: so.ToolChoice}})
	}
}

// lookCall handles the model's call of the look tool (false for any other
// call): once per call id, like toolCall, its output and the picture go
// in from a goroutine of the session and the reply waits for them.
func (s *session) lookCall(c *conn, respID string, tc llm.ToolCall) bool {
	s.mu.Lock()
	name := tc.Name
	if name == "" {
		name = s.toolNames[tc.ID]
	}
	if name != LookTool || tc.ID == "" || !s.look.camera {
		s.mu.Unlock()
		return false
	}
	if _, seen := s.toolSent[tc.ID]; seen || s.closed {
		s.mu.Unlock()
		return true
	}
	sent := make(chan struct{})
	s.toolSent[tc.ID] = sent
	latest := s.look.latest
	s.wg.Add(1)
	s.mu.Unlock()
	if r := s.current(c, respID); r != nil {
		r.mu.Lock()
		r.calls++
		r.mu.Unlock()
	}
	go func() {
		defer s.wg.Done()
		defer close(sent)
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
		defer cancel()
		var img *llm.Image
		if latest != nil {
			img = latest(ctx)
		}
		out := `{"ok":true,"picture":"the camera's current picture follows"}`
		if img == nil || len(img.JPEG) == 0 {
			out = `{"error":"no camera picture is available"}`
		}
		s.mu.Lock()
		live := s.c
		s.mu.Unlock()
		if live == nil || !live.Alive() {
			return
		}
		s.send(live, &wire.ConversationItemCreate{Item: wire.Item{Type: wire.ItemFunctionCallOutput, CallID: tc.ID, Output: out}})
		if img != nil && len(img.JPEG) > 0 {
			s.send(live, imageItem(img))
		}
	}()
	return true
}

// imageItem is a user message holding a camera picture.
func imageItem(img *llm.Image) wire.Event {
	url := "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(img.JPEG)
	return &wire.ConversationItemCreate{Item: wire.Item{Type: wire.ItemMessage, Role: wire.RoleUser,
		Content: []wire.ContentPart{{Type: wire.PartInputImage, ImageURL: url}}}}
}
