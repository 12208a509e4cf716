package faults

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/llm/local"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/stt/sphinx"
	"github.com/duplex-ai/duplex/tts/espeak"
	"github.com/duplex-ai/duplex/vad"
)

// cut is a policy that delivers everything until the server's n-th reply
// packet (n counted from 0), then drops every packet both ways for span
// (forever if span is 0). at reports when the cut began, or -1.
type cut struct {
	n    int
	span time.Duration
	from time.Duration
	on   bool
}

func (c *cut) policy(p packet) bool {
	if !c.on && !p.up && p.rtp && p.n >= c.n {
		c.on, c.from = true, p.at
	}
	if !c.on {
		return true
	}
	return c.span > 0 && p.at >= c.from+c.span
}

// cutAt returns when the cut began, since the link was made (false if it
// has not).
func (b *bed) cutAt(c *cut) (time.Duration, bool) {
	b.link.mu.Lock()
	defer b.link.mu.Unlock()
	return c.from, c.on
}

// TestCallerVanishes: 200 ms into the reply the caller's network goes dead
// (every packet dropped both ways; no DELETE, no DTLS close). The server
// reaps the call on the ICE timeouts with ReasonICEFailed, is back to no
// live call, and the call left no goroutine behind.
func TestCallerVanishes(t *testing.T) {
	sp := speak(t, "en-us", "this reply will be cut off half way through")
	b := newBed(t, bedOptions{pipeline: echoPipeline(t)})
	// Everything the bed runs (router, HTTP server) exists now: the call
	// must leave nothing else.
	base := goleak.IgnoreCurrent()
	c := &cut{n: 10}
	b.link.set(c.policy)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := b.callUntilCancelled(ctx, sp)
	// The call goes live, the cut falls, the server reaps the call.
	deadline := time.Now().Add(40 * time.Second)
	var from time.Duration
	for {
		at, on := b.cutAt(c)
		if on && b.mgr.Total() == 1 && b.mgr.Active() == 0 {
			from = at
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("cut %v (at %v), %d calls, %d live: the vanished caller was not reaped", on, at, b.mgr.Total(), b.mgr.Active())
		}
		time.Sleep(10 * time.Millisecond)
	}
	reaped := time.Since(b.link.start) - from
	// Only now does the caller give up (its DELETE finds no call).
	cancel()
	o := <-done
	if o.err != nil {
		t.Fatalf("callbot: %v", o.err)
	}
	logResult(t, o.res)
	st := b.link.stats()
	states := b.serverStates()
	reasons := b.mgr.ClosedByReason()
	t.Logf("cut after %d reply packets; reaped %v after the cut; server states %v; close reasons %v",
		c.n, reaped.Round(10*time.Millisecond), states, reasons)
	if st.downRTP <= c.n {
		t.Fatalf("only %d reply packets: the cut did not fall mid-reply", st.downRTP)
	}
	if len(reasons) != 1 || reasons[session.ReasonICEFailed] != 1 {
		t.Fatalf("close reasons %v, want one %s", reasons, session.ReasonICEFailed)
	}
	if !slices.Contains(states, "disconnected") || !slices.Contains(states, "failed") {
		t.Fatalf("server connection states %v, want disconnected then failed", states)
	}
	if b.mgr.Active() != 0 {
		t.Fatalf("%d live calls", b.mgr.Active())
	}
	if err := goleak.Find(base); err != nil {
		t.Fatalf("goroutines left by the reaped call: %v", err)
	}
}

// assistantPipeline builds the server's default offline assistant
// (pocketsphinx → local → espeak-ng), as cmd/duplex does, or skips.
func assistantPipeline(t *testing.T) pipeline.Pipeline {
	t.Helper()
	unavailable := func(err error) {
		t.Helper()
		msg := fmt.Sprintf("offline engines unavailable (make test installs them): %v", err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s, err := sphinx.NewEngine(sphinx.Options{})
	if err != nil {
		unavailable(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	// As cmd/duplex does: the first turn must not wait for the model to
	// load (NewStream runs on the engine's goroutine, which meanwhile
	// reads no caller audio).
	wctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	err = s.Warm(wctx)
	cancel()
	if err != nil {
		unavailable(err)
	}
	tt, err := espeak.New(espeak.Options{})
	if err != nil {
		if errors.Is(err, espeak.ErrUnavailable) {
			unavailable(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tt.Close() })
	det, err := dialogue.VADFactory(vad.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := dialogue.NewAssistant(dialogue.Options{STT: s, LLM: local.New(local.Options{}), TTS: tt, NewDetector: det, Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestPartitionHeals: with the offline assistant, 200 ms into the answer
// to "what time is it" the network drops everything both ways for 2 s
// (past the 1 s disconnected timeout, short of the 3 s failed timeout),
// then heals. The server sees the call disconnect and reconnect, the call
// survives, and the next question, asked after the partition, is heard and
// answered.
func TestPartitionHeals(t *testing.T) {
	const span = 2 * time.Second
	q1 := speak(t, "en-us", "what time is it")
	// en-us+f2: with plain en-us pocketsphinx often hears "twelve times
	// seventy" (cmd/duplex TestAssistantCall, BENCHMARKS.md).
	q2 := speak(t, "en-us+f2", "what is twelve times seven")
	if q1.rate != q2.rate {
		t.Fatalf("espeak-ng rates %d and %d", q1.rate, q2.rate)
	}
	b := newBed(t, bedOptions{pipeline: assistantPipeline(t)})
	c := &cut{n: 10, span: span}
	b.link.set(c.policy)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res := b.call(ctx, callbot.Options{
		Turns: [][]int16{q1.pcm, q2.pcm}, AudioRate: q1.rate,
		TurnTimeout: 15 * time.Second, Tail: 10 * time.Second, Wait: 2,
	})
	b.waitIdle(10 * time.Second)
	logResult(t, res)
	st := b.link.stats()
	states := b.serverStates()
	reasons := b.mgr.ClosedByReason()
	_, on := b.cutAt(c)
	t.Logf("partition of %v after %d reply packets: dropped %d caller RTP, %d reply RTP, %d other; server states %v; close reasons %v",
		span, c.n, st.upRTPDropped, st.downRTPDropped, st.otherDropped, states, reasons)
	for i, tr := range res.Turns {
		t.Logf("turn %d: %q → %q (%.0f ms)", i+1, tr.User, tr.Reply, tr.LatencyMS)
	}
	if !on || st.upRTPDropped < int(span/(20*time.Millisecond))*9/10 {
		t.Fatalf("the partition did not happen (on %v, %d caller packets dropped)", on, st.upRTPDropped)
	}
	// The server noticed the outage, and recovered from it.
	i := slices.Index(states, "disconnected")
	if i < 0 || !slices.Contains(states[i:], "connected") || slices.Contains(states, "failed") {
		t.Fatalf("server connection states %v, want connected, disconnected, connected", states)
	}
	if len(reasons) != 1 || reasons[session.ReasonClientHangup] != 1 {
		t.Fatalf("close reasons %v, want the caller's hang-up only", reasons)
	}
	if !res.OK || len(res.Turns) != 2 {
		t.Fatalf("ok=%v turns=%+v errors=%v", res.OK, res.Turns, res.Errors)
	}
	t1, t2 := res.Turns[0], res.Turns[1]
	if !strings.Contains(t1.User, "time") || t1.Reply == "" {
		t.Errorf("turn 1 (before the partition): %q → %q", t1.User, t1.Reply)
	}
	if !strings.Contains(t2.User, "twelve") || !regexp.MustCompile(`\b84\b`).MatchString(t2.Reply) || t2.LatencyMS <= 0 {
		t.Errorf("turn 2 (after the partition): %q → %q (%.0f ms), want 84 said", t2.User, t2.Reply, t2.LatencyMS)
	}
}
