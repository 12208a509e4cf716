package clients

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/llm/local"
)

// TestStoryTeller: the live conversation keeps its shape whatever the
// recogniser heard: the first turn is the model's own, a misheard later
// one still gets the story, a turn after an interruption "Okay.", and the
// typed date its answer.
func TestStoryTeller(t *testing.T) {
	s := storyTeller{local.New(local.Options{})}
	reply := func(h ...llm.Message) string {
		t.Helper()
		st, err := s.Stream(t.Context(), llm.Request{History: h, Now: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var b strings.Builder
		for {
			d, err := st.Next()
			if err == io.EOF {
				return b.String()
			}
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(d)
		}
	}
	q := llm.Message{Role: llm.RoleUser, Text: "what time is it"}
	a := llm.Message{Role: llm.RoleAssistant, Text: "It's 9:00 AM."}
	if r := reply(q); !strings.HasPrefix(r, "It's 9:00") {
		t.Errorf("first turn: %q", r)
	}
	misheard := llm.Message{Role: llm.RoleUser, Text: "tell me a glory", NotUnderstood: true, Confidence: 0.2}
	if r := reply(q, a, misheard); !strings.HasPrefix(r, "Once upon a time") || len(r) < 500 {
		t.Errorf("misheard story request: %q", r)
	}
	cut := llm.Message{Role: llm.RoleAssistant, Text: "Once upon a time", Interrupted: true}
	if r := reply(q, a, misheard, cut, llm.Message{Role: llm.RoleUser, Text: "top walking", NotUnderstood: true}); r != "Okay." {
		t.Errorf("after the interruption: %q", r)
	}
	if r := reply(q, a, misheard, cut, llm.Message{Role: llm.RoleUser, Text: "What is the date?"}); !strings.HasPrefix(r, "Today is ") {
		t.Errorf("typed date: %q", r)
	}
	if r := reply(q, a, misheard, llm.Message{Role: llm.RoleUser, Text: "What do you see?"}); strings.HasPrefix(r, "Once upon") {
		t.Errorf("typed camera question: %q", r)
	}
}
