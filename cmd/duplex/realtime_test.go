package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/fakerealtime"
	"github.com/duplex-ai/duplex/internal/testtier"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/tts/espeak"
)

const rtStory = "Once upon a time there was a small robot who liked to sing in the rain. One day it met a cat who could dance, and they travelled far away together."

// TestRealtimeCall: a callbot call through -pipeline realtime against the
// fake model. The caller asks for a story with a red camera, then barges
// in: the story's audio arrives with its transcript, the model sees the
// camera still, and after the barge-in it gets response.cancel and a
// truncate at the audio the caller received (±40 ms).
func TestRealtimeCall(t *testing.T) {
	voice, err := espeak.New(espeak.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer voice.Close()
	heard := []string{"tell me a story", "stop"}
	fake := fakerealtime.Start(fakerealtime.Options{TTS: voice, APIKey: "sk-fake", Delay: 200 * time.Millisecond,
		Transcribe: func(n int, _ []int16) string { return heard[min(n, len(heard)-1)] },
		Reply: func(user string) string {
			if user == "stop" {
				return "" // the barge-in's answer is silent, so all audio received is the story's
			}
			return rtStory
		}})
	defer fake.Close()
	t.Setenv("DUPLEX_OPENAI_API_KEY", "sk-fake")
	base := startServer(t, "-pipeline", "realtime", "-realtime-url", fake.URL(), "-realtime-model", "fake-realtime")
	story, rate := speak(t, "tell me a story")
	q, _ := speak(t, "stop")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := callbot.Run(ctx, callbot.Options{
		Server: base, Turns: [][]int16{story}, AudioRate: rate,
		BargeIn: q, BargeInAfter: 2 * time.Second, Tail: 4 * time.Second,
		VideoPath: filepath.Join("..", "..", "media", "video", "testdata", "red-640x480.ivf"), Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Turns) < 1 {
		t.Fatalf("turns %+v errors %v", res.Turns, res.Errors)
	}
	st := res.Turns[0]
	t.Logf("story turn %+v; audio received %.0f ms; truncations %+v", st, res.AudioPacketsMS, fake.Truncations())
	if st.User != "tell me a story" || !st.Interrupted || st.Heard == "" || !strings.HasPrefix(rtStory, st.Heard) {
		t.Errorf("story turn %+v: want the user's words and an interrupted reply with a heard prefix", st)
	}
	if st.LatencyMS <= 0 {
		t.Errorf("no turn latency: %+v", st)
	}
	// turn.metrics: the model's first words come after its 200 ms delay
	// (llm_first_token_ms is the model's time from response.create).
	var m *events.TurnMetrics
	for _, ev := range res.Events {
		if ev.Type == events.TypeTurnMetrics && ev.Metrics != nil {
			m = ev.Metrics
			break
		}
	}
	if m == nil || m.LLMFirstTokenMS < 200 || m.LLMFirstTokenMS > m.LatencyMS {
		t.Errorf("turn.metrics %+v: want llm_first_token_ms (the model's) ≥ its 200 ms delay", m)
	} else {
		t.Logf("turn.metrics %+v", *m)
	}
	evs := fake.Received()
	if n := fakerealtime.Count(evs, wire.TypeResponseCancel); n != 1 {
		t.Errorf("%d response.cancel, want 1", n)
	}
	tr := fake.Truncations()
	if len(tr) != 1 || tr[0].Rejected {
		t.Fatalf("truncations %+v, want one accepted", tr)
	}
	if d := float64(tr[0].AudioEndMs) - res.AudioPacketsMS; d < -40 || d > 40 {
		t.Errorf("audio_end_ms %d, caller received %.0f ms of audio", tr[0].AudioEndMs, res.AudioPacketsMS)
	}
	if imgs := fake.Images(); len(imgs) == 0 || imgs[0].Width != 640 || imgs[0].Height != 480 {
		t.Errorf("input_image parts %+v, want the 640×480 camera still", imgs)
	}
}

// TestRealtimeCallToolThroughInterruption: a callbot call through
// -pipeline realtime with the demo MCP server. The fake model calls
// slow_lookup and says a preamble; the caller cuts the preamble off while
// the tool runs; the answer to that turn quotes the tool's result, and the
// tool ran exactly once.
func TestRealtimeCallToolThroughInterruption(t *testing.T) {
	// Long enough to be still playing when the barge-in is decided.
	const toolPreamble = "Let me check that for you, it may take a moment while I look through everything I know about otters."
	testtier.Slow(t, "a real call with a 4 s tool")
	voice, err := espeak.New(espeak.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer voice.Close()
	d, mcpURL := demoMCP(t, 4*time.Second)
	heard := []string{"tell me about otters", "what did you find"}
	fake := fakerealtime.Start(fakerealtime.Options{TTS: voice, APIKey: "sk-fake", Delay: 100 * time.Millisecond,
		Transcribe:   func(n int, _ []int16) string { return heard[min(n, len(heard)-1)] },
		ToolPreamble: toolPreamble,
		ToolCall: func(user string) (string, string) {
			if user == heard[0] {
				return "slow_lookup", `{"topic":"otters"}`
			}
			return "", ""
		},
		ToolReply: func(out string) string {
			var r struct{ Answer string }
			_ = json.Unmarshal([]byte(out), &r)
			return "I found " + r.Answer + "."
		}})
	t.Cleanup(fake.Close)
	t.Setenv("DUPLEX_OPENAI_API_KEY", "sk-fake")
	base := startServer(t, "-pipeline", "realtime", "-realtime-url", fake.URL(), "-realtime-model", "fake-realtime", "-mcp", mcpURL)
	res, started, done := otterBargeIn(t, base)
	// The preamble is cut off by the caller's words (the engine takes them
	// as the next turn; it sends no reply.interrupted for this reply).
	if first := res.Turns[0]; first.Reply == "" || first.Reply == toolPreamble || !strings.HasPrefix(toolPreamble, first.Reply) {
		t.Errorf("first turn %+v: want the preamble, cut off", first)
	}
	if next := res.Turns[len(res.Turns)-1]; next.Reply != "I found the answer about otters." {
		t.Errorf("answer after the interruption %q lacks the tool's result", next.Reply)
	}
	if started != 1 || done != 1 || d.Runs("slow_lookup") != 1 {
		t.Errorf("tool.started %d, tool.done %d, slow_lookup ran %d times: want 1 each", started, done, d.Runs("slow_lookup"))
	}
	outputs := 0
	for _, ev := range fake.Received() {
		if c, ok := ev.(*wire.ConversationItemCreate); ok && c.Item.Type == wire.ItemFunctionCallOutput {
			outputs++
		}
	}
	if outputs != 1 {
		t.Errorf("%d function_call_output items, want 1", outputs)
	}
}
