package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/llm"
)

// Options configure a Runner.
type Options struct {
	// Timeout bounds one tool call (-tool-timeout); 0 is DefaultTimeout.
	Timeout time.Duration
	// MaxResult caps a result's bytes; 0 is DefaultMaxResult.
	MaxResult int
	// Clock runs the timeouts; nil is the wall clock.
	Clock clock.Clock
}

// DefaultTimeout bounds a tool call when Options.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// State of a call.
type State int

// Call states.
const (
	Running State = iota + 1
	Done
	Cancelled // never started: its turn was cancelled first, or the user declined
)

// Event reports a call's start (Done false) or end to the page.
type Event struct {
	TurnID int
	Call   llm.ToolCall
	Done   bool
	// Result is the bounded result, Err the failure (Done only).
	Result   string
	Err      error
	Duration time.Duration
}

// Call is one tool call, known by its id for the whole conversation.
type Call struct {
	llm.ToolCall
	TurnID int

	done     chan struct{}
	once     sync.Once
	state    State // guarded by Runner.mu
	result   string
	err      error
	spoken   bool
	started  time.Time
	duration time.Duration
}

// Done is closed when the call has its result (or error).
func (c *Call) Done() <-chan struct{} { return c.done }

// Result is the bounded result, or the error; valid once Done is closed.
func (c *Call) Result() (string, error) { return c.result, c.err }

// Runner is one conversation's tool calls: each id runs at most once,
// on a goroutine the runner owns (not the reply's), so a barge-in or a
// regenerated reply never cancels or repeats it. Close joins them.
type Runner struct {
	reg *Registry
	o   Options
	clk clock.Clock

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	calls map[string]*Call
	order []*Call
}

// NewRunner returns a runner whose calls end at the latest when ctx does
// or Close is called.
func NewRunner(ctx context.Context, reg *Registry, o Options) *Runner {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxResult <= 0 {
		o.MaxResult = DefaultMaxResult
	}
	clk := o.Clock
	if clk == nil {
		clk = clock.Real()
	}
	ctx, cancel := context.WithCancel(ctx)
	return &Runner{reg: reg, o: o, clk: clk, ctx: ctx, cancel: cancel, calls: map[string]*Call{}}
}

// Defs are the tools offered to the model.
func (r *Runner) Defs() []llm.ToolDef { return r.reg.Defs() }

// Start runs tc unless its id is already known: then the existing call is
// returned and nothing runs again (a retried or regenerated reply).
// report, if set, hears the start now and the end from the call's
// goroutine. A call without an id gets an error result and never runs.
func (r *Runner) Start(turnID int, tc llm.ToolCall, report func(Event)) *Call {
	return r.start(turnID, tc, report, false)
}

// StartConfirmed is Start for a call the user confirmed: a tool outside
// the -tools-allow list runs too.
func (r *Runner) StartConfirmed(turnID int, tc llm.ToolCall, report func(Event)) *Call {
	return r.start(turnID, tc, report, true)
}

// NeedsConfirm reports whether a call of name must be confirmed first.
func (r *Runner) NeedsConfirm(name string) bool { return r.reg.NeedsConfirm(name) }

// All are the tools offered by a brain that asks before running those
// that need confirmation.
func (r *Runner) All() []llm.ToolDef { return r.reg.All() }

func (r *Runner) start(turnID int, tc llm.ToolCall, report func(Event), confirmed bool) *Call {
	r.mu.Lock()
	if c, ok := r.calls[tc.ID]; ok && tc.ID != "" {
		r.mu.Unlock()
		return c
	}
	c := &Call{ToolCall: tc, TurnID: turnID, done: make(chan struct{}), state: Running, started: r.clk.Now()}
	if tc.ID != "" {
		r.calls[tc.ID] = c
	}
	r.order = append(r.order, c)
	r.mu.Unlock()
	if report != nil {
		report(Event{TurnID: turnID, Call: tc})
	}
	finish := func(res string, err error) {
		c.once.Do(func() {
			r.mu.Lock()
			c.result, c.err = Bound(res, r.o.MaxResult), err
			c.state = Done
			c.duration = r.clk.Now().Sub(c.started)
			r.mu.Unlock()
			// The end is reported before Done closes: whoever waited on
			// Done has the event too.
			if report != nil {
				report(Event{TurnID: turnID, Call: tc, Done: true, Result: c.result, Err: err, Duration: c.duration})
			}
			close(c.done)
		})
	}
	if tc.ID == "" {
		finish("", fmt.Errorf("tools: call of %q without an id", tc.Name))
		return c
	}
	args, err := checkArgs(tc.Arguments)
	if err != nil {
		finish("", err)
		return c
	}
	ctx, cancel := context.WithCancel(r.ctx)
	// The timeout ends the call at once, even for a tool that ignores its
	// context; the runner still joins that tool's goroutine on Close.
	timer := r.clk.AfterFunc(r.o.Timeout, func() {
		cancel()
		finish("", fmt.Errorf("%w after %v", ErrTimeout, r.o.Timeout))
	})
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer cancel()
		res, err := r.reg.call(ctx, tc.Name, json.RawMessage(args), confirmed)
		timer.Stop()
		if err == nil && r.ctx.Err() != nil {
			err = r.ctx.Err()
		}
		finish(res, err)
	}()
	return c
}

// Cancel records that tc will never start because its turn was cancelled
// before it could; false when it already started (then it runs on).
func (r *Runner) Cancel(turnID int, tc llm.ToolCall) bool {
	return r.Decline(turnID, tc, ErrCancelled) != nil
}

// Decline records that tc will never start, failing with err (e.g.
// ErrDeclined), so asking again for its id runs nothing; nil when the id
// is already known (then that call stands).
func (r *Runner) Decline(turnID int, tc llm.ToolCall, err error) *Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.calls[tc.ID]; ok || tc.ID == "" {
		return nil
	}
	c := &Call{ToolCall: tc, TurnID: turnID, done: make(chan struct{}), state: Cancelled, err: err}
	close(c.done)
	r.calls[tc.ID] = c
	return c
}

// Lookup returns the call with id, or nil.
func (r *Runner) Lookup(id string) *Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id]
}

// State returns c's state.
func (r *Runner) State(c *Call) State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return c.state
}

// Unspoken returns the finished calls whose results no completed reply
// has used yet, in start order: the next turn's request carries them.
func (r *Runner) Unspoken() []*Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*Call
	for _, c := range r.order {
		if c.state == Done && !c.spoken {
			out = append(out, c)
		}
	}
	return out
}

// Running returns the calls still running, in start order.
func (r *Runner) Running() []*Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*Call
	for _, c := range r.order {
		if c.state == Running {
			out = append(out, c)
		}
	}
	return out
}

// MarkSpoken records that a reply using these calls' results was heard in
// full; they are no longer carried into later requests.
func (r *Runner) MarkSpoken(calls ...*Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range calls {
		c.spoken = true
	}
}

// Unspeak undoes MarkSpoken: the reply was cut off after all.
func (r *Runner) Unspeak(calls ...*Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range calls {
		c.spoken = false
	}
}

// Messages are calls and their results as conversation turns: one
// assistant turn with the calls, then one tool turn per result.
func Messages(calls []*Call, at time.Time) []llm.Message {
	if len(calls) == 0 {
		return nil
	}
	a := llm.Message{Role: llm.RoleAssistant, At: at}
	var res []llm.Message
	for _, c := range calls {
		a.ToolCalls = append(a.ToolCalls, c.ToolCall)
		res = append(res, llm.Message{Role: llm.RoleTool, ToolCallID: c.ID, Text: ResultText(c), At: at})
	}
	return append([]llm.Message{a}, res...)
}

// ResultText is what the model reads for a finished call: the result, or
// {"error": ...} for a failure.
func ResultText(c *Call) string {
	res, err := c.Result()
	if err != nil {
		b, _ := json.Marshal(map[string]string{"error": err.Error()})
		return string(b)
	}
	return res
}

// Close cancels the calls still running and waits for their goroutines.
func (r *Runner) Close() {
	r.cancel()
	r.wg.Wait()
}
