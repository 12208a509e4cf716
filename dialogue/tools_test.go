package dialogue

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/llm/local"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/tools"
	"github.com/duplex-ai/duplex/tools/demo"
)

// scriptLLM answers by a script that sees the whole request: a reply may
// be tool calls (ending the stream like a real tool_calls finish).
type scriptLLM struct {
	mu     sync.Mutex
	reqs   []llm.Request
	script func(req llm.Request) (text string, calls []llm.ToolCall, stall bool)
}

func (l *scriptLLM) Name() string { return "script-llm" }

func (l *scriptLLM) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	l.mu.Lock()
	l.reqs = append(l.reqs, req)
	l.mu.Unlock()
	text, calls, stall := l.script(req)
	return &scriptStream{fakeLLMStream: fakeLLMStream{ctx: ctx, words: strings.SplitAfter(text, " "), stall: stall}, calls: calls}, nil
}

func (l *scriptLLM) requests() []llm.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]llm.Request(nil), l.reqs...)
}

type scriptStream struct {
	fakeLLMStream
	calls []llm.ToolCall
	ended bool
}

func (s *scriptStream) Next() (string, error) {
	if len(s.words) == 1 && s.words[0] == "" {
		s.words = nil
	}
	d, err := s.fakeLLMStream.Next()
	if errors.Is(err, io.EOF) {
		s.ended = true
	}
	return d, err
}

func (s *scriptStream) ToolCalls() []llm.ToolCall {
	if !s.ended {
		return nil
	}
	return s.calls
}

// toolResult returns the result the request carries for call id.
func toolResult(req llm.Request, id string) (string, bool) {
	for _, m := range req.History {
		if m.Role == llm.RoleTool && m.ToolCallID == id {
			return m.Text, true
		}
	}
	return "", false
}

func lastUser(req llm.Request) string {
	for i := len(req.History) - 1; i >= 0; i-- {
		if req.History[i].Role == llm.RoleUser {
			return req.History[i].Text
		}
	}
	return ""
}

func toolHarness(t *testing.T, l *scriptLLM, providers func(o *Options) []tools.Provider) *harness {
	t.Helper()
	return newHarness(t, func(o *Options) {
		reg := tools.NewRegistry()
		for _, p := range providers(o) {
			if err := reg.Add(context.Background(), p); err != nil {
				t.Fatal(err)
			}
		}
		o.Brain = &Cascade{STT: o.STT, LLM: l, TTS: o.TTS, LLMTimeout: time.Minute, TTSTimeout: time.Minute, MaxReplyChars: 4000, Clock: o.Clock,
			Tools: reg, ToolOptions: tools.Options{Timeout: 30 * time.Second, MaxResult: 2048}}
	})
}

func isDeltaWith(s string) func(events.Event) bool {
	return func(ev events.Event) bool { return ev.Type == events.TypeReplyDelta && strings.Contains(ev.Text, s) }
}

func count(evs []events.Event, typ string) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

func (h *harness) text(s string) { h.cmds <- pipeline.Command{Kind: pipeline.CmdInputText, Text: s} }

// usedTools returns, per reply event so far, the tool calls it used
// ("-" marks an interrupted reply), e.g. "-call_1 call_1 ".
func (h *harness) usedTools() string {
	h.replyMu.Lock()
	defer h.replyMu.Unlock()
	var b strings.Builder
	for _, ev := range h.replyEvs {
		switch ev := ev.(type) {
		case pipeline.ReplyDone:
			b.WriteString(strings.Join(ev.ToolCalls, ","))
		case pipeline.ReplyInterrupted:
			b.WriteString("-" + strings.Join(ev.ToolCalls, ","))
		}
		b.WriteString(" ")
	}
	return b.String()
}

// A slow tool cut off by the user: it still runs to completion once, the
// preamble filled the wait, and its result is in the next answer.
func TestSlowToolInterruptedMidRun(t *testing.T) {
	d := &demo.Tools{Delay: 2 * time.Second}
	l := &scriptLLM{script: func(req llm.Request) (string, []llm.ToolCall, bool) {
		if res, ok := toolResult(req, "call_1"); ok {
			var r struct{ Answer string }
			_ = json.Unmarshal([]byte(res), &r)
			return "Here it is: " + r.Answer + ".", nil, false
		}
		if lastUser(req) == "look up otters" {
			return "", []llm.ToolCall{{ID: "call_1", Name: "slow_lookup", Arguments: `{"topic":"otters"}`}}, false
		}
		return "I don't know.", nil, false
	}}
	h := toolHarness(t, l, func(o *Options) []tools.Provider { d.Clock = o.Clock; return []tools.Provider{d.Funcs()} })
	h.text("look up otters")
	st := h.waitFor("tool.started", isType(events.TypeToolStarted))
	if st.ToolCallID != "call_1" || st.Tool != "slow_lookup" || st.TurnID != 1 {
		t.Fatalf("tool.started %+v", st)
	}
	// Past 700 ms of tool time the assistant says the preamble.
	h.waitFiring("preamble", 700*time.Millisecond, isDeltaWith(DefaultPreamble))
	h.none("tool.done before the tool's time", isType(events.TypeToolDone))
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCancel}
	h.waitFor("interrupted", isType(events.TypeReplyInterrupted))
	// The tool runs on after the barge-in and ends once.
	done := h.waitFiring("tool.done", 2*time.Second, isType(events.TypeToolDone))
	if done.ToolCallID != "call_1" || done.ToolError != "" {
		t.Fatalf("tool.done %+v", done)
	}
	h.text("so what did you find?")
	reply := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if !strings.Contains(reply.Text, "the answer about otters") {
		t.Fatalf("next answer %q lacks the tool result", reply.Text)
	}
	if n := d.Runs("slow_lookup"); n != 1 {
		t.Fatalf("slow_lookup ran %d times, want 1", n)
	}
	if n := count(h.seen, events.TypeToolStarted); n != 1 {
		t.Fatalf("%d tool.started, want 1", n)
	}
	// Heard in full now: the result is not carried into later turns.
	h.text("thanks")
	h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	reqs := l.requests()
	if _, ok := toolResult(reqs[len(reqs)-1], "call_1"); ok {
		t.Fatal("a spoken result is still carried")
	}
	// The transcript's spoken mark: the cut reply used call_1, the next
	// one spoke it, the last used nothing.
	if got := h.usedTools(); got != "-call_1 call_1  " {
		t.Fatalf("tool calls per reply %q", got)
	}
}

// The user barges in after the tool returned but before the answer was
// spoken: the result is kept, used by the next turn, never re-run.
func TestBargeInBetweenToolResultAndAnswer(t *testing.T) {
	d := &demo.Tools{}
	var mu sync.Mutex
	stallAnswer := true
	l := &scriptLLM{script: func(req llm.Request) (string, []llm.ToolCall, bool) {
		last := req.History[len(req.History)-1]
		if last.Role == llm.RoleTool { // the answer right after the tool
			mu.Lock()
			defer mu.Unlock()
			return "The count is one.", nil, stallAnswer
		}
		if res, ok := toolResult(req, "call_c"); ok {
			return "Earlier the counter said " + res + ".", nil, false
		}
		return "", []llm.ToolCall{{ID: "call_c", Name: "counter", Arguments: "{}"}}, false
	}}
	h := toolHarness(t, l, func(*Options) []tools.Provider { return []tools.Provider{d.Funcs()} })
	h.text("count please")
	h.waitFor("tool.done", isType(events.TypeToolDone))
	// The answer's LLM round is under way (stalled): barge in.
	for len(l.requests()) < 2 {
		time.Sleep(time.Millisecond)
	}
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCancel}
	ev := h.waitFor("interrupted", isType(events.TypeReplyInterrupted))
	if ev.Heard != "" {
		t.Fatalf("heard %q before any answer", ev.Heard)
	}
	h.text("what was the count?")
	reply := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if !strings.Contains(reply.Text, `{"count":1}`) {
		t.Fatalf("answer %q lacks the kept result", reply.Text)
	}
	if n := d.Runs("counter"); n != 1 {
		t.Fatalf("counter ran %d times, want 1", n)
	}
	reqs := l.requests()
	last := reqs[len(reqs)-1]
	// The carried call sits before the new user turn, answered by id.
	n := len(last.History)
	if n < 3 || last.History[n-1].Role != llm.RoleUser || last.History[n-2].ToolCallID != "call_c" || len(last.History[n-3].ToolCalls) != 1 {
		t.Fatalf("history %+v", last.History)
	}
}

// A failing tool: tool.done with the error, an error event, a spoken
// apology, and the call goes on.
func TestToolErrorApologises(t *testing.T) {
	broken := tools.Funcs{{Tool: tools.Tool{Name: "broken"}, Fn: func(context.Context, json.RawMessage) (string, error) {
		return "", errors.New("backend down")
	}}}
	l := &scriptLLM{script: func(req llm.Request) (string, []llm.ToolCall, bool) {
		if res, ok := toolResult(req, "call_b"); ok {
			if !strings.Contains(res, "backend down") {
				return "wrong result " + res, nil, false
			}
			return "The service is down.", nil, false
		}
		return "", []llm.ToolCall{{ID: "call_b", Name: "broken", Arguments: "{}"}}, false
	}}
	h := toolHarness(t, l, func(*Options) []tools.Provider { return []tools.Provider{broken} })
	h.text("use it")
	done := h.waitFor("tool.done", isType(events.TypeToolDone))
	if !strings.Contains(done.ToolError, "backend down") {
		t.Fatalf("tool.done %+v", done)
	}
	e := h.waitFor("error", isType(events.TypeError))
	if e.Code != events.CodeBackendFailed || !strings.HasPrefix(e.Message, "tool broken:") {
		t.Fatalf("error %+v", e)
	}
	reply := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if !strings.Contains(reply.Text, toolApology) || !strings.Contains(reply.Text, "The service is down.") {
		t.Fatalf("reply %q", reply.Text)
	}
	h.waitFor("listening", isState(events.StateListening))
}

// A huge, non-JSON tool result reaches the model bounded; nothing breaks.
func TestMaliciousToolResultBounded(t *testing.T) {
	evil := tools.Funcs{{Tool: tools.Tool{Name: "evil"}, Fn: func(context.Context, json.RawMessage) (string, error) {
		return strings.Repeat("<not json>\x00\xff", 1<<17), nil
	}}}
	l := &scriptLLM{script: func(req llm.Request) (string, []llm.ToolCall, bool) {
		if res, ok := toolResult(req, "call_e"); ok {
			if len(res) > 2048 || strings.Contains(res, "\x00") {
				return "unbounded", nil, false
			}
			return "Got something odd.", nil, false
		}
		return "", []llm.ToolCall{{ID: "call_e", Name: "evil", Arguments: "{}"}}, false
	}}
	h := toolHarness(t, l, func(*Options) []tools.Provider { return []tools.Provider{evil} })
	h.text("go")
	reply := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if reply.Text != "Got something odd." {
		t.Fatalf("reply %q", reply.Text)
	}
}

// The offline brain's skills run as tools through the same path.
func TestOfflineSkillsAsTools(t *testing.T) {
	var loc *local.Engine
	h := newHarness(t, func(o *Options) {
		loc = local.New(local.Options{Now: o.Clock.Now})
		reg := tools.NewRegistry()
		if err := reg.Add(context.Background(), loc.Tools()); err != nil {
			t.Fatal(err)
		}
		o.LLM, o.Tools = loc, reg
	})
	h.text("what is twelve times seven")
	st := h.waitFor("tool.started", isType(events.TypeToolStarted))
	if st.Tool != "calculate" {
		t.Fatalf("tool.started %+v", st)
	}
	reply := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if reply.Text != "Twelve times seven is 84." {
		t.Fatalf("reply %q", reply.Text)
	}
	if n := count(h.seen, events.TypeToolDone); n != 1 {
		t.Fatalf("%d tool.done, want 1; saw %s", n, h.trace())
	}
}

// The user asks again while the interrupted tool still runs: the next
// answer waits for it (with the preamble) instead of asking again.
func TestNextTurnWaitsForRunningTool(t *testing.T) {
	d := &demo.Tools{Delay: 2 * time.Second}
	l := &scriptLLM{script: func(req llm.Request) (string, []llm.ToolCall, bool) {
		if res, ok := toolResult(req, "call_1"); ok {
			var r struct{ Answer string }
			_ = json.Unmarshal([]byte(res), &r)
			return "Found: " + r.Answer + ".", nil, false
		}
		if lastUser(req) == "look up otters" {
			return "", []llm.ToolCall{{ID: "call_1", Name: "slow_lookup", Arguments: `{"topic":"otters"}`}}, false
		}
		return "I don't know.", nil, false
	}}
	h := toolHarness(t, l, func(o *Options) []tools.Provider { d.Clock = o.Clock; return []tools.Provider{d.Funcs()} })
	h.text("look up otters")
	h.waitFor("tool.started", isType(events.TypeToolStarted))
	h.text("hurry up") // interrupts the first reply while the tool runs
	h.waitFor("interrupted", isType(events.TypeReplyInterrupted))
	h.waitFiring("preamble", 700*time.Millisecond, isDeltaWith(DefaultPreamble))
	h.waitFiring("tool.done", 2*time.Second, isType(events.TypeToolDone))
	reply := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if !strings.Contains(reply.Text, "the answer about otters") || reply.TurnID != 2 {
		t.Fatalf("turn %d answer %q lacks the tool result", reply.TurnID, reply.Text)
	}
	if n := d.Runs("slow_lookup"); n != 1 {
		t.Fatalf("slow_lookup ran %d times", n)
	}
}
