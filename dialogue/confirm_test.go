package dialogue

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/tools"
	"github.com/duplex-ai/duplex/tools/demo"
)

const testConfirmTimeout = 5 * time.Second

// confirmHarness runs the demo tools with only slow_lookup in
// -tools-allow: counter needs the user's yes.
func confirmHarness(t *testing.T, d *demo.Tools) (*harness, *scriptLLM) {
	t.Helper()
	l := &scriptLLM{script: func(req llm.Request) (string, []llm.ToolCall, bool) {
		if res, ok := toolResult(req, "call_c"); ok {
			return "The counter says " + res + ".", nil, false
		}
		if lastUser(req) == "count please" {
			return "", []llm.ToolCall{{ID: "call_c", Name: "counter", Arguments: "{}"}}, false
		}
		return "Hmm.", nil, false
	}}
	h := newHarness(t, func(o *Options) {
		reg := tools.NewRegistry()
		if err := reg.Add(context.Background(), d.Funcs()); err != nil {
			t.Fatal(err)
		}
		reg.Allow([]string{"slow_lookup"})
		o.Brain = &Cascade{STT: o.STT, LLM: l, TTS: o.TTS, LLMTimeout: time.Minute, TTSTimeout: time.Minute, MaxReplyChars: 4000, Clock: o.Clock,
			Tools: reg, ToolOptions: tools.Options{Timeout: 30 * time.Second}, ConfirmTimeout: testConfirmTimeout}
	})
	return h, l
}

// ask makes the model call counter and returns the question's reply.
func (h *harness) ask(t *testing.T, l *scriptLLM) {
	t.Helper()
	h.text("count please")
	q := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if q.Text != "Shall I run counter?" {
		t.Fatalf("question %q", q.Text)
	}
	h.none("tool.started before a yes", isType(events.TypeToolStarted))
	offered := false
	for _, d := range l.requests()[0].Tools {
		offered = offered || d.Name == "counter"
	}
	if !offered {
		t.Fatal("a tool needing confirmation was not offered")
	}
}

// replied waits for the next reply.done and checks its text.
func (h *harness) replied(t *testing.T, what, want string) {
	t.Helper()
	if reply := h.waitPlaying("reply.done", isType(events.TypeReplyDone)); reply.Text != want {
		t.Fatalf("%s: %q, want %q", what, reply.Text, want)
	}
}

// counterRuns checks how many times the counter tool ran by now.
func counterRuns(t *testing.T, d *demo.Tools, want int64, when string) {
	t.Helper()
	if n := d.Runs("counter"); n != want {
		t.Fatalf("counter ran %d times %s, want %d", n, when, want)
	}
}

func TestConfirmYesRunsTheTool(t *testing.T) {
	d := &demo.Tools{}
	h, l := confirmHarness(t, d)
	h.ask(t, l)
	counterRuns(t, d, 0, "before the yes")
	h.text("Yes, please.")
	st := h.waitFor("tool.started", isType(events.TypeToolStarted))
	if st.ToolCallID != "call_c" || st.TurnID != 2 {
		t.Fatalf("tool.started %+v", st)
	}
	h.replied(t, "answer", `The counter says {"count":1}.`)
	counterRuns(t, d, 1, "after the yes")
	// The request after the yes: the user's yes, then the call and its result.
	reqs := l.requests()
	hist := reqs[len(reqs)-1].History
	n := len(hist)
	if n < 3 || hist[n-3].Text != "Yes, please." || len(hist[n-2].ToolCalls) != 1 || hist[n-1].ToolCallID != "call_c" {
		t.Fatalf("history %+v", hist)
	}
	if got := h.usedTools(); got != " call_c " {
		t.Fatalf("tool calls per reply %q", got)
	}
}

func TestConfirmNoDropsTheCall(t *testing.T) {
	d := &demo.Tools{}
	h, l := confirmHarness(t, d)
	h.ask(t, l)
	asked := len(l.requests())
	h.text("no")
	done := h.waitFor("tool.done", isType(events.TypeToolDone))
	if done.ToolCallID != "call_c" || !strings.Contains(done.ToolError, "did not confirm") {
		t.Fatalf("tool.done %+v", done)
	}
	h.replied(t, "reply to a no", declinedReply)
	h.none("error event for a declined call", isType(events.TypeError))
	if n := len(l.requests()); n != asked {
		t.Fatalf("the model was asked %d more times for a no", n-asked)
	}
	// Asking again later is a new question, and a yes to it runs once.
	h.text("yes")
	h.replied(t, "a yes with no question pending", "Hmm.")
	counterRuns(t, d, 0, "after a no")
}

// Silence: the question expires on the clock; a late yes runs nothing.
func TestConfirmTimesOut(t *testing.T) {
	d := &demo.Tools{}
	h, l := confirmHarness(t, d)
	h.ask(t, l)
	h.none("tool.done before the timeout", isType(events.TypeToolDone))
	done := h.waitFiring("tool.done", testConfirmTimeout, isType(events.TypeToolDone))
	if !strings.Contains(done.ToolError, "did not confirm") {
		t.Fatalf("tool.done %+v", done)
	}
	h.text("yes")
	h.replied(t, "a late yes", "Hmm.")
	counterRuns(t, d, 0, "after the timeout")
}

// The user cuts the question off: the call still waits for the answer,
// and a yes runs it once.
func TestConfirmSurvivesBargeIn(t *testing.T) {
	d := &demo.Tools{}
	h, _ := confirmHarness(t, d)
	h.text("count please")
	h.waitFor("question", isDeltaWith("Shall I run counter?"))
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCancel}
	h.waitFor("interrupted", isType(events.TypeReplyInterrupted))
	h.text("yes")
	h.replied(t, "answer", `The counter says {"count":1}.`)
	counterRuns(t, d, 1, "after the yes")
}

// Another request instead of an answer drops the call and is answered.
func TestConfirmOtherRequestDrops(t *testing.T) {
	d := &demo.Tools{}
	h, l := confirmHarness(t, d)
	h.ask(t, l)
	h.text("what is the weather like today")
	done := h.waitFor("tool.done", isType(events.TypeToolDone))
	if !strings.Contains(done.ToolError, "did not confirm") {
		t.Fatalf("tool.done %+v", done)
	}
	h.replied(t, "reply to the other request", "Hmm.")
	counterRuns(t, d, 0, "after another request")
}

func TestAnswerWords(t *testing.T) {
	for _, c := range []struct {
		text    string
		yes, no bool
	}{
		{"yes", true, false}, {"Yes, please.", true, false}, {"go ahead", true, false}, {"do it", true, false},
		{"okay sure", true, false}, {"no", false, true}, {"No thanks.", false, true}, {"please don't", false, true},
		{"yes but not now", false, true}, {"what do you see", false, false}, {"sure what is the weather today", false, false},
		{"", false, false},
	} {
		if yes, no := answer(c.text); yes != c.yes || no != c.no {
			t.Errorf("answer(%q) = %v, %v; want %v, %v", c.text, yes, no, c.yes, c.no)
		}
	}
}
