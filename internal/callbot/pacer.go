package callbot

import (
	"time"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/media"
)

// framePacer tells a real-time sender how many 20 ms frames are due. Frame
// i is due i×20 ms after the origin, read before the ticker starts, so a
// tick that fires on time always finds its frame due: counted from the first
// frame's send time instead, a tick that woke sooner than that frame took to
// encode left its frame for the next tick, 20 ms late.
type framePacer struct {
	clk    clock.Clock
	tick   clock.Ticker
	origin time.Time
}

func newFramePacer(clk clock.Clock) *framePacer {
	origin := clk.Now()
	return &framePacer{clk: clk, origin: origin, tick: clk.NewTicker(media.FrameDuration)}
}

// due is how many frames should have been sent by now (1 at the start).
func (p *framePacer) due() int {
	return int(p.clk.Now().Sub(p.origin)/media.FrameDuration) + 1
}

// captured is when frame i's 20 ms of microphone audio ends: the moment
// it falls due, however late the sender wakes up to send it.
func (p *framePacer) captured(i int) time.Time {
	return p.origin.Add(time.Duration(i) * media.FrameDuration)
}

// C ticks every frame.
func (p *framePacer) C() <-chan time.Time { return p.tick.C() }

// Stop stops the ticker.
func (p *framePacer) Stop() { p.tick.Stop() }
