package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/tools"
	"github.com/duplex-ai/duplex/tools/demo"
)

func newRunner(t *testing.T, clk clock.Clock, ps ...tools.Provider) (*tools.Runner, *tools.Registry) {
	t.Helper()
	reg := tools.NewRegistry()
	for _, p := range ps {
		if err := reg.Add(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	r := tools.NewRunner(context.Background(), reg, tools.Options{Clock: clk, Timeout: 5 * time.Second, MaxResult: 1024})
	t.Cleanup(r.Close)
	return r, reg
}

func wait(t *testing.T, c *tools.Call) (string, error) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("call never finished")
	}
	return c.Result()
}

func TestSameIDRunsOnce(t *testing.T) {
	d := &demo.Tools{}
	r, _ := newRunner(t, nil, d.Funcs())
	var mu sync.Mutex
	var evs []tools.Event
	report := func(e tools.Event) { mu.Lock(); evs = append(evs, e); mu.Unlock() }
	tc := llm.ToolCall{ID: "call_1", Name: "counter", Arguments: "{}"}
	c1 := r.Start(1, tc, report)
	c2 := r.Start(2, tc, report) // a regenerated reply asks again
	if c1 != c2 {
		t.Fatal("a second Start of one id made a new call")
	}
	res, err := wait(t, c1)
	if err != nil || res != `{"count":1}` {
		t.Fatalf("result %q %v", res, err)
	}
	r.Start(3, tc, report)
	if n := d.Runs("counter"); n != 1 {
		t.Fatalf("counter ran %d times", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(evs) != 2 || evs[0].Done || !evs[1].Done || evs[1].Err != nil || evs[0].Call.ID != "call_1" || evs[1].Result != `{"count":1}` {
		t.Fatalf("events %+v", evs)
	}
}

func TestTimeoutOnFakeClock(t *testing.T) {
	clk := clock.NewManual(time.Unix(0, 0))
	block := make(chan struct{})
	defer close(block)
	stuck := tools.Funcs{{Tool: tools.Tool{Name: "stuck"}, Fn: func(ctx context.Context, _ json.RawMessage) (string, error) {
		<-block // ignores its context: the timeout must still end the call
		return "late", nil
	}}}
	r, _ := newRunner(t, clk, stuck)
	c := r.Start(1, llm.ToolCall{ID: "a", Name: "stuck"}, nil)
	if err := clk.WaitFor(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(4 * time.Second)
	select {
	case <-c.Done():
		t.Fatal("finished before the timeout")
	default:
	}
	clk.Advance(time.Second)
	if _, err := wait(t, c); !errors.Is(err, tools.ErrTimeout) {
		t.Fatalf("err %v, want timeout", err)
	}
	if !strings.Contains(tools.ResultText(c), `"error"`) {
		t.Fatalf("result text %q", tools.ResultText(c))
	}
}

func TestMaliciousResultsBounded(t *testing.T) {
	huge := strings.Repeat("é", 100000) // 200 kB
	bad := tools.Funcs{
		{Tool: tools.Tool{Name: "huge"}, Fn: func(context.Context, json.RawMessage) (string, error) { return huge, nil }},
		{Tool: tools.Tool{Name: "garbage"}, Fn: func(context.Context, json.RawMessage) (string, error) {
			return "not json \x00\xff\xfe {{{", nil
		}},
	}
	r, _ := newRunner(t, nil, bad)
	res, err := wait(t, r.Start(1, llm.ToolCall{ID: "h", Name: "huge"}, nil))
	if err != nil || len(res) > 1024 || !utf8.ValidString(res) || !strings.HasSuffix(res, "[truncated]") {
		t.Fatalf("huge: %d bytes valid=%v err %v", len(res), utf8.ValidString(res), err)
	}
	res, err = wait(t, r.Start(1, llm.ToolCall{ID: "g", Name: "garbage"}, nil))
	if err != nil || !utf8.ValidString(res) || strings.Contains(res, "\x00") || !strings.HasPrefix(res, "not json") {
		t.Fatalf("garbage: %q %v", res, err)
	}
	msgs := tools.Messages(r.Unspoken(), time.Time{})
	if len(msgs) != 3 || len(msgs[0].ToolCalls) != 2 || msgs[1].ToolCallID != "h" || msgs[2].Text != res {
		t.Fatalf("messages %+v", msgs)
	}
}

func TestBadCallsFailWithoutRunning(t *testing.T) {
	d := &demo.Tools{}
	r, reg := newRunner(t, nil, d.Funcs())
	reg.Allow([]string{"slow_lookup"})
	for _, tc := range []struct {
		call llm.ToolCall
		want error
	}{
		{llm.ToolCall{ID: "1", Name: "counter"}, tools.ErrNotAllowed},
		{llm.ToolCall{ID: "2", Name: "nope"}, tools.ErrUnknownTool},
		{llm.ToolCall{ID: "3", Name: "slow_lookup", Arguments: "[1,2"}, tools.ErrBadArgs},
	} {
		if _, err := wait(t, r.Start(1, tc.call, nil)); !errors.Is(err, tc.want) {
			t.Errorf("%+v: err %v, want %v", tc.call, err, tc.want)
		}
	}
	if d.Runs("counter") != 0 || d.Runs("slow_lookup") != 0 {
		t.Fatal("a refused call ran")
	}
	if defs := r.Defs(); len(defs) != 1 || defs[0].Name != "slow_lookup" {
		t.Fatalf("offered %+v", defs)
	}
}

func TestCancelOnlyBeforeStart(t *testing.T) {
	d := &demo.Tools{}
	r, _ := newRunner(t, nil, d.Funcs())
	started := llm.ToolCall{ID: "s", Name: "counter"}
	wait(t, r.Start(1, started, nil))
	if r.Cancel(1, started) {
		t.Fatal("cancelled a call that had started")
	}
	pending := llm.ToolCall{ID: "p", Name: "counter"}
	if !r.Cancel(1, pending) {
		t.Fatal("could not cancel a call that never started")
	}
	c := r.Start(2, pending, nil) // a later retry does not run it either
	if _, err := wait(t, c); !errors.Is(err, tools.ErrCancelled) || d.Runs("counter") != 1 {
		t.Fatalf("err %v runs %d", err, d.Runs("counter"))
	}
	if u := r.Unspoken(); len(u) != 1 || u[0].ID != "s" {
		t.Fatalf("unspoken %+v", u)
	}
	r.MarkSpoken(r.Unspoken()...)
	if u := r.Unspoken(); len(u) != 0 {
		t.Fatalf("unspoken after MarkSpoken: %+v", u)
	}
}

func TestCloseEndsRunningCalls(t *testing.T) {
	d := &demo.Tools{Delay: time.Hour}
	reg := tools.NewRegistry()
	if err := reg.Add(context.Background(), d.Funcs()); err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(context.Background(), d.Funcs()); !errors.Is(err, tools.ErrDuplicate) {
		t.Fatalf("duplicate names: %v", err)
	}
	r := tools.NewRunner(context.Background(), reg, tools.Options{})
	c := r.Start(1, llm.ToolCall{ID: "x", Name: "slow_lookup", Arguments: `{"topic":"t"}`}, nil)
	r.Close()
	if _, err := wait(t, c); err == nil {
		t.Fatal("a call cut by Close has no error")
	}
}

// Tools outside the allow list are offered only with All, refused by
// Start and run by StartConfirmed; a declined call never runs, and its id
// is not run later either.
func TestConfirmation(t *testing.T) {
	d := &demo.Tools{}
	r, reg := newRunner(t, nil, d.Funcs())
	reg.Allow([]string{"slow_lookup"})
	if !r.NeedsConfirm("counter") || r.NeedsConfirm("slow_lookup") || r.NeedsConfirm("no_such_tool") {
		t.Fatal("NeedsConfirm does not follow the allow list")
	}
	if n, all := len(reg.Defs()), len(r.All()); n != 1 || all != 2 {
		t.Fatalf("Defs %d (want the allowed one), All %d (want both)", n, all)
	}
	if _, err := wait(t, r.Start(1, llm.ToolCall{ID: "c1", Name: "counter", Arguments: "{}"}, nil)); !errors.Is(err, tools.ErrNotAllowed) {
		t.Fatalf("unconfirmed start: %v", err)
	}
	if res, err := wait(t, r.StartConfirmed(1, llm.ToolCall{ID: "c2", Name: "counter", Arguments: "{}"}, nil)); err != nil || res != `{"count":1}` {
		t.Fatalf("confirmed start: %q %v", res, err)
	}
	no := llm.ToolCall{ID: "c3", Name: "counter", Arguments: "{}"}
	c := r.Decline(2, no, tools.ErrDeclined)
	if c == nil || r.State(c) != tools.Cancelled {
		t.Fatal("Decline made no cancelled call")
	}
	if _, err := c.Result(); !errors.Is(err, tools.ErrDeclined) {
		t.Fatalf("declined result %v", err)
	}
	if again := r.StartConfirmed(3, no, nil); again != c || r.Decline(3, no, tools.ErrDeclined) != nil {
		t.Fatal("a declined id started or was declined again")
	}
	if n := d.Runs("counter"); n != 1 {
		t.Fatalf("counter ran %d times, want 1", n)
	}
}
