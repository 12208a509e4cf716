package main

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/vad"
)

// TestCannedCall: -pipeline canned answers each of two spoken turns with
// the cached espeak-ng reply, with state events only.
func TestCannedCall(t *testing.T) {
	args := []string{"-pipeline", "canned"}
	if _, err := parseConfig([]string{"-data-dir="}, func(string) string { return "" }); err == nil {
		args = append(args, "-data-dir=") // no transcripts from this test
	}
	base := startServer(t, args...)
	pcm, rate := speak(t, "what time is it")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := callbot.Run(ctx, callbot.Options{
		Server: base, Turns: [][]int16{pcm, pcm}, AudioRate: rate,
		Tail: 5 * time.Second, TurnTimeout: 10 * time.Second, Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || len(res.Turns) != 2 {
		t.Fatalf("ok=%v turns=%+v errors=%v", res.OK, res.Turns, res.Errors)
	}
	for i, tr := range res.Turns {
		// At least the end-of-turn decision's floor of silence.
		if tr.LatencyMS < float64(vad.DefaultEndpointFloor/time.Millisecond) || tr.LatencyMS > 5000 {
			t.Errorf("turn %d: latency %.0f ms", i+1, tr.LatencyMS)
		}
	}
	// Two replies of about 2.5 s of voiced audio each.
	if res.AudioReceivedMS < 3500 {
		t.Errorf("received %.0f ms of reply audio", res.AudioReceivedMS)
	}
	var ready, speaking int
	for _, ev := range res.Events {
		switch {
		case ev.Type == events.TypeSessionReady:
			ready++
			if ev.Pipeline != "canned" || ev.Engines["llm"] != "canned" {
				t.Errorf("session.ready %+v", ev)
			}
		case ev.Type == events.TypeState && ev.State == events.StateSpeaking:
			speaking++
		}
	}
	if ready != 1 || speaking != 2 {
		t.Errorf("%d session.ready, %d speaking states", ready, speaking)
	}
}
