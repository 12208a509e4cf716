// Package llm defines the language model: given the conversation so far
// and the new user turn, stream the reply as text deltas. Backends live in
// subpackages (llm/local offline skills, llm/openai for OpenAI-compatible
// chat completions).
package llm

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"time"
)

// Role of a message's author.
type Role string

// Roles.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	// RoleTool is a tool's result, answering the assistant's call ToolCallID.
	RoleTool Role = "tool"
)

// Message is one turn of the conversation.
type Message struct {
	Role Role
	Text string
	// Interrupted marks an assistant turn cut short by the user: Text then
	// holds only what the user heard.
	Interrupted bool
	// At is when the turn happened.
	At time.Time
	// ToolCalls are the calls an assistant turn asked for.
	ToolCalls []ToolCall
	// ToolCallID is the call a RoleTool message answers.
	ToolCallID string
	// NotUnderstood marks a spoken user turn the recogniser did not take
	// as a request it knows (stt.Result.NotUnderstood): Text is only what
	// a general model heard, with Confidence in [0,1] (-1 unknown). A
	// brain that matches requests must not force it into one.
	NotUnderstood bool
	Confidence    float64
}

// ToolDef is a function the model may call.
type ToolDef struct {
	Name        string
	Description string
	// Parameters is the JSON Schema of the arguments object.
	Parameters json.RawMessage
}

// ToolCall is one call the model asked for; Arguments is a JSON object.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string
}

// ToolCallStream is a Stream whose reply may end in tool calls. ToolCalls
// is valid once Next has returned io.EOF.
type ToolCallStream interface {
	Stream
	ToolCalls() []ToolCall
}

// Image is a camera snapshot attached to a user turn.
type Image struct {
	// JPEG is the encoded image sent to model servers (fits 1200×800).
	JPEG []byte
	// Decoded is the same picture for backends that look at pixels.
	Decoded image.Image
	// Captured is when the camera produced it.
	Captured time.Time
}

// Request asks for one reply.
type Request struct {
	// System is the system prompt; empty means the backend's default.
	System string
	// History is the conversation, oldest first, ending with the new user
	// turn.
	History []Message
	// Image is the latest camera snapshot, nil when there is no video.
	Image *Image
	// PreviousImage is the snapshot of the previous look, for "what
	// changed"; may be nil.
	PreviousImage *Image
	// Frames are up to three pictures across the user's turn, oldest
	// first, for questions about motion; nil with fewer than two.
	Frames []*Image
	// Now is the current time (injected so answers about time are testable).
	Now time.Time
	// Language is a BCP-47 hint for the reply, e.g. "en".
	Language string
	// Tools the model may call; empty offers none.
	Tools []ToolDef
}

// Engine is a language model backend, safe for concurrent use.
type Engine interface {
	// Name identifies the backend, e.g. "local" or "openai:gpt-4o-mini".
	Name() string
	// Stream starts a reply. ctx cancels it mid-stream.
	Stream(ctx context.Context, req Request) (Stream, error)
}

// Stream yields the reply as text deltas.
type Stream interface {
	// Next returns the next delta; io.EOF after the last one.
	Next() (string, error)
	// Close stops the reply and releases its resources; safe twice.
	Close() error
}

// ErrNoUserTurn: the request's history does not end with a user turn.
var ErrNoUserTurn = errors.New("llm: history does not end with a user turn")
