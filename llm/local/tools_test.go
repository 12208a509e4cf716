package local

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/tools"
)

func TestSkillsAsTools(t *testing.T) {
	now := time.Date(2026, 12, 6, 15, 4, 0, 0, time.UTC)
	e := New(Options{Now: func() time.Time { return now }})
	reg := tools.NewRegistry()
	if err := reg.Add(context.Background(), e.Tools()); err != nil {
		t.Fatal(err)
	}
	r := tools.NewRunner(context.Background(), reg, tools.Options{})
	defer r.Close()
	for _, tc := range []struct{ say, tool, want string }{
		{"what time is it", "get_time", "It's 3:04 PM."},
		{"what's the date today", "get_date", "Today is Sunday, December 6, 2026."},
		{"what is twelve times seven", "calculate", "Twelve times seven is 84."},
	} {
		req := llm.Request{History: []llm.Message{{Role: llm.RoleUser, Text: tc.say}}, Now: now, Tools: reg.Defs()}
		s, err := e.Stream(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if text, err := collectAll(s); err != nil || text != "" {
			t.Fatalf("%q: text %q err %v before the tool", tc.say, text, err)
		}
		calls := s.(llm.ToolCallStream).ToolCalls()
		if len(calls) != 1 || calls[0].Name != tc.tool || calls[0].ID == "" {
			t.Fatalf("%q: calls %+v", tc.say, calls)
		}
		c := r.Start(1, calls[0], nil)
		<-c.Done()
		req.History = append(req.History, tools.Messages([]*tools.Call{c}, now)...)
		s, err = e.Stream(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if text, err := collectAll(s); err != nil || text != tc.want {
			t.Fatalf("%q: answer %q err %v, want %q", tc.say, text, err, tc.want)
		}
	}
	// Without tools offered the skills answer directly, as before.
	s, _ := e.Stream(context.Background(), llm.Request{History: []llm.Message{{Role: llm.RoleUser, Text: "what time is it"}}, Now: now})
	if text, _ := collectAll(s); text != "It's 3:04 PM." {
		t.Fatalf("direct answer %q", text)
	}
}

func collectAll(s llm.Stream) (string, error) {
	var out string
	for {
		d, err := s.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out += d
	}
}
