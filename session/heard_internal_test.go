package session

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/media"
)

type nullSink struct{}

func (nullSink) WriteSample(media.Sample) error { return nil }

// TestCallerOutStopsWhereCallerVanished: once the caller is gone, Played
// counts only the audio sent while they were still heard from, and
// nothing of an utterance begun after.
func TestCallerOutStopsWhereCallerVanished(t *testing.T) {
	mc := clock.NewManual(time.Unix(0, 0))
	w, err := media.NewPacedWriter(nullSink{}, media.PacedWriterOptions{Clock: mc})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	o := newCallerOut(w)
	var seen atomic.Int32
	o.SetOnPlayout(func(int, time.Duration, bool) { seen.Add(1) })
	if err := o.Enqueue(1, make([]int16, 48000), 48000); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// play advances the writer n frames and waits until they are sent.
	play := func(n int) {
		t.Helper()
		want := o.PacedWriter.Played(1) + time.Duration(n)*media.FrameDuration
		for o.PacedWriter.Played(1) < want {
			if err := mc.WaitFor(ctx, 1); err != nil {
				t.Fatalf("writer stuck at %v, want %v", o.PacedWriter.Played(1), want)
			}
			before := o.PacedWriter.Played(1)
			mc.Advance(media.FrameDuration)
			for i := 0; i < 1000 && o.PacedWriter.Played(1) == before; i++ {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	play(10)
	o.heardFrom()
	at := o.Played(1)
	play(15)
	if got := o.Played(1); got <= at {
		t.Fatalf("Played %v while the caller is there, want past %v", got, at)
	}
	o.vanished()
	if got := o.Played(1); got != at {
		t.Errorf("Played %v after the caller vanished, want %v (when last heard from)", got, at)
	}
	if got := o.Played(2); got != 0 {
		t.Errorf("Played(2) %v: an utterance after the caller vanished was heard", got)
	}
	if seen.Load() == 0 {
		t.Error("the pipeline's playout callback was not called")
	}
}
