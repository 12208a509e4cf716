package callbot

import (
	"math"
	"sync"
	"time"
)

// EchoPath feeds the reply back into the microphone, as a speakerphone
// without echo cancellation does: each received packet is played from its
// arrival on (back to back, as a jitter buffer would), picked up Delay
// later at GainDB relative to the reply, with a room tail.
type EchoPath struct {
	GainDB float64
	Delay  time.Duration
	// RT60 is the room tail's decay time (a feedback comb); 0: none.
	RT60 time.Duration
}

// echoCombDelay is the comb's loop: 30 ms at 48 kHz.
const echoCombDelay = 1440

// echoLine is the air between the speaker and the microphone. The track
// goroutine writes what it played, the sender goroutine reads what the
// microphone picks up.
type echoLine struct {
	gain, fb float64
	delay    time.Duration

	mu      sync.Mutex
	t0      time.Time
	started bool
	ring    []float64 // 48 kHz samples, indexed by timeline position mod len
	wpos    int64     // where the next packet plays
	rpos    int64     // the next sample the microphone picks up
	comb    []float64 // the comb's last echoCombDelay outputs
	ci      int
}

func newEchoLine(p EchoPath) *echoLine {
	e := &echoLine{
		gain:  math.Pow(10, p.GainDB/20),
		delay: p.Delay,
		ring:  make([]float64, 8*sampleRate),
		comb:  make([]float64, echoCombDelay),
	}
	if p.RT60 > 0 {
		// −60 dB after RT60: per loop of 30 ms, 60·30ms/RT60 dB.
		e.fb = math.Pow(10, -3*(float64(echoCombDelay)/sampleRate)/p.RT60.Seconds())
	}
	return e
}

func (e *echoLine) pos(at time.Time) int64 {
	return int64(at.Sub(e.t0).Seconds() * sampleRate)
}

// played records a packet of reply audio arriving at at.
func (e *echoLine) played(pcm []int16, at time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.started {
		e.t0, e.started = at, true
	}
	p := e.pos(at.Add(e.delay))
	if p > e.wpos {
		e.wpos = p // the speaker ran dry: this packet plays on arrival
	}
	if e.wpos-e.rpos+int64(len(pcm)) > int64(len(e.ring)) {
		return // more than the ring holds ahead of the microphone: dropped
	}
	n := int64(len(e.ring))
	for i, v := range pcm {
		k := e.wpos + int64(i)
		if k >= e.rpos {
			e.ring[k%n] += float64(v)
		}
	}
	e.wpos += int64(len(pcm))
}

// pickUp adds to frame (the microphone's 20 ms sent at at) the echo heard
// during it.
func (e *echoLine) pickUp(frame []int16, at time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.started {
		return
	}
	end := e.pos(at)
	start := end - int64(len(frame))
	if start < e.rpos {
		start = e.rpos
	}
	n := int64(len(e.ring))
	for k := e.rpos; k < start; k++ { // samples no frame picked up
		e.ring[k%n] = 0
	}
	for i := range frame {
		k := start + int64(i)
		var x float64
		if k >= start && k < end {
			x = e.ring[k%n]
			e.ring[k%n] = 0
		}
		y := x + e.fb*e.comb[e.ci]
		e.comb[e.ci] = y
		e.ci = (e.ci + 1) % len(e.comb)
		v := float64(frame[i]) + e.gain*y
		frame[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	if end > e.rpos {
		e.rpos = end
	}
}
