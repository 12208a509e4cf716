// Package echogate keeps the assistant's own voice, played by a
// speakerphone and picked up again by the caller's microphone, from reaching
// the turn detector as speech.
//
// It is a residual-echo suppressor, not a linear echo canceller: the server
// knows exactly what it played (the reference), so for each 20 ms frame of
// the caller's audio it predicts, band by band, how much of the frame's
// energy the reference explains — through an echo path whose delay and gain
// it learns while the assistant speaks — and attenuates the frame by the
// share it explains. Speech over the echo is not explained and passes.
// docs/vad.md describes the method and its measurements.
package echogate

import (
	"math"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/internal/dsp"
)

const (
	// Rate and FrameSamples are the caller's audio the gate takes: 16 kHz
	// mono, 20 ms frames.
	Rate         = 16000
	FrameSamples = 320
	slot         = 20 * time.Millisecond
	refRate      = 48000
	fftN         = 512
	ringN        = 64 // reference slots kept: 1.28 s
	reverbSlots  = 6  // slots of the decaying tail after the direct echo
	reverbDecay  = 0.4
	lagSpread    = 2 // slots either side of the best lag also predict
	// maxStall is the longest writer stall (slots) taken for a hiccup
	// rather than the end of a talk spurt; stallMemory how long (slots) a
	// stall widens the lags that predict.
	maxStall    = 25
	stallMemory = 150
	corrFrames  = 100
	// minCorr is the correlation a lag needs before it is trusted.
	minCorr = 0.4
	// levelFloor keeps silent frames' levels finite (about −80 dBFS).
	levelFloor = 1e2
	// refFloor is the band power (16-bit scale, Hann window) below which a
	// reference band counts as silent (about −70 dBFS).
	refFloor = 1e3
	// warmFrames is how many frames with a playing reference a lag needs
	// before its estimate is trusted; before that every lag is assumed.
	warmFrames = 50
	// stepFast, stepSlow: the median tracker's step per frame (dB) while
	// warming and after.
	stepFast = 2.0
	stepSlow = 0.25
	// overSub scales the predicted echo before it is subtracted: the tail,
	// the lag's 20 ms resolution and the codec make the echo vary around
	// its prediction.
	overSub = 2.0
	// talkRatio is the share of a frame's power the echo must leave
	// unexplained for the frame to count as the caller talking; the gate
	// does not learn from such frames.
	talkRatio = 0.5
	// refLate is how many slots the reference may lag a caller frame's
	// slot and still count as playing (the writer's jitter).
	refLate = 3
	// minGain bounds the attenuation (−40 dB).
	minGain = 0.01
)

// bandEdges are the gate's bands in Hz (critical bands up to 7.7 kHz).
var bandEdges = [...]float64{100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720, 2000, 2320, 2700, 3150, 3700, 4400, 5300, 6400, 7700}

const nBands = len(bandEdges) - 1

type bands [nBands]float64

// Options configure a Gate. The zero value means the defaults.
type Options struct {
	// MaxDelay is the longest echo path the gate looks for (playout,
	// network both ways, the client's buffers); default 600 ms.
	MaxDelay time.Duration
}

// Stats are a gate's counters for metrics and tests.
type Stats struct {
	// Frames is the caller frames processed while the reference played;
	// Suppressed, those attenuated by more than 10 dB.
	Frames, Suppressed int
	// Delay and GainDB are the echo path's current estimate (GainDB the
	// mean over bands); Locked whether the estimate is trusted yet.
	Delay  time.Duration
	GainDB float64
	Locked bool
}

// Gate suppresses the echo of the reference in the caller's audio.
// Reference is called from the audio writer's goroutine, Process from the
// one goroutine that reads the caller's audio.
type Gate struct {
	maxLag int

	mu      sync.Mutex
	base    time.Time // wall time of slot 0
	hasBase bool
	refSlot [ringN]int64 // slot number held in each ring entry (-1: none)
	refPow  [ringN]bands // band power
	refDB   [ringN]bands // the same in dB
	lastRef int64
	// stall is how many slots the writer last fell behind within a talk
	// spurt, and stallAt the slot it happened: the caller's player absorbs
	// a stall by playing later, so the echo's delay may have grown by it.
	stall, stallAt int64
	// writer goroutine's scratch (under mu)
	rfft *dsp.RealFFT
	rwin []float64
	rpow []float64

	// reader goroutine only
	fft    *dsp.RealFFT
	win    []float64
	pow    []float64
	out    []int16
	anchor time.Time     // the first frame's arrival
	offset time.Duration // arrival minus anchor minus media time, earliest
	hasOff bool
	snap   []bands // the reference slots a frame looks at, newest first
	snapDB []bands
	// stallNow is the writer's recent stall (slots) as of the snapshot.
	stallNow int64
	snapOK   []bool
	micDB    bands
	refNow   bool              // the reference was written up to this frame's slot
	med      [][nBands]float64 // per lag: echo gain per band, dB
	corr     []lagCorr         // per lag: how well the reference's level follows the mic's
	seen     []int             // per lag: frames with a playing reference
	stats    Stats
	bandLo   [nBands]int
	bandHi   [nBands]int
	hann     []float64
	predict  bands
}

// New returns a gate.
func New(opt Options) *Gate {
	if opt.MaxDelay <= 0 {
		opt.MaxDelay = 600 * time.Millisecond
	}
	maxLag := int(opt.MaxDelay / slot)
	if maxLag > ringN-reverbSlots-2 {
		maxLag = ringN - reverbSlots - 2
	}
	g := &Gate{
		maxLag: maxLag,
		rfft:   dsp.NewRealFFT(fftN),
		rwin:   make([]float64, fftN),
		rpow:   make([]float64, fftN/2+1),
		fft:    dsp.NewRealFFT(fftN),
		win:    make([]float64, fftN),
		pow:    make([]float64, fftN/2+1),
		out:    make([]int16, FrameSamples),
		snap:   make([]bands, maxLag+reverbSlots+2),
		snapDB: make([]bands, maxLag+reverbSlots+2),
		snapOK: make([]bool, maxLag+reverbSlots+2),
		med:    make([][nBands]float64, maxLag+1),
		corr:   make([]lagCorr, maxLag+1),
		seen:   make([]int, maxLag+1),
		hann:   make([]float64, FrameSamples),
	}
	for i := range g.refSlot {
		g.refSlot[i] = -1
	}
	for i := range g.hann {
		g.hann[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(FrameSamples-1))
	}
	binHz := float64(Rate) / fftN
	for b := range nBands {
		g.bandLo[b] = int(math.Ceil(bandEdges[b] / binHz))
		g.bandHi[b] = int(math.Ceil(bandEdges[b+1] / binHz))
	}
	return g
}

// Reference records one frame sent to the caller: 20 ms of 48 kHz mono PCM
// written at time at. Frames not reported are silence.
func (g *Gate) Reference(pcm []int16, at time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.hasBase {
		g.base, g.hasBase = at, true
	}
	s := int64(math.Round(float64(at.Sub(g.base)) / float64(slot)))
	if s <= g.lastRef && g.refSlot[g.lastRef%ringN] == g.lastRef && s >= 0 {
		s = g.lastRef + 1 // two frames in one slot (a write right after a kick)
	}
	if s < 0 {
		return
	}
	// 48 → 16 kHz by averaging each group of three samples: enough
	// low-pass for band energies.
	n := min(len(pcm)/3, FrameSamples)
	for i := range n {
		v := (float64(pcm[3*i]) + float64(pcm[3*i+1]) + float64(pcm[3*i+2])) / 3
		g.rwin[i] = v * g.hann[i]
	}
	clear(g.rwin[n:])
	g.rfft.Power(g.rwin, g.rpow)
	i := s % ringN
	g.refSlot[i] = s
	g.bandsOf(g.rpow, &g.refPow[i])
	for b, p := range g.refPow[i] {
		g.refDB[i][b] = 10 * math.Log10(p+1)
	}
	if gap := s - g.lastRef - 1; gap > 0 && gap <= maxStall && g.refSlot[g.lastRef%ringN] == g.lastRef {
		if s-g.stallAt > stallMemory || gap > g.stall {
			g.stall, g.stallAt = gap, s
		}
	}
	g.lastRef = s
}

func (g *Gate) bandsOf(pow []float64, out *bands) {
	for b := range nBands {
		var sum float64
		for k := g.bandLo[b]; k < g.bandHi[b]; k++ {
			sum += pow[k]
		}
		out[b] = sum
	}
}

// Process returns the frame to give the turn detector: pcm itself when the
// reference explains none of it, else an attenuated copy (valid until the
// next call). at is the frame's media time, now when it arrived.
func (g *Gate) Process(pcm []int16, at time.Duration, now time.Time) []int16 {
	if len(pcm) != FrameSamples {
		return pcm
	}
	// Wall time of the frame: media time plus the earliest arrival offset
	// seen, which leaks upwards slowly so a new stream or a clock jump is
	// followed.
	if !g.hasOff {
		g.anchor = now
	}
	off := now.Sub(g.anchor) - at
	if !g.hasOff || off < g.offset {
		g.offset, g.hasOff = off, true
	} else {
		g.offset += 500 * time.Microsecond
	}
	if !g.snapshot(g.anchor.Add(g.offset + at)) {
		return pcm
	}
	for i := range FrameSamples {
		g.win[i] = float64(pcm[i]) * g.hann[i]
	}
	clear(g.win[FrameSamples:])
	g.fft.Power(g.win, g.pow)
	var mic bands
	g.bandsOf(g.pow, &mic)

	// The delay is tracked only while the reference is still being
	// written: after it stops, the window holds only its last words at
	// long lags, and a caller talking then (a barge-in) pulled the best
	// lag to the longest.
	if g.refNow {
		g.track(&mic)
	}
	best := g.bestLag()
	g.stats.Frames++
	g.predictEcho(best)
	var total, res float64
	for b := range nBands {
		total += mic[b]
		res += max(0, mic[b]-overSub*g.predict[b])
	}
	ratio := 0.0
	if total > 0 {
		ratio = res / total
	}
	if ratio < talkRatio {
		for b, p := range mic {
			g.micDB[b] = 10 * math.Log10(p+1)
		}
		g.learn()
	}
	if ratio >= 1 || total <= 0 {
		return pcm
	}
	gain := gainFor(ratio)
	if gain < 0.316 {
		g.stats.Suppressed++
	}
	for i, v := range pcm {
		g.out[i] = int16(float64(v) * gain)
	}
	return g.out
}

// gainFor maps the share of a frame's power the echo leaves unexplained to
// the frame's gain: frames the echo explains fall 20 dB or more (below the
// detector's level gate for echo up to −30 dBFS), frames with a third or
// more unexplained lose at most 5 dB.
func gainFor(ratio float64) float64 {
	switch {
	case ratio <= 0.1:
		return max(ratio, minGain)
	case ratio < 0.3:
		return 0.1 + (ratio-0.1)*(math.Sqrt(0.3)-0.1)/0.2
	default:
		return math.Sqrt(ratio)
	}
}

// snapshot copies the reference slots a frame at wall time t can hear,
// newest first; false when none of them played.
func (g *Gate) snapshot(t time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.hasBase {
		return false
	}
	// How far past the best lag the echo may lie after a recent stall of
	// the writer (0 when none).
	g.stallNow = 0
	if g.stall != 0 && g.lastRef-g.stallAt <= stallMemory {
		g.stallNow = g.stall
	}
	cur := int64(math.Round(float64(t.Sub(g.base)) / float64(slot)))
	g.refNow = g.lastRef >= cur-refLate && g.refSlot[g.lastRef%ringN] == g.lastRef
	any := false
	for j := range g.snap {
		s := cur - int64(j)
		ok := s >= 0 && g.refSlot[s%ringN] == s
		g.snapOK[j] = ok
		if ok {
			g.snap[j] = g.refPow[s%ringN]
			g.snapDB[j] = g.refDB[s%ringN]
			for _, p := range g.snap[j] {
				if p > refFloor {
					any = true
					break
				}
			}
		}
	}
	return any
}

// ref is the reference heard at lag j (slots), zero if silent.
func (g *Gate) refAt(j int) *bands {
	if j < 0 || j >= len(g.snap) || !g.snapOK[j] {
		return nil
	}
	return &g.snap[j]
}

// bestLag is the lag whose gain estimate fits best, or -1 while no lag is
// trusted yet.
func (g *Gate) bestLag() int {
	best := -1
	// Every lag must have had its chance: a short lag sees the reference
	// first and may correlate by chance before the true one has any frames.
	if g.stats.Frames < warmFrames+g.maxLag {
		g.stats.Locked = false
		return best
	}
	for l := 0; l <= g.maxLag; l++ {
		if g.seen[l] < warmFrames || g.corr[l].r() < minCorr {
			continue
		}
		if best < 0 || g.corr[l].r() > g.corr[best].r() {
			best = l
		}
	}
	g.stats.Locked = best >= 0
	if best >= 0 {
		g.stats.Delay = time.Duration(best) * slot
		var s float64
		for _, v := range g.med[best] {
			s += v
		}
		g.stats.GainDB = s / float64(nBands)
	}
	return best
}

// predictEcho fills g.predict: the echo power per band expected from the
// reference through lag (with its tail and the lags next to it), or, with
// no trusted lag, the loudest at any lag through that lag's gain (which
// starts at 0 dB).
func (g *Gate) predictEcho(lag int) {
	clear(g.predict[:])
	if lag < 0 {
		for l := 0; l <= g.maxLag; l++ {
			if r := g.refAt(l); r != nil {
				for b := range nBands {
					g.predict[b] = max(g.predict[b], math.Pow(10, g.med[l][b]/10)*r[b])
				}
			}
		}
		return
	}
	// The lags next to the best one too, each with its own gain: the echo
	// drifts by a slot with the writer's and the network's jitter.
	hi := lag + lagSpread + int(g.stallNow)
	for l := max(0, lag-lagSpread); l <= min(g.maxLag, hi); l++ {
		r := g.refAt(l)
		if r == nil {
			continue
		}
		for b := range nBands {
			g.predict[b] = max(g.predict[b], math.Pow(10, g.med[l][b]/10)*r[b])
		}
	}
	for b := range nBands {
		gain := math.Pow(10, g.med[lag][b]/10)
		decay := reverbDecay
		for j := lag + 1; j <= lag+reverbSlots; j++ {
			if r := g.refAt(j); r != nil {
				g.predict[b] = max(g.predict[b], gain*decay*r[b])
			}
			decay *= reverbDecay
		}
	}
}

// lagCorr is a running Pearson correlation between the mic's level and
// the reference's level at one lag (both in dB), over about corrFrames.
type lagCorr struct {
	n                     int
	sx, sy, sxx, syy, sxy float64
}

func (c *lagCorr) add(x, y float64) {
	// A plain mean over the first frames, then an exponential one.
	c.n++
	a := 1 / float64(min(c.n, corrFrames))
	c.sx += a * (x - c.sx)
	c.sy += a * (y - c.sy)
	c.sxx += a * (x*x - c.sxx)
	c.syy += a * (y*y - c.syy)
	c.sxy += a * (x*y - c.sxy)
}

func (c *lagCorr) r() float64 {
	vx, vy := c.sxx-c.sx*c.sx, c.syy-c.sy*c.sy
	if vx <= 1e-9 || vy <= 1e-9 {
		return 0
	}
	return (c.sxy - c.sx*c.sy) / math.Sqrt(vx*vy)
}

// track feeds every lag's correlation with this frame: the echo path's
// delay is where the mic's level follows the reference's best.
func (g *Gate) track(mic *bands) {
	var m float64
	for _, p := range mic {
		m += p
	}
	x := 10 * math.Log10(m+levelFloor)
	for l := 0; l <= g.maxLag; l++ {
		var r float64
		if p := g.refAt(l); p != nil {
			for _, v := range p {
				r += v
			}
		}
		g.corr[l].add(x, 10*math.Log10(r+levelFloor))
	}
}

// learn updates every lag's gain estimate with a frame the echo explains.
func (g *Gate) learn() {
	for l := 0; l <= g.maxLag; l++ {
		r := g.refAt(l)
		if r == nil {
			continue
		}
		rdb := &g.snapDB[l]
		step := stepSlow
		if g.seen[l] < warmFrames {
			step = stepFast
		}
		n := 0
		for b := range nBands {
			if r[b] <= refFloor {
				continue
			}
			d := g.micDB[b] - rdb[b]
			if d > g.med[l][b] {
				g.med[l][b] += step
			} else {
				g.med[l][b] -= step
			}
			n++
		}
		if n == 0 {
			continue
		}
		g.seen[l]++
	}
}

// Stats returns the gate's counters.
func (g *Gate) Stats() Stats { return g.stats }
