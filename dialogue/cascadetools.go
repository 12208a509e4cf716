package dialogue

import (
	"context"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/tools"
)

// Defaults of the tool preamble.
const (
	DefaultPreamble      = "Let me check."
	DefaultPreambleAfter = 700 * time.Millisecond
	// toolApology is said when a tool call failed or timed out.
	toolApology = "Sorry, I couldn't get that."
)

// toolSession is a call's cascade with tools: the runner holds every tool
// call of the conversation by id. A result is carried into the next turns'
// requests until a reply using it was heard in full, so a barge-in loses
// nothing and nothing runs twice.
type toolSession struct {
	*Cascade
	runner *tools.Runner

	mu   sync.Mutex
	used map[int][]*tools.Call // calls whose results a turn's reply used
	// pending is the question waiting for the user's yes (confirm.go).
	pending *pendingConfirm
}

// Speculative implements brain.Speculator: a tool may act in the world,
// so no reply is prepared before the turn commits.
func (s *toolSession) Speculative() bool { return false }

// Respond implements brain.Session.
func (s *toolSession) Respond(ctx context.Context, req brain.Request, out brain.Output) {
	if req.Say != "" {
		s.respond(ctx, req, out, nil)
		return
	}
	if s.respond(ctx, req, out, s) && ctx.Err() == nil {
		s.mu.Lock()
		used := s.used[req.TurnID]
		s.mu.Unlock()
		s.runner.MarkSpoken(used...)
	}
}

// Truncate implements brain.Session: a reply cut off after it was produced
// may not have said its tool results; carry them again.
func (s *toolSession) Truncate(turnID int, _ time.Duration, _ string) {
	s.mu.Lock()
	used := s.used[turnID]
	delete(s.used, turnID)
	s.mu.Unlock()
	s.runner.Unspeak(used...)
}

// Hear implements brain.Session; the user speaking restarts the wait for
// an answer to a question.
func (s *toolSession) Hear(ctx context.Context, opt stt.StreamOptions) (stt.Stream, error) {
	s.listening()
	return s.Cascade.Hear(ctx, opt)
}

// Close implements brain.Session: a question waiting is dropped, running
// tool calls are cancelled and joined.
func (s *toolSession) Close() error {
	s.take()
	s.runner.Close()
	return nil
}

// wait waits for calls, saying the preamble once if that takes longer
// than PreambleAfter; false when the reply was cancelled meanwhile.
func (s *toolSession) wait(ctx context.Context, calls []*tools.Call, say func(string) bool) bool {
	after, preamble := s.PreambleAfter, s.Preamble
	if after <= 0 {
		after = DefaultPreambleAfter
	}
	if preamble == "" {
		preamble = DefaultPreamble
	}
	timer := s.clock().NewTimer(after)
	defer timer.Stop()
	for _, c := range calls {
		for waiting := true; waiting; {
			select {
			case <-c.Done():
				waiting = false
			case <-timer.C():
				if !say(preamble) {
					return false
				}
			case <-ctx.Done():
				return false
			}
		}
	}
	return true
}

// used tells out which calls' results the reply of turnID uses.
func used(out brain.Output, turnID int, calls []*tools.Call) {
	u, ok := out.(brain.ToolUser)
	if !ok || len(calls) == 0 {
		return
	}
	ids := make([]string, 0, len(calls))
	for _, c := range calls {
		ids = append(ids, c.ID)
	}
	u.ToolsUsed(turnID, ids)
}

// prepare offers the tools and carries the results not yet heard into the
// request, just before the new user turn.
func (s *toolSession) prepare(turnID int, req *llm.Request, now time.Time, out brain.Output) {
	req.Tools = s.runner.All()
	carried := s.runner.Unspoken()
	used(out, turnID, carried)
	s.mu.Lock()
	for k := range s.used {
		if k < turnID-8 {
			delete(s.used, k) // old turns' bookkeeping
		}
	}
	s.used[turnID] = append([]*tools.Call(nil), carried...)
	s.mu.Unlock()
	if len(carried) == 0 || len(req.History) == 0 {
		return
	}
	h := req.History
	last := h[len(h)-1]
	h = append(append(h[:len(h)-1:len(h)-1], tools.Messages(carried, now)...), last)
	req.History = h
}

// reporter turns the runner's events into out's tool.started/tool.done.
func reporter(out brain.Output) func(tools.Event) {
	rep, _ := out.(brain.ToolReporter)
	return func(ev tools.Event) {
		if rep == nil {
			return
		}
		if !ev.Done {
			rep.ToolStarted(ev.TurnID, ev.Call)
			return
		}
		rep.ToolDone(ev.TurnID, ev.Call, ev.Result, ev.Err, ev.Duration)
	}
}

// run starts the round's calls (those not started when the reply is
// cancelled never start), says the preamble if they take long, waits for
// them and returns the round's turns for the next LLM request. A call of
// a tool outside -tools-allow is held and the user asked first; the reply
// ends with the question. false: the reply ended (cancelled, or asking);
// calls already started run on and their results are carried into the
// next turn.
func (s *toolSession) run(ctx context.Context, turnID int, calls []llm.ToolCall, text string, out brain.Output, say func(string) bool) ([]llm.Message, bool) {
	report := reporter(out)
	var started []*tools.Call
	var held []llm.ToolCall
	for _, tc := range calls {
		switch {
		case ctx.Err() != nil:
			s.runner.Cancel(turnID, tc)
		case s.runner.NeedsConfirm(tc.Name) && s.runner.Lookup(tc.ID) == nil:
			held = append(held, tc)
		default:
			started = append(started, s.runner.Start(turnID, tc, report))
		}
	}
	used(out, turnID, started)
	s.mu.Lock()
	s.used[turnID] = append(s.used[turnID], started...)
	s.mu.Unlock()
	if ctx.Err() != nil {
		for _, tc := range held {
			s.runner.Cancel(turnID, tc)
		}
		return nil, false
	}
	if len(held) > 0 {
		s.ask(turnID, held, text, report)
		say(question(held))
		return nil, false
	}
	return s.finish(ctx, started, text, say)
}

// finish waits for started (the preamble if they take long), apologises
// for a failed one and returns the calls and results as turns.
func (s *toolSession) finish(ctx context.Context, started []*tools.Call, text string, say func(string) bool) ([]llm.Message, bool) {
	if ctx.Err() != nil || !s.wait(ctx, started, say) {
		return nil, false
	}
	failed := false
	for _, c := range started {
		if _, err := c.Result(); err != nil {
			failed = true
		}
	}
	if failed && !say(toolApology) {
		return nil, false
	}
	msgs := tools.Messages(started, s.clock().Now())
	if len(msgs) > 0 {
		msgs[0].Text = text
	}
	return msgs, true
}
