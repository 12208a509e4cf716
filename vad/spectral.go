package vad

import (
	"math"

	"github.com/duplex-ai/duplex/internal/dsp"
)

// SpectralVAD is the production frame classifier. Every 10 ms it measures
// ~20 sub-band levels (Hann-windowed FFT, analysed at 8 or 16 kHz), compares
// each with the larger of a minimum-statistics noise floor (steady noise)
// and a learnt background mean (babble), scores them with the learnt model
// (model.go) and maps the score, with a short hangover, to a probability.
// It also reports whether the background fluctuates (Fluctuating), which
// changes the rules here and in the Detector. How and why: docs/vad.md.
// It allocates only in NewClassifier and serves one stream (not safe for
// concurrent use).
type SpectralVAD struct {
	opt       Options
	minEnergy float64 // mean square per sample below which a frame is not speech (MinLevel)

	rate int // internal analysis rate: 8000 or 16000
	hop  int // samples per 10 ms hop at rate
	n    int // FFT size

	fft    *dsp.RealFFT
	window []float64
	buf    []float64 // last n samples; new samples land at n-hop+pos
	pos    int
	win    []float64 // windowed copy of buf
	pow    []float64 // n/2+1 bin powers

	bandLo, bandHi []int
	weight         []float64
	weightSum      float64
	noise          []float64   // current floor per band
	level          []float64   // band power smoothed over hops
	bg             []float64   // mean background power per band
	levelDB, bgDB  []float64   // this hop, dB: level over the reference; background over the floor
	bgdBg, bgdNf   []float64   // the background and floor bgDB was computed from
	model          *modelState // the learnt score: features and weights for this rate
	useModel       bool        // the learnt score decides (weights present)
	spread         float64     // mean over bands of the background over the floor, dB, smoothed over ~1 s
	quiet, stuck   int         // hops since the score was last at/above center; hops since the background learnt
	smooth         []float64   // smoothed band power
	curMin         []float64   // minimum of smooth in the current sub-window
	winMins        []float64   // band × noiseSubWins stored sub-window minima
	storedMin      []float64   // minimum of winMins per band
	subCount       int
	subIdx         int

	rs  *dsp.Resampler // 48 kHz → 16 kHz, nil otherwise
	dec []int16        // rs's output for the current frame

	hops     int     // hops analysed since Reset
	score    float64 // smoothed score (dB)
	lastProb float64
	hang     int     // hops since the raw score was last at or above center
	run      int     // consecutive hops with the raw score at or above center
	hangOK   bool    // the last speech run was long enough to earn a hangover
	runPeak  float64 // highest score of the current run
	hold     int     // hops held since the last weak run ended
	holdOK   bool    // the last run earned a hold
	center   float64 // decision point (dB)
	quietSum float64 // sum of band floors below which the input counts as clean
}

// Tuning constants of SpectralVAD, from the measurements in BENCHMARKS.md.
const (
	specCenter     = 2.0    // dB of weighted mean band SNR at p = 0.5
	levelSmooth    = 0.5    // per-hop smoothing of the band levels that are scored (time constant ≈ 15 ms)
	bgRate         = 0.01   // background mean update per quiet hop (≈ 1 s of quiet hops)
	bgQuietHops    = 10     // hops below the decision point before the background learns
	bgGate         = 2.0    // a band more than this factor (3 dB) above its reference is not background
	bgStuckHops    = 400    // no quiet hop for this long (4 s): the background creeps up ...
	bgCreep        = 1.0046 // ... by this factor per hop (0.02 dB)
	spreadSmooth   = 0.99   // per-hop smoothing of the background spread (≈ 1 s)
	fluctuatingDB  = 2.5    // spread at or above which the background fluctuates
	specWidth      = 1.2    // dB per logistic unit
	specDecay      = 0.82   // score hangover decay per 10 ms hop
	specHangHops   = 8      // the decayed score counts for at most 80 ms after the last speech hop
	specHangAfter  = 10     // ... and only after at least 100 ms of speech (clicks get none)
	specHangQuiet  = 2      // hangover hops when the floor is near minBinPower (clean input)
	specHoldPeak   = 6.0    // a run scoring under this throughout is weak speech ...
	specHoldHops   = 10     // ... held for this long (100 ms) after it, in a steady background
	specQuietDB    = 10.0   // mean band floor within this of minBinPower counts as clean
	specClipDB     = 30.0
	noiseSmooth    = 0.8    // per-hop smoothing of band power before minimum tracking
	noiseSubHops   = 30     // hops per minimum sub-window (300 ms)
	noiseSubWins   = 10     // sub-windows in the minimum window (3 s)
	noiseBias      = 2.0    // minimum → mean noise power (≈ +3 dB)
	noiseInitHops  = 10     // first 100 ms: no decisions, the floor settles
	minBinPower    = 1000.0 // floor on the noise estimate (≈ −80 dBFS white)
	speechLowHz    = 200.0
	speechHighHz   = 4000.0
	offBandWeight  = 0.35
	hopsPerSecond  = 100
	bandEdgeLowHz  = 100.0
	bandEdgeHighHz = 7700.0
)

var bandEdgesHz = []float64{100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480,
	1720, 2000, 2320, 2700, 3150, 3700, 4400, 5300, 6400, 7700}

// NewClassifier returns a SpectralVAD for the given options.
func NewClassifier(opt Options) (*SpectralVAD, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	v := &SpectralVAD{opt: opt}
	v.rate = 16000
	if opt.SampleRate == 8000 {
		v.rate = 8000
	}
	if opt.SampleRate == 48000 {
		if v.rs, err = dsp.NewDelayedResampler(48000, 16000); err != nil {
			return nil, err
		}
		v.dec = make([]int16, 0, 2*v.hop) // grows to the longest frame's output
	}
	v.hop = v.rate / hopsPerSecond
	v.n = 256
	if v.rate == 8000 {
		v.n = 128
	}
	v.fft = dsp.NewRealFFT(v.n)
	v.window = make([]float64, v.n)
	for i := range v.window {
		v.window[i] = 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(v.n))
	}
	v.buf = make([]float64, v.n)
	v.win = make([]float64, v.n)
	v.pow = make([]float64, v.n/2+1)
	binHz := float64(v.rate) / float64(v.n)
	nyq := float64(v.rate) / 2
	for i := 0; i+1 < len(bandEdgesHz); i++ {
		lo, hi := bandEdgesHz[i], bandEdgesHz[i+1]
		if hi > nyq-100 {
			break
		}
		bl, bh := int(math.Round(lo/binHz)), int(math.Round(hi/binHz))
		if bh <= bl {
			bh = bl + 1
		}
		w := 1.0
		if hi <= speechLowHz || lo >= speechHighHz {
			w = offBandWeight
		}
		v.bandLo = append(v.bandLo, bl)
		v.bandHi = append(v.bandHi, bh)
		v.weight = append(v.weight, w)
		v.weightSum += w
	}
	nb := len(v.bandLo)
	v.noise = make([]float64, nb)
	v.level = make([]float64, nb)
	v.bg = make([]float64, nb)
	v.levelDB = make([]float64, nb)
	v.bgDB = make([]float64, nb)
	v.bgdBg = make([]float64, nb)
	v.bgdNf = make([]float64, nb)
	switch nb {
	case modelBands:
		v.model = newModelState(nb, modelWeights)
	case modelBands8k:
		v.model = newModelState(nb, modelWeights8k)
	}
	v.useModel = v.model != nil && v.model.w != nil
	v.smooth = make([]float64, nb)
	v.curMin = make([]float64, nb)
	v.storedMin = make([]float64, nb)
	v.winMins = make([]float64, nb*noiseSubWins)
	v.center = specCenter - opt.Sensitivity
	v.minEnergy = 32768 * 32768 * math.Pow(10, opt.MinLevel/10)
	v.quietSum = float64(nb) * minBinPower * math.Pow(10, specQuietDB/10)
	v.Reset()
	return v, nil
}

// Options returns the options in effect, defaults filled in.
func (v *SpectralVAD) Options() Options { return v.opt }

// Reset forgets the stream.
func (v *SpectralVAD) Reset() {
	clear(v.buf)
	v.pos = 0
	v.hops = 0
	v.score = 0
	v.lastProb = 0
	v.hang = specHangHops
	v.runPeak, v.hold, v.holdOK = 0, 0, false
	v.run = 0
	v.hangOK = false
	for i := range v.noise {
		v.noise[i] = minBinPower
		v.bg[i] = minBinPower
		v.level[i] = 0
		v.smooth[i] = 0
		v.curMin[i] = math.Inf(1)
		v.storedMin[i] = math.Inf(1)
	}
	for i := range v.winMins {
		v.winMins[i] = math.Inf(1)
	}
	v.subCount, v.subIdx = 0, 0
	v.quiet, v.stuck = 0, 0
	v.spread = 0
	if v.model != nil {
		v.model.reset()
	}
	if v.rs != nil {
		v.rs.Reset()
	}
}

// Fluctuating reports whether the background fluctuates like other people
// talking (babble, a café, a TV): its mean over the last seconds sits at
// least 2.5 dB above its minimum, averaged over the bands. Stationary noise
// (fans, hum, cars, white or pink noise) stays under 1 dB. The Detector asks
// for TurnOptions.StartThreshold only then.
func (v *SpectralVAD) Fluctuating() bool { return v.spread >= fluctuatingDB }

// IsSpeech runs Prob and compares it with Options.Threshold.
func (v *SpectralVAD) IsSpeech(frame []int16) bool { return v.Prob(frame) >= v.opt.Threshold }

// Prob feeds one frame and returns the highest speech probability among the
// 10 ms hops completed by it. Any length is accepted; samples short of a hop
// are carried to the next call (a call completing no hop returns the previous
// probability).
func (v *SpectralVAD) Prob(frame []int16) float64 {
	p, e := v.prob(frame)
	if len(frame) > 0 && e < v.minEnergy*float64(len(frame)) {
		return 0 // too faint to be speech, whatever its spectrum
	}
	return p
}

// prob analyses frame and returns the best probability of the hops it
// completed (or the last one) and the frame's energy (sum of squares).
func (v *SpectralVAD) prob(frame []int16) (float64, float64) {
	if v.rs == nil {
		return v.feed(frame)
	}
	var e float64
	for _, s := range frame {
		x := float64(s)
		e += x * x
	}
	v.dec = v.rs.Process(v.dec[:0], frame)
	p, _ := v.feed(v.dec)
	return p, e
}

// feed analyses samples at the analysis rate, whole runs at a time (this
// runs on every frame of every call), and returns prob's two results.
func (v *SpectralVAD) feed(frame []int16) (float64, float64) {
	best := -1.0
	var e float64
	for len(frame) > 0 {
		at := v.n - v.hop + v.pos
		k := min(v.hop-v.pos, len(frame))
		dst := v.buf[at : at+k]
		for i, s := range frame[:k] {
			x := float64(s)
			dst[i] = x
			e += x * x
		}
		frame = frame[k:]
		if v.pos += k; v.pos == v.hop {
			best = max(best, v.endHop())
		}
	}
	if best < 0 {
		return v.lastProb, e
	}
	return best, e
}

// endHop analyses the completed hop and makes room for the next one.
func (v *SpectralVAD) endHop() float64 {
	p := v.analyse()
	copy(v.buf, v.buf[v.hop:])
	v.pos = 0
	return p
}

func (v *SpectralVAD) analyse() float64 {
	for i, x := range v.buf {
		v.win[i] = x * v.window[i]
	}
	v.fft.Power(v.win, v.pow)
	v.hops++
	init := v.hops <= noiseInitHops
	var acc, floorSum, spread float64
	for b := range v.bandLo {
		var e float64
		for k := v.bandLo[b]; k < v.bandHi[b]; k++ {
			e += v.pow[k]
		}
		e /= float64(v.bandHi[b] - v.bandLo[b])
		v.trackNoise(b, e)
		nf := v.noise[b]
		floorSum += nf
		if v.hops == 1 {
			v.level[b] = e
		} else {
			v.level[b] = levelSmooth*v.level[b] + (1-levelSmooth)*e
		}
		// The hand-set score: band SNR over the reference, the larger of
		// the floor and the background mean.
		d := fastDB(v.level[b] / nf)
		// The floor and the background change on few hops: their ratio in
		// dB is kept from the last hop unless one of them moved.
		if v.bg[b] != v.bgdBg[b] || nf != v.bgdNf[b] {
			v.bgdBg[b], v.bgdNf[b] = v.bg[b], nf
			v.bgDB[b] = 0
			if v.bg[b] > nf {
				v.bgDB[b] = fastDB(v.bg[b] / nf)
			}
		}
		bgd := v.bgDB[b]
		spread += bgd
		snr := d - bgd
		if snr > 0 {
			acc += v.weight[b] * min(snr, specClipDB)
		}
		v.levelDB[b] = snr
	}
	v.subCount++
	if v.subCount == noiseSubHops {
		v.rotateMinima()
	}
	s := acc / v.weightSum
	if init {
		s = 0
	}
	// The background learns from the hand-set score whichever scores the
	// hop, so the model's inputs behave as they did in training.
	v.trackBackground(s)
	v.spread = spreadSmooth*v.spread + (1-spreadSmooth)*spread/float64(len(v.bgDB))
	if v.model != nil {
		z := v.model.record(v.levelDB, v.bgDB)
		if v.useModel && !init {
			s = specCenter + specWidth*z
		}
	}
	s = v.sustain(s, floorSum < v.quietSum)
	v.score = s
	p := 1 / (1 + math.Exp(-(s-v.center)/specWidth))
	v.lastProb = p
	return p
}

// sustain applies the hangover and the weak-speech hold to the raw score s
// of a hop and returns the score to use; clean reports clean input.
//
// The hangover stands in for the tail of an utterance that the noise
// masks; on clean input the score follows the tail down by itself, so the
// hangover would only delay the end of turn. The hold joins the syllables
// of weak speech in a steady background, which at 0-5 dB SNR come through
// as separate runs; not in babble, where weak runs are mostly other voices.
func (v *SpectralVAD) sustain(s float64, clean bool) float64 {
	hangMax := specHangHops
	if clean {
		hangMax = specHangQuiet
	}
	switch {
	case s >= v.center:
		if v.run == 0 {
			// A short run inside a hold keeps it (the hold restarts after
			// it); a run of its own earns one at 100 ms if it stays weak.
			v.runPeak = s
		}
		v.runPeak = max(v.runPeak, s)
		v.hang, v.hold = 0, 0
		v.run++
		if v.run >= specHangAfter {
			v.hangOK = true
			v.holdOK = v.useModel && v.runPeak < specHoldPeak && !v.Fluctuating()
		}
	case v.holdOK && v.hold < specHoldHops:
		v.run = 0
		v.hold++
		s = v.center + 0.01 // just speech
		v.holdOK = v.hold < specHoldHops
	case v.hangOK && v.hang < hangMax:
		v.run = 0
		v.hang++
		if d := v.score * specDecay; d > s {
			s = d
		}
	default:
		v.run = 0
	}
	if v.hang >= hangMax {
		v.hangOK = false
	}
	return s
}

// trackBackground follows the mean power of the background per band over
// hops at least 100 ms from speech, skipping bands more than 3 dB over the
// reference (a speech tail): babble's minimum sits far below its mean. With
// no quiet hop for 4 s it creeps up 0.02 dB per hop, so a background that
// starts loud (babble from the first frame) is not speech for ever; the
// cost of that start-up, and the fix that was tried: docs/vad.md.
func (v *SpectralVAD) trackBackground(s float64) {
	if s >= v.center {
		v.quiet = 0
	} else {
		v.quiet++
	}
	if v.quiet >= bgQuietHops {
		v.stuck = 0
		for b := range v.bg {
			if v.level[b] < bgGate*max(v.bg[b], v.noise[b]) {
				v.bg[b] += bgRate * (v.level[b] - v.bg[b])
			}
		}
		return
	}
	v.stuck++
	if v.stuck >= bgStuckHops {
		for b := range v.bg {
			v.bg[b] = max(v.bg[b], v.noise[b]) * bgCreep
		}
	}
}

// trackNoise updates band b's floor with minimum statistics: the minimum of
// the smoothed band power over the last 2.7–3 s, scaled by noiseBias. It
// does not depend on the speech decision, so it cannot lock onto a wrong
// state; speech only raises it if it lasts the whole window without a dip.
//
// The minimum starts over when the first 100 ms are up: the first hop's
// window is part silence (the buffer starts empty), and the smoothed power
// climbs from it for the next few hops. Kept, that low start held a band's
// floor up to 10 dB under the noise for the first 3 s, and the learnt score
// called up to every frame of white noise speech there.
func (v *SpectralVAD) trackNoise(b int, e float64) {
	if v.hops == 1 {
		v.smooth[b] = e
	} else {
		v.smooth[b] = noiseSmooth*v.smooth[b] + (1-noiseSmooth)*e
	}
	if v.hops == noiseInitHops+1 { // before the first rotation (noiseSubHops > noiseInitHops)
		v.curMin[b] = v.smooth[b]
	}
	if v.smooth[b] < v.curMin[b] {
		v.curMin[b] = v.smooth[b]
	}
	nf := noiseBias * min(v.curMin[b], v.storedMin[b])
	if nf < minBinPower {
		nf = minBinPower
	}
	v.noise[b] = nf
}

func (v *SpectralVAD) rotateMinima() {
	v.subCount = 0
	for b := range v.curMin {
		row := v.winMins[b*noiseSubWins : (b+1)*noiseSubWins]
		row[v.subIdx] = v.curMin[b]
		m := math.Inf(1)
		for _, x := range row {
			m = min(m, x)
		}
		v.storedMin[b] = m
		v.curMin[b] = math.Inf(1)
	}
	v.subIdx = (v.subIdx + 1) % noiseSubWins
}
