package main

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/internal/callbot"
)

// TestAssistantOverSpeakerphone: the caller's microphone picks the reply up
// again (−10 dB, 200 ms, a room tail), as a speakerphone without echo
// cancellation does. The help reply plays to its end, unbroken by its own
// echo; a question spoken over the story's echo still interrupts it.
func TestAssistantOverSpeakerphone(t *testing.T) {
	base := startServer(t)
	help, rate := speak(t, "what can you do")
	story, _ := speak(t, "tell me a story")
	q, _ := speak(t, "what time is it")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := callbot.Run(ctx, callbot.Options{
		Server: base, Turns: [][]int16{help, story}, AudioRate: rate,
		BargeIn: q, BargeInAfter: 2 * time.Second, Tail: 6 * time.Second, Wait: 3, Log: zerolog.Nop(),
		Echo: &callbot.EchoPath{GainDB: -10, Delay: 200 * time.Millisecond, RT60: 300 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, tu := range res.Turns {
		t.Logf("turn %d: %q → %.40q interrupted %v", i, tu.User, tu.Reply, tu.Interrupted)
	}
	if len(res.Turns) != 3 {
		t.Fatalf("%d turns, want 3 (help, story, the question over it): %v", len(res.Turns), res.Errors)
	}
	if h := res.Turns[0]; h.Interrupted || h.Reply == "" {
		t.Errorf("the help reply was cut by its own echo: %+v", h)
	}
	st := res.Turns[1]
	if !st.Interrupted || st.BargeInStopMS == nil || *st.BargeInStopMS <= 0 {
		t.Errorf("the question over the story's echo did not interrupt it: %+v", st)
	}
	if res.Turns[2].Reply == "" {
		t.Errorf("no reply to the question spoken over the echo: %+v", res.Turns[2])
	}
}
