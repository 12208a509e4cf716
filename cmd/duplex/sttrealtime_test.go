package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/fakerealtime"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/tts/espeak"
)

// TestRealtimeSTTCall: a callbot call through -stt openai-realtime against
// the fake transcription server. The socket drops in the middle of the
// first question: the caller gets an error event and a spoken apology, and
// the call goes on; the second question is streamed over a new socket
// during the turn, committed at its end and answered.
func TestRealtimeSTTCall(t *testing.T) {
	voice, err := espeak.New(espeak.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer voice.Close()
	fake := fakerealtime.Start(fakerealtime.Options{TTS: voice, APIKey: "sk-fake",
		Transcribe: func(int, []int16) string { return "what time is it" }})
	defer fake.Close()
	fake.SetFault(fakerealtime.Fault{DropAudio: 300 * time.Millisecond})
	t.Setenv("DUPLEX_OPENAI_API_KEY", "sk-fake")
	base := startServer(t, "-stt", "openai-realtime", "-stt-url", strings.Replace(fake.URL(), "/realtime", "", 1))
	q, rate := speak(t, "what time is it")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := callbot.Run(ctx, callbot.Options{Server: base, Turns: [][]int16{q, q}, AudioRate: rate,
		TurnTimeout: 15 * time.Second, Gap: -1, Tail: 4 * time.Second, Wait: 2, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("turns %+v errors %v", res.Turns, res.Errors)
	errs, apology := 0, ""
	for _, ev := range res.Events {
		switch {
		case ev.Type == events.TypeError:
			errs++
		case ev.Type == events.TypeReplyDone && strings.HasPrefix(ev.Text, "Sorry"):
			apology = ev.Text
		}
	}
	if errs != 1 || apology == "" {
		t.Errorf("%d error events, apology %q: want one error and an apology for the dropped socket", errs, apology)
	}
	// The apology has no user words, so callbot counts only the answered
	// question as a turn.
	if len(res.Turns) != 1 || res.Turns[0].User != "what time is it" || res.Turns[0].Reply == "" ||
		strings.HasPrefix(res.Turns[0].Reply, "Sorry") || res.Turns[0].LatencyMS <= 0 || res.Turns[0].Interrupted {
		t.Errorf("turns %+v: want the second question answered", res.Turns)
	}
	conns, _ := fake.Conns()
	evs := fake.Received()
	commits := fakerealtime.Count(evs, wire.TypeInputAudioBufferCommit)
	if conns != 2 || commits != 1 {
		t.Errorf("%d sockets, %d commits: want a new socket after the drop and one commit", conns, commits)
	}
	// The second question's audio went out during the turn: most appends
	// come before its commit.
	appends := 0
	for _, ev := range evs {
		if ev.EventType() == wire.TypeInputAudioBufferCommit {
			break
		}
		if ev.EventType() == wire.TypeInputAudioBufferAppend {
			appends++
		}
	}
	if appends < 20 {
		t.Errorf("%d appends before the commit", appends)
	}
}
