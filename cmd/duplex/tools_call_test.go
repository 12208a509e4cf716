package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/tools/demo"
	"github.com/duplex-ai/duplex/tools/mcp/demoserver"
	"github.com/duplex-ai/duplex/transcript"
)

// fakeChat is an OpenAI-compatible /chat/completions server speaking the
// real SSE wire format, tool_calls included. It calls slow_lookup for the
// first user turn, says the result after the tool turn, and for a later
// user turn says a carried (unspoken) result.
type fakeChat struct {
	mu    sync.Mutex
	calls int // slow_lookup calls asked for
}

func (f *fakeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Messages []struct {
			Role       string `json:"role"`
			Content    any    `json:"content"`
			ToolCallID string `json:"tool_call_id"`
		} `json:"messages"`
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(delta string) {
		fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":null}]}\n\n", delta)
	}
	finish := func(reason string) {
		fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":%q}]}\n\ndata: [DONE]\n\n", reason)
	}
	say := func(text string) {
		for _, word := range strings.SplitAfter(text, " ") {
			b, _ := json.Marshal(map[string]string{"content": word})
			chunk(string(b))
		}
		finish("stop")
	}
	last := req.Messages[len(req.Messages)-1]
	var result string
	for _, m := range req.Messages {
		if m.Role == "tool" && m.ToolCallID == "call_slow" {
			result, _ = m.Content.(string)
		}
	}
	var res struct{ Answer string }
	_ = json.Unmarshal([]byte(result), &res)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case last.Role == "tool":
		say("I found " + res.Answer + ".")
	case result != "":
		say("Earlier I found " + res.Answer + ".")
	case f.calls == 0 && len(req.Tools) == 2:
		f.calls++
		chunk(`{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_slow","type":"function","function":{"name":"slow_lookup","arguments":""}}]}`)
		chunk(`{"tool_calls":[{"index":0,"function":{"arguments":"{\"topic\":"}}]}`)
		chunk(`{"tool_calls":[{"index":0,"function":{"arguments":"\"otters\"}"}}]}`)
		finish("tool_calls")
	default:
		say("I have nothing yet.")
	}
}

// demoMCP serves the demo tools over MCP (slow_lookup taking delay) until
// the test ends.
func demoMCP(t *testing.T, delay time.Duration) (*demo.Tools, string) {
	d := &demo.Tools{Delay: delay}
	srv := httptest.NewServer(demoserver.Handler(demoserver.New(d)))
	// Cleanups run last-first: this closes after a duplex server started
	// later, which holds connections to it.
	t.Cleanup(srv.Close)
	return d, srv.URL
}

// otterBargeIn calls base: "tell me about otters please", then, 300 ms into
// the reply (the tool's preamble), "what did you find about the otters".
// It logs the turns, needs at least two, and returns the call with its
// tool.started and tool.done counts (a tool.done with an error fails).
func otterBargeIn(t *testing.T, base string) (res *callbot.Result, started, done int) {
	t.Helper()
	q, rate := speak(t, "tell me about otters please")
	barge, _ := speak(t, "what did you find about the otters")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := callbot.Run(ctx, callbot.Options{
		Server: base, Turns: [][]int16{q}, AudioRate: rate,
		BargeIn: barge, BargeInAfter: 300 * time.Millisecond, Tail: 8 * time.Second, Wait: 2, Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range res.Events {
		switch ev.Type {
		case events.TypeToolStarted:
			started++
		case events.TypeToolDone:
			done++
			if ev.ToolError != "" {
				t.Errorf("tool.done %+v", ev)
			}
		}
	}
	for i, tn := range res.Turns {
		t.Logf("turn %d: %q → %q (interrupted %v, heard %q)", i+1, tn.User, tn.Reply, tn.Interrupted, tn.Heard)
	}
	if len(res.Turns) < 2 {
		t.Fatalf("turns %+v errors %v", res.Turns, res.Errors)
	}
	return res, started, done
}

// TestCallbotToolThroughInterruption: a real call (callbot, sphinx,
// espeak) against the fake OpenAI-compatible LLM with the demo MCP server.
// The slow tool is interrupted by the caller while it runs; its result is
// in the next answer and every tool ran exactly once.
func TestCallbotToolThroughInterruption(t *testing.T) {
	d, mcpURL := demoMCP(t, 2*time.Second)
	chat := httptest.NewServer(&fakeChat{})
	t.Cleanup(chat.Close)
	base := startServer(t, "-llm", "openai", "-llm-url", chat.URL+"/v1", "-mcp", mcpURL)
	res, started, done := otterBargeIn(t, base)
	first, next := res.Turns[0], res.Turns[len(res.Turns)-1]
	if !first.Interrupted || !strings.Contains(first.Reply, "Let me check") {
		t.Errorf("first turn %+v: want the preamble, interrupted", first)
	}
	if !strings.Contains(next.Reply, "the answer about otters") {
		t.Errorf("answer after the interruption %q lacks the tool's result", next.Reply)
	}
	if started != 1 || done != 1 || d.Runs("slow_lookup") != 1 {
		t.Errorf("tool.started %d, tool.done %d, slow_lookup ran %d times: want 1 each", started, done, d.Runs("slow_lookup"))
	}

	// GET …/transcript: the call (id, name, arguments, result) and which
	// replies used its result: the cut one did not speak it, the next did.
	var tool *transcript.Tool
	var uses []string
	for _, e := range fetchTranscript(t, res.CallURL) {
		switch {
		case e.Kind == transcript.KindTool:
			tool = e.Tool
		case e.Kind == transcript.KindAssistant && len(e.ToolCalls) > 0:
			// The hang-up after the tail may cut the last reply on a slow
			// machine: that is not a barge-in.
			spoken := !e.Interrupted || e.Reason == "client_hangup"
			uses = append(uses, fmt.Sprintf("%s spoken=%v", strings.Join(e.ToolCalls, ","), spoken))
		}
	}
	if tool == nil || tool.ID != "call_slow" || tool.Name != "slow_lookup" || tool.Arguments != `{"topic":"otters"}` ||
		!strings.Contains(tool.Result, "the answer about otters") || tool.Error != "" {
		t.Errorf("transcript tool entry %+v", tool)
	}
	if len(uses) < 2 || uses[0] != "call_slow spoken=false" || uses[len(uses)-1] != "call_slow spoken=true" {
		t.Errorf("replies using the result: %v", uses)
	}
}

// TestCallbotSpokenConfirmation: with -tools-allow naming another tool,
// slow_lookup is asked about first; the caller's spoken "yes" (offline
// grammar) runs it once and the answer uses its result.
func TestCallbotSpokenConfirmation(t *testing.T) {
	d, mcpURL := demoMCP(t, 500*time.Millisecond)
	chat := httptest.NewServer(&fakeChat{})
	t.Cleanup(chat.Close)
	base := startServer(t, "-llm", "openai", "-llm-url", chat.URL+"/v1", "-mcp", mcpURL, "-tools-allow", "counter")
	q, rate := speak(t, "tell me about otters please")
	yes, _ := speak(t, "yes")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := callbot.Run(ctx, callbot.Options{Server: base, Turns: [][]int16{q, yes}, AudioRate: rate, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	for i, tn := range res.Turns {
		t.Logf("turn %d: %q → %q", i+1, tn.User, tn.Reply)
	}
	if len(res.Turns) != 2 {
		t.Fatalf("turns %+v errors %v", res.Turns, res.Errors)
	}
	if r := res.Turns[0].Reply; r != "Shall I run slow lookup?" {
		t.Errorf("first reply %q, want the question", r)
	}
	if u, r := res.Turns[1].User, res.Turns[1].Reply; u != "yes" || !strings.Contains(r, "I found the answer about otters.") {
		t.Errorf("after %q: %q", u, r)
	}
	if n := d.Runs("slow_lookup"); n != 1 {
		t.Errorf("slow_lookup ran %d times, want 1", n)
	}
}
