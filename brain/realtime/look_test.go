package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/internal/fakerealtime"
	"github.com/duplex-ai/duplex/llm"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/tts/espeak"
)

func jpegImage(t *testing.T, w, h int) *llm.Image {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return &llm.Image{JPEG: b.Bytes()}
}

// TestModelAsksToLook: with a camera the look tool is offered; the model's
// call of it gets a function_call_output and the camera's latest picture,
// then a new response that speaks with it, in the same reply.
func TestModelAsksToLook(t *testing.T) {
	voice, err := espeak.New(espeak.Options{})
	if err != nil {
		t.Skip("espeak-ng:", err)
	}
	fake := fakerealtime.Start(fakerealtime.Options{TTS: voice, Chunk: 20 * time.Millisecond,
		ToolCall: func(user string) (string, string) {
			if strings.Contains(user, "see") {
				return LookTool, "{}"
			}
			return "", ""
		},
		ToolReply: func(out string) string { return "I see a grey picture." },
	})
	defer fake.Close()
	b, err := New(Config{URL: fake.URL(), Model: "m", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := b.NewSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()

	// No camera: no look tool; the fake cannot call it and just answers.
	out := &recOutput{}
	sess.Respond(context.Background(), brain.Request{TurnID: 1, LLM: llm.Request{History: []llm.Message{{Role: llm.RoleUser, Text: "what do you see"}}},
		Look: func(context.Context) (cur, prev *llm.Image) { return nil, nil }}, out)
	if out.failed != nil || out.produced != 1 || !strings.Contains(out.text, "You said") {
		t.Fatalf("without a camera: %+v", out)
	}
	for _, ev := range fake.Received() {
		if su, ok := ev.(*wire.SessionUpdate); ok && strings.Contains(string(su.Session.Tools), LookTool) {
			t.Fatalf("look offered without a camera: %s", su.Session.Tools)
		}
	}

	turnPic, latestPic := jpegImage(t, 64, 48), jpegImage(t, 32, 24)
	latestCalls := 0
	out = &recOutput{}
	sess.Respond(context.Background(), brain.Request{TurnID: 2,
		LLM:    llm.Request{History: []llm.Message{{Role: llm.RoleUser, Text: "what do you see"}, {Role: llm.RoleAssistant, Text: "You said: what do you see."}, {Role: llm.RoleUser, Text: "what do you see now"}}},
		Look:   func(context.Context) (cur, prev *llm.Image) { return turnPic, nil },
		Latest: func(context.Context) *llm.Image { latestCalls++; return latestPic },
	}, out)
	if out.failed != nil || out.produced != 1 || !strings.Contains(out.text, "I see a grey picture") {
		t.Fatalf("with a camera: failed %v, produced %d, text %q", out.failed, out.produced, out.text)
	}
	imgs := fake.Images()
	if latestCalls != 1 || len(imgs) != 2 || imgs[0].Width != 64 || imgs[1].Width != 32 {
		t.Fatalf("Latest called %d times; images %+v: want the turn's then the latest", latestCalls, imgs)
	}
	// The order on the wire: tools offered, the call's output, the
	// picture, then the response that uses it.
	var seq []string
	for _, ev := range fake.Received() {
		switch e := ev.(type) {
		case *wire.SessionUpdate:
			var fts []wire.FunctionTool
			_ = json.Unmarshal(e.Session.Tools, &fts)
			if len(fts) == 1 && fts[0].Name == LookTool && string(e.Session.ToolChoice) == `"auto"` {
				seq = append(seq, "offer")
			}
		case *wire.ConversationItemCreate:
			switch {
			case e.Item.Type == wire.ItemFunctionCallOutput && strings.Contains(e.Item.Output, `"ok":true`):
				seq = append(seq, "output")
			case len(e.Item.Content) == 1 && e.Item.Content[0].Type == wire.PartInputImage:
				seq = append(seq, "image")
			}
		case *wire.ResponseCreate:
			seq = append(seq, "create")
		}
	}
	if got, want := strings.Join(seq, " "), "create offer image create output image create"; got != want {
		t.Fatalf("wire order %q, want %q", got, want)
	}
}
