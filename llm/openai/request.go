package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"strings"

	"github.com/duplex-ai/duplex/llm"
)

// chatRequest is the body of POST /chat/completions.
type chatRequest struct {
	Model       string        `json:"model"`
	Stream      bool          `json:"stream"`
	Messages    []chatMessage `json:"messages"`
	Temperature *float64      `json:"temperature,omitempty"`
	MaxTokens   int           `json:"max_tokens,omitempty"`
	Tools       []chatTool    `json:"tools,omitempty"`
}

// chatMessage has string content, or content parts for a turn with an
// image; an assistant turn may carry tool_calls (content then may be
// null), a tool turn answers tool_call_id.
type chatMessage struct {
	Role       string         `json:"role"`
	Content    any            `json:"content"`
	ToolCalls  []chatToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type chatTool struct {
	Type     string       `json:"type"`
	Function chatFunction `json:"function"`
}

type chatFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

type chatToolCall struct {
	ID       string           `json:"id"`
	Type     string           `json:"type"`
	Function chatCallFunction `json:"function"`
}

type chatCallFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// buildTools maps the offered tools; a tool without a schema gets an
// empty object schema (some servers reject a missing one).
func buildTools(defs []llm.ToolDef) []chatTool {
	var out []chatTool
	for _, d := range defs {
		params := d.Parameters
		if len(params) == 0 || !json.Valid(params) {
			params = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		out = append(out, chatTool{Type: "function", Function: chatFunction{Name: d.Name, Description: d.Description, Parameters: params}})
	}
	return out
}

type contentPart struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *imageURL `json:"image_url,omitempty"`
}

type imageURL struct {
	URL string `json:"url"`
}

// jpegQuality is used when a snapshot arrives decoded only.
const jpegQuality = 85

// buildMessages maps the request to chat messages: the system prompt
// first, then the history. Empty turns are skipped and consecutive turns
// of one role merged (some chat templates insist on alternation); an
// interrupted assistant turn carries what was heard plus the marker. The
// last message is the user's, with the image as a data URL when present.
func buildMessages(req llm.Request, defaultSystem, marker string) ([]chatMessage, error) {
	n := len(req.History)
	// A tool-call round ends with the tool results instead.
	if n == 0 || (req.History[n-1].Role != llm.RoleUser && req.History[n-1].Role != llm.RoleTool) {
		return nil, llm.ErrNoUserTurn
	}
	system := req.System
	if system == "" {
		system = defaultSystem
	}
	type turn struct {
		role   string
		text   string
		calls  []chatToolCall
		callID string
	}
	turns := []turn{{role: string(llm.RoleSystem), text: system}}
	for i, m := range req.History {
		text := strings.TrimSpace(m.Text)
		role := m.Role
		switch role {
		case llm.RoleUser, llm.RoleSystem:
		case llm.RoleAssistant:
			if m.Interrupted && marker != "" {
				text = strings.TrimSpace(text + marker)
			}
			if len(m.ToolCalls) > 0 {
				t := turn{role: string(role), text: text}
				for _, c := range m.ToolCalls {
					args := c.Arguments
					if args == "" {
						args = "{}"
					}
					t.calls = append(t.calls, chatToolCall{ID: c.ID, Type: "function", Function: chatCallFunction{Name: c.Name, Arguments: args}})
				}
				turns = append(turns, t)
				continue
			}
		case llm.RoleTool:
			// Tool results are never merged or skipped: each answers
			// its call by id.
			turns = append(turns, turn{role: string(role), text: m.Text, callID: m.ToolCallID})
			continue
		default:
			role = llm.RoleUser
		}
		if text == "" && i != n-1 {
			continue
		}
		last := &turns[len(turns)-1]
		if last.role == string(role) && last.calls == nil && last.callID == "" {
			if text != "" {
				last.text = strings.TrimSpace(last.text + "\n" + text)
			}
			continue
		}
		turns = append(turns, turn{role: string(role), text: text})
	}
	msgs := make([]chatMessage, len(turns))
	for i, t := range turns {
		msgs[i] = chatMessage{Role: t.role, Content: t.text, ToolCalls: t.calls, ToolCallID: t.callID}
		if t.calls != nil && t.text == "" {
			msgs[i].Content = nil
		}
	}
	// The frames across the turn (oldest first) come before the picture
	// of the question's end, which is last; a frame that is that picture
	// is not sent twice.
	var imgs []*llm.Image
	for _, f := range req.Frames {
		if f != nil && (req.Image == nil || !f.Captured.Equal(req.Image.Captured)) {
			imgs = append(imgs, f)
		}
	}
	if req.Image != nil {
		imgs = append(imgs, req.Image)
	}
	if msgs[len(msgs)-1].Role != string(llm.RoleUser) {
		imgs = nil // a tool round: the pictures went with the user's turn
	}
	var parts []contentPart
	for _, img := range imgs {
		url, err := dataURL(img)
		if err != nil {
			return nil, err
		}
		if url != "" {
			parts = append(parts, contentPart{Type: "image_url", ImageURL: &imageURL{URL: url}})
		}
	}
	if len(parts) > 0 {
		last := &msgs[len(msgs)-1]
		last.Content = append([]contentPart{{Type: "text", Text: turns[len(turns)-1].text}}, parts...)
	}
	return msgs, nil
}

// dataURL encodes the snapshot as a JPEG data URL; "" when the image has
// no pixels at all.
func dataURL(img *llm.Image) (string, error) {
	b := img.JPEG
	if len(b) == 0 {
		if img.Decoded == nil {
			return "", nil
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img.Decoded, &jpeg.Options{Quality: jpegQuality}); err != nil {
			return "", fmt.Errorf("openai: encoding the camera snapshot: %w", err)
		}
		b = buf.Bytes()
	}
	return "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(b), nil
}
