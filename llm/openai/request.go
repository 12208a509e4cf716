package openai

import (
	"bytes"
	"encoding/base64"
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
}

// chatMessage has string content, or content parts for a turn with an
// image.
type chatMessage struct {
	Role    string `json:"role"`
	Content any    `json:"content"`
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
	if n == 0 || req.History[n-1].Role != llm.RoleUser {
		return nil, llm.ErrNoUserTurn
	}
	system := req.System
	if system == "" {
		system = defaultSystem
	}
	type turn struct {
		role string
		text string
	}
	turns := []turn{{string(llm.RoleSystem), system}}
	for i, m := range req.History {
		text := strings.TrimSpace(m.Text)
		role := m.Role
		switch role {
		case llm.RoleUser, llm.RoleSystem:
		case llm.RoleAssistant:
			if m.Interrupted && marker != "" {
				text = strings.TrimSpace(text + marker)
			}
		default:
			role = llm.RoleUser
		}
		if text == "" && i != n-1 {
			continue
		}
		last := &turns[len(turns)-1]
		if last.role == string(role) {
			if text != "" {
				last.text = strings.TrimSpace(last.text + "\n" + text)
			}
			continue
		}
		turns = append(turns, turn{string(role), text})
	}
	msgs := make([]chatMessage, len(turns))
	for i, t := range turns {
		msgs[i] = chatMessage{Role: t.role, Content: t.text}
	}
	if req.Image != nil {
		url, err := dataURL(req.Image)
		if err != nil {
			return nil, err
		}
		if url != "" {
			last := &msgs[len(msgs)-1]
			last.Content = []contentPart{
				{Type: "text", Text: turns[len(turns)-1].text},
				{Type: "image_url", ImageURL: &imageURL{URL: url}},
			}
		}
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
