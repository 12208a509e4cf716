package dialogue

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/tools"
)

// Defaults of the confirmation step.
const (
	// DefaultConfirmTimeout is how long a question "Shall I …?" waits for
	// the user's answer before the calls are dropped.
	DefaultConfirmTimeout = 10 * time.Second
	// declinedReply is said when the user answers no.
	declinedReply = "Okay, I won't."
)

// pendingConfirm is a round's calls that wait for the user's yes: tools
// outside -tools-allow. It survives a barge-in on the question; the next
// user turn answers it, unless the timer (silence) drops it first.
type pendingConfirm struct {
	turnID int
	calls  []llm.ToolCall
	text   string // the model's text before the calls
	report func(tools.Event)
	timer  clock.Timer
}

// question asks the user to confirm calls: "Shall I run counter?".
func question(calls []llm.ToolCall) string {
	names := make([]string, 0, len(calls))
	for _, c := range calls {
		n := strings.ReplaceAll(c.Name, "_", " ")
		if len(n) > 40 {
			n = n[:40]
		}
		names = append(names, n)
	}
	return "Shall I run " + strings.Join(names, " and ") + "?"
}

// answer classifies a reply to the question: a no (any negative word),
// a yes (a short answer with an agreeing word), or neither.
func answer(text string) (yes, no bool) {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\''
	})
	agree := false
	for i, w := range words {
		switch w {
		case "no", "nope", "nah", "don't", "dont", "not", "cancel", "stop", "never", "wait":
			return false, true
		case "yes", "yeah", "yep", "yup", "sure", "okay", "ok", "please", "ahead", "alright", "certainly", "absolutely":
			agree = true
		case "do":
			agree = agree || i+1 < len(words) && words[i+1] == "it"
		}
	}
	return agree && len(words) <= 4, false
}

// ask holds calls for the user's yes and arms the silence timer; a
// question still open is dropped (declined) first.
func (s *toolSession) ask(turnID int, calls []llm.ToolCall, text string, report func(tools.Event)) {
	p := &pendingConfirm{turnID: turnID, calls: calls, text: text, report: report}
	s.mu.Lock()
	old := s.pending
	s.pending = p
	p.timer = s.clock().AfterFunc(s.confirmTimeout(), func() { s.expire(p) })
	s.mu.Unlock()
	if old != nil {
		old.timer.Stop()
		s.decline(old)
	}
}

func (s *toolSession) confirmTimeout() time.Duration {
	if s.ConfirmTimeout > 0 {
		return s.ConfirmTimeout
	}
	return DefaultConfirmTimeout
}

// expire drops p if it is still waiting: the user said nothing in time.
func (s *toolSession) expire(p *pendingConfirm) {
	s.mu.Lock()
	if s.pending != p {
		s.mu.Unlock()
		return
	}
	s.pending = nil
	s.mu.Unlock()
	s.decline(p)
}

// take returns the question waiting for this turn's answer, if any.
func (s *toolSession) take() *pendingConfirm {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending
	s.pending = nil
	if p != nil {
		p.timer.Stop()
	}
	return p
}

// decline records p's calls as never run (tools.ErrDeclined) and reports
// them done, so the page and transcript show the call was dropped.
func (s *toolSession) decline(p *pendingConfirm) {
	for _, tc := range p.calls {
		c := s.runner.Decline(p.turnID, tc, tools.ErrDeclined)
		if c != nil && p.report != nil {
			_, err := c.Result()
			p.report(tools.Event{TurnID: p.turnID, Call: tc, Done: true, Err: err})
		}
	}
}

// listening restarts the silence timer when the user starts to speak
// while a question waits: the answer is on its way.
func (s *toolSession) listening() {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending
	if p == nil {
		return
	}
	if p.timer.Stop() {
		p.timer = s.clock().AfterFunc(s.confirmTimeout(), func() { s.expire(p) })
	}
}

// confirmed handles a turn that may answer a question: yes runs the calls
// (saying the preamble if they take long) and returns their turns for
// the request; no says so and ends the reply (false); anything else drops
// the calls and the turn is answered as usual.
func (s *toolSession) confirmed(ctx context.Context, req brain.Request, out brain.Output, say func(string) bool, report func(tools.Event)) ([]llm.Message, bool) {
	p := s.take()
	if p == nil {
		return nil, true
	}
	yes, _ := answer(lastUserText(req.LLM.History))
	if !yes {
		s.decline(p)
		if _, no := answer(lastUserText(req.LLM.History)); no {
			say(declinedReply)
			return nil, false
		}
		return nil, true
	}
	started := make([]*tools.Call, 0, len(p.calls))
	for _, tc := range p.calls {
		started = append(started, s.runner.StartConfirmed(req.TurnID, tc, report))
	}
	used(out, req.TurnID, started)
	s.mu.Lock()
	s.used[req.TurnID] = append(s.used[req.TurnID], started...)
	s.mu.Unlock()
	return s.finish(ctx, started, p.text, say)
}

func lastUserText(h []llm.Message) string {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Role == llm.RoleUser {
			return h[i].Text
		}
	}
	return ""
}
