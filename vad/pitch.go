package vad

import (
	"fmt"
	"math"

	"github.com/duplex-ai/duplex/internal/dsp"
)

// The pitch tracker works on speech low-passed at pitchCutoff and decimated
// to pitchRate; it keeps the last 500 ms of speech frames and computes the
// F0 track once per pause (contour), not per frame.
const (
	pitchRate   = 4000
	pitchCutoff = 900.0 // Hz
	pitchBufLen = pitchRate / 2
	pitchHop    = pitchRate / 100 // 10 ms
	pitchWin    = 120             // 30 ms analysis window
	pitchMinLag = pitchRate / 400 // 400 Hz
	pitchMaxLag = pitchRate / 60  // 60 Hz
	pitchHops   = (pitchBufLen-pitchWin-pitchMaxLag)/pitchHop + 1
	pitchFinal  = 25 // hops of the final stretch the contour reads: 250 ms
	// A smooth run (contour) moves under pitchJumpST per hop; runs under
	// pitchShortRun hops are left out, and the last run that counts needs
	// pitchMinRun.
	pitchJumpST   = 1.5
	pitchShortRun = 4
	pitchMinRun   = 5
	pitchFit      = 15 // the line is fitted through a run's last 150 ms
	// pitchVoiced is the normalised autocorrelation peak a hop needs to
	// count as voiced, pitchFloorDB how far under the buffer's loudest hop
	// it may lie.
	pitchVoiced  = 0.6
	pitchFloorDB = 25.0
)

// Contour is the shape of the F0 track over the last voiced stretch before
// a pause.
type Contour int8

// Contours.
const (
	ContourNone    Contour = iota // too few voiced hops to tell
	ContourFalling                // the last voiced run falls PitchFallST or more
	ContourLevel
	ContourRising // the last voiced run rises PitchRiseST or more
)

func (c Contour) String() string {
	if c < ContourNone || c > ContourRising {
		return fmt.Sprintf("Contour(%d)", int8(c))
	}
	return [...]string{"none", "falling", "level", "rising"}[c]
}

// pitchTracker decimates speech frames into a ring and estimates the F0
// contour of its last 500 ms on demand. The zero value is not ready: use
// init.
type pitchTracker struct {
	step       int // input samples per decimated sample
	b0, b1, b2 float32
	a1, a2     float32
	x1, x2     float32 // biquad input history
	y1, y2     float32 // biquad output history
	acc        float32
	phase      int
	ring       [pitchBufLen]float32
	pos, n     int
	// Scratch of contour, kept here so a pause allocates nothing.
	lin  [pitchBufLen]float32
	f0   [pitchHops]float32 // 0: unvoiced
	en   [pitchHops]float32
	st   [pitchHops]float32
	last float32 // semitone change over the final stretch (contour)
}

// init sets the tracker for input at rate Hz (a multiple of pitchRate).
func (p *pitchTracker) init(rate int) {
	p.step = max(1, rate/pitchRate)
	// RBJ low-pass biquad, Q = 1/√2, at the input rate.
	w := 2 * math.Pi * pitchCutoff / float64(rate)
	alpha := math.Sin(w) / math.Sqrt2
	cw := math.Cos(w)
	a0 := 1 + alpha
	p.b0 = float32((1 - cw) / 2 / a0)
	p.b1 = float32((1 - cw) / a0)
	p.b2 = p.b0
	p.a1 = float32(-2 * cw / a0)
	p.a2 = float32((1 - alpha) / a0)
	p.reset()
}

func (p *pitchTracker) reset() {
	p.x1, p.x2, p.y1, p.y2, p.acc, p.phase = 0, 0, 0, 0, 0, 0
	p.pos, p.n = 0, 0
}

// push low-passes and decimates one frame of speech into the ring.
func (p *pitchTracker) push(frame []int16) {
	b0, b1, b2, a1, a2 := p.b0, p.b1, p.b2, p.a1, p.a2
	x1, x2, y1, y2 := p.x1, p.x2, p.y1, p.y2
	acc, phase := p.acc, p.phase
	inv := 1 / float32(p.step)
	for _, v := range frame {
		x := float32(v)
		y := b0*x + b1*x1 + b2*x2 - a1*y1 - a2*y2
		x2, x1, y2, y1 = x1, x, y1, y
		acc += y // boxcar over the step: a second, cheap anti-alias stage
		if phase++; phase == p.step {
			p.ring[p.pos] = acc * inv
			if p.pos++; p.pos == pitchBufLen {
				p.pos = 0
			}
			p.n = min(p.n+1, pitchBufLen)
			acc, phase = 0, 0
		}
	}
	p.x1, p.x2, p.y1, p.y2, p.acc, p.phase = x1, x2, y1, y2, acc, phase
}

// track fills en for the hops of the buffered speech, oldest first, whose
// windows end at the ring's newest sample, and f0 for the last pitchFinal
// of them, and returns how many there are.
func (p *pitchTracker) track() int {
	n := p.n
	for i := range n { // unroll the ring, oldest first
		j := p.pos - n + i
		if j < 0 {
			j += pitchBufLen
		}
		p.lin[i] = p.ring[j]
	}
	span := pitchWin + pitchMaxLag
	if n < span {
		return 0
	}
	hops := (n-span)/pitchHop + 1
	off := n - span - (hops-1)*pitchHop
	for h := range hops {
		x := p.lin[off+h*pitchHop : off+h*pitchHop+span]
		if h < hops-pitchFinal { // before the final stretch: energy only
			p.f0[h], p.en[h] = 0, energy(x[:pitchWin])
			continue
		}
		p.f0[h], p.en[h] = pitchOf(x)
	}
	// Unvoice the hops far under the loudest.
	var top float32
	for h := range hops {
		top = max(top, p.en[h])
	}
	floor := top * float32(math.Pow(10, -pitchFloorDB/10))
	for h := range hops {
		if p.en[h] < floor {
			p.f0[h] = 0
		}
	}
	return hops
}

// pitchOf estimates the F0 (Hz, 0 when unvoiced) of x, pitchWin plus
// pitchMaxLag samples at pitchRate, by the normalised cross-correlation of
// its first pitchWin samples with their lagged copies, and returns the
// window's energy. Of the peaks within 85 % of the best it takes the
// shortest lag, so a period's multiples do not halve the F0.
func pitchOf(x []float32) (f0, en float32) {
	w := x[:pitchWin]
	e0 := energy(w)
	if e0 <= 0 {
		return 0, 0
	}
	var r [pitchMaxLag + 2]float32
	// Energy of the lagged window, updated lag to lag.
	var el float32
	for _, v := range x[pitchMinLag-1 : pitchMinLag-1+pitchWin] {
		el += v * v
	}
	best := float32(0)
	for lag := pitchMinLag - 1; lag <= pitchMaxLag; lag++ {
		if lag > pitchMinLag-1 {
			o, n := x[lag-1], x[lag-1+pitchWin]
			el += n*n - o*o
		}
		y := x[lag : lag+pitchWin]
		c := dsp.Dot(w, y)
		if el > 0 {
			r[lag] = c / float32(math.Sqrt(float64(e0*el)))
		}
		if lag >= pitchMinLag {
			best = max(best, r[lag])
		}
	}
	if best < pitchVoiced {
		return 0, e0
	}
	for lag := pitchMinLag; lag <= pitchMaxLag; lag++ {
		if r[lag] < 0.85*best || r[lag] < r[lag-1] || r[lag] < r[lag+1] {
			continue
		}
		// Parabolic interpolation of the peak.
		d := float32(0)
		if lag < pitchMaxLag {
			a, b, c := r[lag-1], r[lag], r[lag+1]
			if den := a - 2*b + c; den < 0 {
				d = 0.5 * (a - c) / den
			}
		}
		return pitchRate / (float32(lag) + d), e0
	}
	return 0, e0
}

// contour classifies the F0 track of the buffered speech by its last
// smooth voiced run within the final 250 ms: hops in a row whose F0 moves
// under pitchJumpST from hop to hop (a jump is an octave error or a
// burst's false period), at least pitchMinRun of them. The change in
// semitones along a least-squares line through the run's last 150 ms is
// falling at fallST or more down, rising at riseST or more up.
func (p *pitchTracker) contour(fallST, riseST float64) Contour {
	hops := p.track()
	from := max(0, hops-pitchFinal)
	for h := from; h < hops; h++ {
		if p.f0[h] > 0 {
			p.st[h] = float32(12 * math.Log2(float64(p.f0[h])/100))
		}
	}
	p.last = 0
	start, end := -1, -1 // the last run that counts, [start, end)
	for h := from; h < hops; {
		if p.f0[h] == 0 {
			h++
			continue
		}
		k := h + 1
		for k < hops && p.f0[k] > 0 && abs32(p.st[k]-p.st[k-1]) < pitchJumpST {
			k++
		}
		if k-h >= pitchShortRun {
			start, end = h, k
		}
		h = k
	}
	if start < 0 || end-start < pitchMinRun {
		return ContourNone
	}
	start = max(start, end-pitchFit)
	var sx, sy, sxx, sxy float32
	m := float32(end - start)
	for h := start; h < end; h++ {
		t := float32(h-start) / 100 // seconds
		sx, sy, sxx, sxy = sx+t, sy+p.st[h], sxx+t*t, sxy+t*p.st[h]
	}
	slope := (m*sxy - sx*sy) / (m*sxx - sx*sx) // semitones per second
	p.last = slope * float32(end-start-1) / 100
	switch {
	case float64(p.last) <= -fallST:
		return ContourFalling
	case float64(p.last) >= riseST:
		return ContourRising
	}
	return ContourLevel
}

func abs32(x float32) float32 { return max(x, -x) }

func energy(x []float32) float32 { return dsp.Dot(x, x) }

// FinalContour is the pitch contour of the last 500 ms of pcm (speech at
// rate Hz: 8, 16 or 48 kHz) as the adaptive end of turn reads it at a
// pause, with the semitone change over its final 250 ms. It allocates; for
// tools and tests.
func FinalContour(pcm []int16, rate int, fallST, riseST float64) (Contour, float64) {
	p := new(pitchTracker)
	p.init(rate)
	p.push(pcm)
	c := p.contour(fallST, riseST)
	return c, float64(p.last)
}
