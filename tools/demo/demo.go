// Package demo holds the demo tools used by tests and the demo MCP
// server: a counter that shows how often it ran, and a slow lookup.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/tools"
)

// Tools are the demo tools; their run counts are the test's proof that
// each call ran exactly once.
type Tools struct {
	// Clock times the slow tool; nil is the wall clock.
	Clock clock.Clock
	// Delay is how long the slow tool takes; 0 is 2 s.
	Delay time.Duration
	// OnRun, if set, hears each run as it starts.
	OnRun func(name string)

	counter atomic.Int64
	slow    atomic.Int64
}

// Runs returns how many times the named tool ran (started).
func (d *Tools) Runs(name string) int64 {
	switch name {
	case "counter":
		return d.counter.Load()
	case "slow_lookup":
		return d.slow.Load()
	}
	return 0
}

// Funcs returns the tools as an in-process provider.
func (d *Tools) Funcs() tools.Funcs {
	return tools.Funcs{
		{Tool: tools.Tool{Name: "counter", Description: "Increments a counter and returns its new value.",
			InputSchema: json.RawMessage(`{"type":"object","properties":{}}`)},
			Fn: func(context.Context, json.RawMessage) (string, error) {
				n := d.counter.Add(1)
				d.ran("counter")
				return fmt.Sprintf(`{"count":%d}`, n), nil
			}},
		{Tool: tools.Tool{Name: "slow_lookup", Description: "Looks up a topic; takes a while.",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"topic":{"type":"string"}},"required":["topic"]}`)},
			Fn: d.slowLookup},
	}
}

func (d *Tools) slowLookup(ctx context.Context, args json.RawMessage) (string, error) {
	var a struct {
		Topic string `json:"topic"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return "", err
	}
	n := d.slow.Add(1)
	d.ran("slow_lookup")
	clk, delay := d.Clock, d.Delay
	if clk == nil {
		clk = clock.Real()
	}
	if delay <= 0 {
		delay = 2 * time.Second
	}
	t := clk.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C():
	case <-ctx.Done():
		return "", ctx.Err()
	}
	b, _ := json.Marshal(map[string]any{"topic": a.Topic, "answer": "the answer about " + a.Topic, "lookup": n})
	return string(b), nil
}

func (d *Tools) ran(name string) {
	if d.OnRun != nil {
		d.OnRun(name)
	}
}
