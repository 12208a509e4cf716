package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/duplex-ai/duplex/vad"
)

// TrainSeed is the seed of cmd/vad-train's corpus; the evaluation corpus
// (DefaultConfig) uses another, so the evaluation is on unseen audio.
const TrainSeed = 20261129

// TrainUtterances is the size of cmd/vad-train's corpus.
const TrainUtterances = 288

// TrainNoiseOnly is the noise-only stretch of cmd/vad-train's corpus.
const TrainNoiseOnly = 2 * time.Minute

// TrainFSDDSpeakers are the FSDD speakers whose digit strings cmd/vad-train
// adds to the synthetic corpus (real speech, under the same conditions);
// the evaluation keeps the others (vad.ModelFSDDSpeakers says which were
// used for the committed weights).
var TrainFSDDSpeakers = []string{"george", "jackson"}

// TrainFSDDWeight multiplies the loss weight of the FSDD strings' hops:
// they are about a quarter of the 16 kHz training hops (733,044 beside
// 2,002,126), and at weight 1 they cost the held-out speakers' F1 at 10 dB
// half of what weight 3 gains there (BENCHMARKS.md).
const TrainFSDDWeight = 3

// TrainRealConfig is how cmd/vad-train makes its FSDD digit strings: the
// evaluation's recipe (DefaultRealConfig) from another seed, for the
// training speakers only.
func TrainRealConfig() RealConfig {
	c := DefaultRealConfig()
	c.Seed, c.Speakers, c.Strings = TrainSeed+1, TrainFSDDSpeakers, 60
	return c
}

// Condition is one noise type at one SNR (+Inf: clean).
type Condition struct {
	Kind NoiseKind
	SNR  float64
}

// TrainConditions are the mixtures the model learns from: every noise at
// 20, 10, 5 and 0 dB, and clean speech.
func TrainConditions() []Condition {
	cs := []Condition{{White, math.Inf(1)}}
	for _, k := range NoiseKinds {
		for _, s := range []float64{20, 10, 5, 0} {
			cs = append(cs, Condition{k, s})
		}
	}
	return cs
}

// Dataset is one feature vector per 10 ms hop with its label, at one
// sample rate.
type Dataset struct {
	Rate int       // sample rate of the audio recorded (0: Rate)
	NF   int       // features per hop (vad.ModelFeatures or vad.ModelFeatures8k), set by Record
	X    []float32 // hops × NF, row-major
	Y    []bool
	W    []float32 // each hop's weight in the loss
}

// Scale multiplies the loss weight of every hop of d by k.
func (d *Dataset) Scale(k float32) {
	for i := range d.W {
		d.W[i] *= k
	}
}

// Append adds o's hops to d; both must hold one rate and feature layout.
func (d *Dataset) Append(o *Dataset) error {
	if o.Len() == 0 {
		return nil
	}
	if d.Len() > 0 && (d.rate() != o.rate() || d.NF != o.NF) {
		return fmt.Errorf("eval: appending %d features at %d Hz to %d at %d Hz", o.NF, o.rate(), d.NF, d.rate())
	}
	d.Rate, d.NF = o.Rate, o.NF
	d.X = append(d.X, o.X...)
	d.Y = append(d.Y, o.Y...)
	d.W = append(d.W, o.W...)
	return nil
}

// Len is the number of hops.
func (d *Dataset) Len() int { return len(d.Y) }

func (d *Dataset) rate() int {
	if d.Rate == 0 {
		return Rate
	}
	return d.Rate
}

// Record runs a fresh SpectralVAD at d's rate over pcm (at that rate) hop
// by hop and appends each hop's features, labelled from labels (one per
// 20 ms frame; nil: all non-speech). The first recordSkip hops are
// skipped: the classifier decides nothing there. weight gives each frame's
// hops their weight in the training loss (nil: 1); hops of weight 0 are
// skipped.
func (d *Dataset) Record(pcm []int16, labels []bool, weight func(frame int) float32) error {
	v, err := vad.NewClassifier(vad.Options{SampleRate: d.rate()})
	if err != nil {
		return err
	}
	hopLen := d.rate() / 100
	for h := 0; (h+1)*hopLen <= len(pcm); h++ {
		v.Prob(pcm[h*hopLen : (h+1)*hopLen])
		wt := float32(1)
		if weight != nil {
			wt = weight(h / 2)
		}
		if h < recordSkip || wt == 0 {
			continue
		}
		f := v.Features()
		if d.NF == 0 {
			d.NF = len(f)
		}
		if len(f) == 0 || len(f) != d.NF {
			return fmt.Errorf("eval: %d model features at %d Hz, the dataset has %d", len(f), d.rate(), d.NF)
		}
		for _, x := range f {
			d.X = append(d.X, float32(x))
		}
		y := false
		if labels != nil {
			y = labels[min(h/2, len(labels)-1)]
		}
		d.Y = append(d.Y, y)
		d.W = append(d.W, wt)
	}
	return nil
}

// EndWeight is the weight in the training loss of the hops in the first
// EndSpan of the pause after each utterance. The model sees the last
// 320 ms, and an utterance's tail is often buried in the noise, so it learns
// to hold on for a while after the audible end; the hops that end a turn are
// a small part of the corpus and do not pull back by themselves (the
// weights tried: docs/vad.md).
const (
	EndWeight = 10
	EndSpan   = 200 * time.Millisecond
)

// frameWeights returns each 20 ms frame's weight in the training loss for
// c's mixtures: 0 for a bridged gap (speech to the evaluation, quiet in the
// signal: no label should teach the model to hold on through a pause it
// cannot yet know the length of; the detector's hangover does that),
// EndWeight for the non-speech frames in the first EndSpan after each
// utterance, 1 for the rest.
func frameWeights(c *Corpus) []float32 {
	fw := make([]float32, len(c.Labels))
	for f := range fw {
		if !c.Bridged[f] {
			fw[f] = 1
		}
	}
	span := int(EndSpan / FrameTime)
	for _, u := range c.Utts {
		e := int(u.End / FrameTime)
		for f := e; f < min(e+span, len(fw)); f++ {
			if !c.Labels[f] {
				fw[f] = EndWeight
			}
		}
	}
	return fw
}

// recordSkip is the hops at the start of a stream the classifier makes no
// decision on (vad's first 100 ms, while its floor settles).
const recordSkip = 10

// NoiseStarts is how many times Collect also records the start of each
// noise-only stretch, in NoiseStartLen pieces, each with a fresh
// classifier. The floor and the background take seconds to settle; without
// these the network would see a stream's first seconds only where each
// mixture starts (a second of noise before the first utterance), and every
// call starts that way.
const (
	NoiseStarts   = 15
	NoiseStartLen = 4 * time.Second
)

// Collect records c mixed at every condition, and the noise-only stretch of
// every noisy condition (all labelled non-speech, so the model also learns
// what a long stretch of noise alone looks like, and, NoiseStarts times,
// how one starts), through each channel (all at one rate). The mixtures'
// hops are weighted by frameWeights.
func Collect(c *Corpus, conds []Condition, chans ...Channel) (*Dataset, error) {
	if len(chans) == 0 {
		return nil, fmt.Errorf("eval: no channel to collect from")
	}
	d := &Dataset{Rate: chans[0].Rate}
	fw := frameWeights(c)
	mixWeight := func(f int) float32 { return fw[min(f, len(fw)-1)] }
	for _, ch := range chans {
		if ch.Rate != d.Rate {
			return nil, fmt.Errorf("eval: channels at %d and %d Hz in one dataset", d.Rate, ch.Rate)
		}
		if err := ch.check(); err != nil {
			return nil, err
		}
		for _, k := range conds {
			mix, noise := c.Mixes(k)
			if err := d.Record(ch.At(mix), c.Labels, mixWeight); err != nil {
				return nil, err
			}
			if noise != nil {
				at := ch.At(noise)
				if err := d.Record(at, nil, nil); err != nil {
					return nil, err
				}
				n := int(int64(ch.Rate) * int64(NoiseStartLen) / int64(time.Second))
				for i := 0; i < NoiseStarts && (i+1)*n <= len(at); i++ {
					if err := d.Record(at[i*n:(i+1)*n], nil, nil); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return d, nil
}

// TrainSeedInit seeds Train's initial weights and its shuffles.
const TrainSeedInit = 1

// Train fits the learnt score (vad.ModelLogit: vad.ModelHidden rectified
// units and a linear output) to d by minimising the logistic loss with Adam
// on mini-batches of 512 standardised hops, for the given number of passes
// over d, with an L2 penalty l2 on all weights but the biases. It returns
// the weights with the standardisation folded into the first layer, ready
// for raw feature vectors of d's layout. Deterministic: one goroutine, the
// initial weights and the order of the hops drawn from TrainSeedInit.
func Train(d *Dataset, epochs int, l2 float64) []float64 {
	const hid, batch = vad.ModelHidden, 512
	const lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
	nf := d.NF
	n := d.Len()
	mu := make([]float64, nf)
	sd := make([]float64, nf)
	for i := 0; i < n; i++ {
		for j, x := range d.X[i*nf : (i+1)*nf] {
			mu[j] += float64(x)
		}
	}
	for j := range mu {
		mu[j] /= float64(n)
	}
	for i := 0; i < n; i++ {
		for j, x := range d.X[i*nf : (i+1)*nf] {
			dx := float64(x) - mu[j]
			sd[j] += dx * dx
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j]/float64(n)) + 1e-6
	}
	mu[0], sd[0] = 0, 1 // the bias feature is the constant 1

	// w: hid rows of nf (column 0 the bias), then hid output weights and
	// the output bias, as vad.ModelLogit reads them.
	nw := vad.ModelWeights(nf)
	w := make([]float64, nw)
	rng := rand.New(rand.NewPCG(TrainSeedInit, 2))
	a1 := math.Sqrt(6 / float64(nf+hid))
	a2 := math.Sqrt(6 / float64(hid+1))
	for j := range hid {
		for i := 1; i < nf; i++ {
			w[j*nf+i] = (2*rng.Float64() - 1) * a1
		}
		w[hid*nf+j] = (2*rng.Float64() - 1) * a2
	}
	decay := func(k int) bool { // an L2-penalised weight: not a bias
		if k < hid*nf {
			return k%nf != 0
		}
		return k < hid*nf+hid
	}
	g := make([]float64, nw)
	m1 := make([]float64, nw)
	m2 := make([]float64, nw)
	z := make([]float64, nf)
	h := make([]float64, hid)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	step := 0
	for range epochs {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		for lo := 0; lo < n; lo += batch {
			hi := min(lo+batch, n)
			clear(g)
			for _, i := range order[lo:hi] {
				for j, x := range d.X[i*nf : (i+1)*nf] {
					z[j] = (float64(x) - mu[j]) / sd[j]
				}
				out := w[hid*nf:]
				s := out[hid]
				for j := range h {
					a := 0.0
					for k, x := range w[j*nf : (j+1)*nf] {
						a += x * z[k]
					}
					h[j] = max(a, 0)
					s += out[j] * h[j]
				}
				e := 1 / (1 + math.Exp(-s)) // dLoss/ds = p - y
				if d.Y[i] {
					e--
				}
				if d.W != nil {
					e *= float64(d.W[i])
				}
				gout := g[hid*nf:]
				gout[hid] += e
				for j, hj := range h {
					if hj <= 0 {
						continue
					}
					gout[j] += e * hj
					dh := e * out[j]
					row := g[j*nf : (j+1)*nf]
					for k, x := range z {
						row[k] += dh * x
					}
				}
			}
			step++
			c1 := 1 - math.Pow(b1, float64(step))
			c2 := 1 - math.Pow(b2, float64(step))
			inv := 1 / float64(hi-lo)
			for k := range w {
				gk := g[k] * inv
				if decay(k) {
					gk += l2 * w[k]
				}
				m1[k] = b1*m1[k] + (1-b1)*gk
				m2[k] = b2*m2[k] + (1-b2)*gk*gk
				w[k] -= lr * (m1[k] / c1) / (math.Sqrt(m2[k]/c2) + eps)
			}
		}
	}
	for j := range hid {
		row := w[j*nf : (j+1)*nf]
		for i := 1; i < nf; i++ {
			row[i] /= sd[i]
			row[0] -= row[i] * mu[i]
		}
	}
	return w
}

// Score counts the hops of d the weights get right at logit > 0.
func Score(d *Dataset, w []float64) (tp, fp, fn, tn int) {
	nf := d.NF
	row := make([]float64, nf)
	for i := 0; i < d.Len(); i++ {
		for j, x := range d.X[i*nf : (i+1)*nf] {
			row[j] = float64(x)
		}
		switch got := vad.ModelLogit(w, row) > 0; {
		case got && d.Y[i]:
			tp++
		case got:
			fp++
		case d.Y[i]:
			fn++
		default:
			tn++
		}
	}
	return
}
