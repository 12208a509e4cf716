package realtime

import (
	"context"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/internal/fakerealtime"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/tts/espeak"
)

// TestHearNextTurnBeforeCommit: the caller goes on right after a turn
// ends, so the next turn's stream opens before the model answers the last
// one's commit. The last turn still gets its own transcript, and the next
// turn its own (the model's events went to the newest stream: the last
// turn waited out its timeout and the next one took its words).
func TestHearNextTurnBeforeCommit(t *testing.T) {
	for _, turns := range []string{TurnsDuplex, TurnsServer} {
		t.Run(turns, func(t *testing.T) { hearNextTurnBeforeCommit(t, turns) })
	}
}

func hearNextTurnBeforeCommit(t *testing.T, turns string) {
	voice, err := espeak.New(espeak.Options{})
	if err != nil {
		t.Skip("espeak-ng:", err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	fake := fakerealtime.Start(fakerealtime.Options{TTS: voice, Transcribe: func(n int, _ []int16) string {
		if n == 0 {
			close(entered)
			<-release // the model is slow to commit the first turn
			return "the birch canoe"
		}
		return "slid on the smooth planks"
	}})
	defer fake.Close()
	b, err := New(Config{URL: fake.URL(), Model: "m", Timeout: 3 * time.Second, Turns: turns})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := b.NewSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	speech := make([]int16, stt.SampleRate/2)
	for i := range speech {
		speech[i] = int16(1000 * (i%16 - 8))
	}
	ctx := context.Background()
	first, err := sess.Hear(ctx, stt.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Write(speech); err != nil {
		t.Fatal(err)
	}
	type result struct {
		res stt.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := first.Finish(ctx)
		done <- result{res, err}
	}()
	<-entered
	next, err := sess.Hear(ctx, stt.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	r := <-done
	_ = first.Close()
	if r.err != nil || r.res.Text != "the birch canoe" {
		t.Fatalf("first turn: %q, %v", r.res.Text, r.err)
	}
	if err := next.Write(speech); err != nil {
		t.Fatal(err)
	}
	res, err := next.Finish(ctx)
	_ = next.Close()
	if err != nil || res.Text != "slid on the smooth planks" {
		t.Fatalf("next turn: %q, %v", res.Text, err)
	}
}
