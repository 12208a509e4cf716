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
