package callbot

import (
	"testing"
	"time"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/media"
)

// A tick that fires on time finds its frame due, however long the first
// frame took to encode and send: a frame left for the next tick goes out
// 20 ms late, in a burst with the one after it.
func TestFramePacerTickOnTime(t *testing.T) {
	t0 := time.Unix(1000, 0)
	clk := clock.NewManual(t0)
	p := newFramePacer(clk)
	defer p.Stop()
	if got := p.due(); got != 1 {
		t.Fatalf("due at the start = %d, want 1", got)
	}
	clk.Advance(700 * time.Microsecond) // the first frame is encoded and written
	for k := 1; k <= 5; k++ {
		clk.Advance(t0.Add(time.Duration(k) * media.FrameDuration).Sub(clk.Now())) // the tick's time, not a moment later
		select {
		case <-p.C():
		default:
			t.Fatalf("tick %d did not fire", k)
		}
		if got := p.due(); got != k+1 {
			t.Fatalf("at tick %d (%v after the pacer started) due = %d, want %d", k, clk.Now().Sub(t0), got, k+1)
		}
	}
}

// Frame i's microphone audio ends when it falls due, so the echo of a reply
// is picked up after the configured delay: stamped from the first frame's
// send time, each frame took the room 20 ms late and the echo came 20 ms
// early.
func TestFramePacerCapturedAtDue(t *testing.T) {
	t0 := time.Unix(1000, 0)
	clk := clock.NewManual(t0)
	p := newFramePacer(clk)
	defer p.Stop()
	for i := 0; i < 5; i++ {
		at := p.captured(i)
		clk.Advance(at.Sub(clk.Now()))
		if got := p.due(); got != i+1 {
			t.Fatalf("at frame %d's capture end (%v) due = %d, want %d", i, at.Sub(t0), got, i+1)
		}
	}
	// A packet played at 100 ms with 60 ms of delay reaches the microphone
	// at 160 ms: frame 8 (140–160 ms) hears none of it, frame 9 all of it.
	e := newEchoLine(EchoPath{GainDB: 0, Delay: 60 * time.Millisecond})
	e.played(make([]int16, frameSamples), t0) // the line starts with the call's first packet
	pkt := make([]int16, frameSamples)
	for i := range pkt {
		pkt[i] = 1000
	}
	e.played(pkt, t0.Add(100*time.Millisecond))
	var heard []int
	for i := 1; i <= 10; i++ {
		frame := make([]int16, frameSamples)
		e.pickUp(frame, p.captured(i))
		if frame[0] != 0 || frame[frameSamples-1] != 0 {
			heard = append(heard, i)
		}
	}
	if len(heard) != 1 || heard[0] != 9 {
		t.Fatalf("echo heard in frames %v, want [9]", heard)
	}
}
