package eval

import (
	"fmt"
	"math"
	"time"

	"github.com/duplex-ai/duplex/vad"
)

// TrainSeed is the seed of cmd/vad-train's corpus; the evaluation corpus
// (DefaultConfig) uses another, so the evaluation is on unseen audio.
const TrainSeed = 20261129

// TrainUtterances is the size of cmd/vad-train's corpus.
const TrainUtterances = 96

// TrainNoiseOnly is the noise-only stretch of cmd/vad-train's corpus.
const TrainNoiseOnly = 2 * time.Minute

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
// 20 ms frame; nil: all non-speech). The first second is skipped: the floor
// is still settling.
func (d *Dataset) Record(pcm []int16, labels []bool) error {
	v, err := vad.NewClassifier(vad.Options{SampleRate: d.rate()})
	if err != nil {
		return err
	}
	hopLen := d.rate() / 100
	for h := 0; (h+1)*hopLen <= len(pcm); h++ {
		v.Prob(pcm[h*hopLen : (h+1)*hopLen])
		if h < 100 {
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
	}
	return nil
}

// Collect records c mixed at every condition, and the noise-only stretch of
// every noisy condition (all labelled non-speech, so the model also learns
// what a long stretch of noise alone looks like), through each channel
// (all at one rate).
func Collect(c *Corpus, conds []Condition, chans ...Channel) (*Dataset, error) {
	if len(chans) == 0 {
		return nil, fmt.Errorf("eval: no channel to collect from")
	}
	d := &Dataset{Rate: chans[0].Rate}
	for _, ch := range chans {
		if ch.Rate != d.Rate {
			return nil, fmt.Errorf("eval: channels at %d and %d Hz in one dataset", d.Rate, ch.Rate)
		}
		if err := ch.check(); err != nil {
			return nil, err
		}
		for _, k := range conds {
			mix, noise := c.Mixes(k)
			if err := d.Record(ch.At(mix), c.Labels); err != nil {
				return nil, err
			}
			if noise != nil {
				if err := d.Record(ch.At(noise), nil); err != nil {
					return nil, err
				}
			}
		}
	}
	return d, nil
}

// Train fits a logistic regression to d by full-batch gradient descent with
// Adam on standardised features (L2 penalty l2 on all but the bias), and
// returns the weights with the standardisation folded in, ready for raw
// feature vectors of d's layout. Deterministic.
func Train(d *Dataset, iters int, l2 float64) []float64 {
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

	w := make([]float64, nf)
	m1 := make([]float64, nf)
	m2 := make([]float64, nf)
	g := make([]float64, nf)
	z := make([]float64, nf)
	const lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
	for it := 1; it <= iters; it++ {
		clear(g)
		for i := 0; i < n; i++ {
			row := d.X[i*nf : (i+1)*nf]
			s := 0.0
			for j, x := range row {
				z[j] = (float64(x) - mu[j]) / sd[j]
				s += w[j] * z[j]
			}
			p := 1 / (1 + math.Exp(-s))
			if d.Y[i] {
				p--
			}
			for j := range z {
				g[j] += p * z[j]
			}
		}
		for j := range g {
			g[j] /= float64(n)
			if j > 0 {
				g[j] += l2 * w[j]
			}
			m1[j] = b1*m1[j] + (1-b1)*g[j]
			m2[j] = b2*m2[j] + (1-b2)*g[j]*g[j]
			mh := m1[j] / (1 - math.Pow(b1, float64(it)))
			vh := m2[j] / (1 - math.Pow(b2, float64(it)))
			w[j] -= lr * mh / (math.Sqrt(vh) + eps)
		}
	}
	out := make([]float64, nf)
	out[0] = w[0]
	for j := 1; j < nf; j++ {
		out[j] = w[j] / sd[j]
		out[0] -= w[j] * mu[j] / sd[j]
	}
	return out
}

// Score counts the hops of d the weights get right at logit > 0.
func Score(d *Dataset, w []float64) (tp, fp, fn, tn int) {
	nf := d.NF
	for i := 0; i < d.Len(); i++ {
		s := 0.0
		for j, x := range d.X[i*nf : (i+1)*nf] {
			s += w[j] * float64(x)
		}
		switch got := s > 0; {
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
