package dialogue

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	rtbrain "github.com/duplex-ai/duplex/brain/realtime"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/fakerealtime"
	"github.com/duplex-ai/duplex/internal/testtier"
	"github.com/duplex-ai/duplex/pipeline"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/tools"
	"github.com/duplex-ai/duplex/tools/demo"
)

// rtTools gives the speech-to-speech brain a registry of providers; the
// tools run on the harness clock.
func rtTools(t *testing.T, providers func(c *rtbrain.Config) []tools.Provider) func(*rtbrain.Config) {
	return func(c *rtbrain.Config) {
		reg := tools.NewRegistry()
		for _, p := range providers(c) {
			if err := reg.Add(context.Background(), p); err != nil {
				t.Fatal(err)
			}
		}
		c.Tools, c.ToolOptions = reg, tools.Options{Timeout: 30 * time.Second, MaxResult: 2048}
	}
}

func answerOf(out string) string {
	var r struct{ Answer string }
	_ = json.Unmarshal([]byte(out), &r)
	return "Here it is: " + r.Answer + "."
}

// The model calls a slow tool; the user cuts the reply off while it runs.
// The tool runs once to its end, its output joins the model's
// conversation without a new response, and the next answer quotes it.
func TestRealtimeSlowToolInterruptedMidRun(t *testing.T) {
	testtier.Slow(t, "a conversation with the fake model in real time")
	d := &demo.Tools{Delay: 2 * time.Second}
	h, fake := realtimeHarness(t, fakerealtime.Options{
		ToolCall: func(user string) (string, string) {
			if user == "look up otters" {
				return "slow_lookup", `{"topic":"otters"}`
			}
			return "", ""
		},
		ToolReply: answerOf,
	}, rtTools(t, func(c *rtbrain.Config) []tools.Provider { d.Clock = c.Clock; return []tools.Provider{d.Funcs()} }))
	h.rtTurn(fake, "look up otters")
	st := h.waitFor("tool.started", isType(events.TypeToolStarted))
	if st.Tool != "slow_lookup" || st.ToolCallID == "" || st.TurnID != 1 {
		t.Fatalf("tool.started %+v", st)
	}
	su := fake.Received()[0].(*wire.SessionUpdate).Session
	if !strings.Contains(string(su.Tools), `"name":"slow_lookup"`) || !strings.Contains(string(su.Tools), `"type":"function"`) {
		t.Fatalf("session.tools %s", su.Tools)
	}
	h.none("tool.done before the tool's time", isType(events.TypeToolDone))
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCancel}
	h.waitFor("interrupted", isType(events.TypeReplyInterrupted))
	done := h.waitFiring("tool.done", 2*time.Second, isType(events.TypeToolDone))
	if done.ToolCallID != st.ToolCallID || done.ToolError != "" {
		t.Fatalf("tool.done %+v", done)
	}
	var output *wire.Item
	waitFake(t, fake, "the function_call_output", func(evs []wire.Event) bool {
		for _, ev := range evs {
			if c, ok := ev.(*wire.ConversationItemCreate); ok && c.Item.Type == wire.ItemFunctionCallOutput {
				output = &c.Item
				return true
			}
		}
		return false
	})
	if output.CallID != st.ToolCallID || !strings.Contains(output.Output, "the answer about otters") {
		t.Fatalf("function_call_output %+v", output)
	}
	// The cut-off reply asks for no answer: the next turn does.
	time.Sleep(200 * time.Millisecond)
	if n := fakerealtime.Count(fake.Received(), wire.TypeResponseCreate); n != 1 {
		t.Fatalf("%d response.create after the barge-in, want 1 (the call's)", n)
	}
	h.rtTurn(fake, "so what did you find")
	reply := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if reply.Text != "Here it is: the answer about otters." {
		t.Fatalf("next answer %q lacks the tool result", reply.Text)
	}
	if n := d.Runs("slow_lookup"); n != 1 {
		t.Fatalf("slow_lookup ran %d times, want 1", n)
	}
	if n, m := count(h.seen, events.TypeToolStarted), count(h.seen, events.TypeToolDone); n != 1 || m != 1 {
		t.Fatalf("%d tool.started, %d tool.done, want 1 each", n, m)
	}
}

// A tool that fails: the model gets {"error": …} and apologises in the
// same reply, the page gets tool.done with the error and an error event,
// and the call goes on.
func TestRealtimeToolError(t *testing.T) {
	testtier.Slow(t, "a conversation with the fake model in real time")
	runs := 0
	broken := tools.Funcs{{Tool: tools.Tool{Name: "check_database", Description: "Checks the database.", InputSchema: json.RawMessage(`{"type":"object","properties":{}}`)},
		Fn: func(context.Context, json.RawMessage) (string, error) { runs++; return "", errors.New("database down") }}}
	h, fake := realtimeHarness(t, fakerealtime.Options{
		ToolCall: func(user string) (string, string) {
			if user == "check the database" {
				return "check_database", `{}`
			}
			return "", ""
		},
	}, rtTools(t, func(*rtbrain.Config) []tools.Provider { return []tools.Provider{broken} }))
	h.rtTurn(fake, "check the database")
	done := h.waitFor("tool.done", isType(events.TypeToolDone))
	if done.Tool != "check_database" || !strings.Contains(done.ToolError, "database down") {
		t.Fatalf("tool.done %+v", done)
	}
	ev := h.waitFor("error", isType(events.TypeError))
	if !strings.Contains(ev.Message, "database down") {
		t.Fatalf("error %q", ev.Message)
	}
	h.spokenApology()
	if runs != 1 {
		t.Fatalf("the tool ran %d times", runs)
	}
	h.rtTurn(fake, "hello")
	h.answered("hello")
}

// A preamble, a tool call and the answer in one reply: cut off during the
// answer, the model's answer item (not the preamble's) is truncated, at
// the audio played after the preamble.
func TestRealtimeToolAnswerTruncated(t *testing.T) {
	testtier.Slow(t, "a conversation with the fake model in real time")
	d := &demo.Tools{}
	h, fake := realtimeHarness(t, fakerealtime.Options{
		ToolCall: func(user string) (string, string) {
			if user == "count please" {
				return "counter", `{}`
			}
			return "", ""
		},
		ToolPreamble: "Let me see.",
		ToolReply:    func(string) string { return story },
	}, rtTools(t, func(*rtbrain.Config) []tools.Provider { return []tools.Provider{d.Funcs()} }))
	h.rtTurn(fake, "count please")
	h.waitFor("tool.done", isType(events.TypeToolDone))
	h.waitPlaying("the answer", isDeltaWith(strings.Fields(story)[0]))
	start := h.rec.count()
	for h.rec.count() < start+60 { // well into the answer
		h.tick(1)
		time.Sleep(time.Millisecond)
	}
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCancel}
	ev := h.waitFor("reply.interrupted", isType(events.TypeReplyInterrupted))
	if !strings.HasPrefix(ev.Heard, "Let me see. ") || len(ev.Heard) >= len("Let me see. "+story) {
		t.Fatalf("heard %q: want the preamble and part of the answer", ev.Heard)
	}
	waitFake(t, fake, "a truncate", func(evs []wire.Event) bool { return fakerealtime.Count(evs, wire.TypeConversationItemTruncate) > 0 })
	tr := fake.Truncations()
	if len(tr) != 1 || tr[0].Rejected || tr[0].Voicing != story || tr[0].AudioEndMs <= 0 {
		t.Fatalf("truncations %+v: want the answer item's, accepted", tr)
	}
	if d.Runs("counter") != 1 {
		t.Fatalf("counter ran %d times", d.Runs("counter"))
	}
}
