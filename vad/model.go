package vad

import (
	"math"

	"github.com/duplex-ai/duplex/internal/dsp"
)

// The learnt score of SpectralVAD: a small network (ModelHidden rectified
// units, linear output) over each band's level over its reference, its
// background over its floor, and band-group levels 20-320 ms back, so it
// can tell one voice's syllables from a fluctuating background. Trained by
// cmd/vad-train; weights per analysis rate in model_weights.go. Why these
// features, how it was trained and what was tried: docs/vad.md.
//
// Feature layout per 10 ms hop (nb = modelBands, or modelBands8k at 8 kHz):
//
//	0                 bias (1)
//	1 … nb            band level over the reference, dB, clamped to [-10, 30]
//	nb+1 … 2nb        background mean over the floor, dB, clamped to [0, 30]
//	2nb+1 … 2nb+20    mean of features 1 … nb over each of modelGroups band
//	                  groups, modelLags back: lag by lag, group by group
const (
	modelBands   = 20 // bands at the 16 kHz analysis rate
	modelBands8k = 16 // bands at the 8 kHz analysis rate
	modelGroups  = 4  // band groups whose past levels are features
	modelHist    = 64 // hops of group levels kept: a power of two above the longest lag
	// ModelHidden is the number of hidden units of the learnt score.
	ModelHidden = 8
	// ModelFeatures is the length of the feature vector at 16 (and 48) kHz.
	ModelFeatures = 1 + 2*modelBands + modelGroups*len(modelLags)
	// ModelFeatures8k is the length of the feature vector at 8 kHz.
	ModelFeatures8k = 1 + 2*modelBands8k + modelGroups*len(modelLags)
	modelLoDB       = -10.0
	modelHiDB       = 30.0
	modelBgHiDB     = 30.0
)

// modelLags are how far back, in hops, the group levels are features.
var modelLags = [...]int{2, 4, 8, 16, 32}

// ModelWeights is the number of weights for nf features: ModelHidden rows
// of nf (the first column is the bias, feature 0 being 1), then the
// ModelHidden output weights and the output bias.
func ModelWeights(nf int) int { return ModelHidden*nf + ModelHidden + 1 }

// ModelLogit is the learnt score of feature vector x under weights w
// (ModelWeights(len(x)) long): a hidden layer of rectified linear units
// and a linear output.
func ModelLogit(w, x []float64) float64 {
	nf := len(x)
	out := w[ModelHidden*nf : ModelHidden*nf+ModelHidden+1]
	z := out[ModelHidden]
	for j := range ModelHidden {
		if s := dsp.Dot(w[j*nf:(j+1)*nf], x); s > 0 {
			z += out[j] * s
		}
	}
	return z
}

// modelState is the per-stream feature vector and the weights for it.
type modelState struct {
	nb   int       // bands
	feat []float64 // ModelFeatures or ModelFeatures8k
	w    []float64 // weights; nil when none were trained for this layout
	hist []float64 // ring of group levels, modelHist × modelGroups
	at   int       // hops recorded
}

func newModelState(nb int, w []float64) *modelState {
	nf := 1 + 2*nb + modelGroups*len(modelLags)
	m := &modelState{nb: nb, feat: make([]float64, nf), hist: make([]float64, modelHist*modelGroups)}
	if len(w) == ModelWeights(nf) {
		m.w = w
	}
	m.reset()
	return m
}

func (m *modelState) reset() {
	clear(m.feat)
	clear(m.hist)
	m.feat[0] = 1
	m.at = 0
}

// record fills the features of this hop from the band levels over the
// reference and the background over the floor (dB), and returns the
// model's logit (0 without weights).
func (m *modelState) record(levelDB, bgDB []float64) float64 {
	f := m.feat
	for b, d := range levelDB {
		f[1+b] = min(max(d, modelLoDB), modelHiDB)
		f[1+m.nb+b] = min(max(bgDB[b], 0), modelBgHiDB)
	}
	slot := m.at & (modelHist - 1)
	cur := m.hist[slot*modelGroups : (slot+1)*modelGroups]
	per := m.nb / modelGroups
	for g := range cur {
		s := 0.0
		for _, x := range f[1+g*per : 1+(g+1)*per] {
			s += x
		}
		cur[g] = s / float64(per)
	}
	lagged := f[1+2*m.nb:]
	for k, lag := range modelLags {
		// Before the stream holds lag hops, the first hop's levels stand in.
		from := (m.at - min(lag, m.at)) & (modelHist - 1)
		copy(lagged[k*modelGroups:(k+1)*modelGroups], m.hist[from*modelGroups:(from+1)*modelGroups])
	}
	m.at++
	if m.w == nil {
		return 0
	}
	return ModelLogit(m.w, f)
}

// Features returns the learnt model's input for the last 10 ms hop
// analysed (layout above: ModelFeatures long at 16 and 48 kHz,
// ModelFeatures8k at 8 kHz). cmd/vad-train records it; the slice is
// overwritten by the next hop.
func (v *SpectralVAD) Features() []float64 {
	if v.model == nil {
		return nil
	}
	return v.model.feat
}

// fastDB is 10·log10(x) for finite x > 0 (within 1e-6 dB): x = m·2^e with
// m in [1/√2, √2), ln m from its atanh series (|u| ≤ 0.172, five terms).
func fastDB(x float64) float64 {
	bits := math.Float64bits(x)
	e := int(bits>>52&0x7ff) - 1023
	m := math.Float64frombits(bits&(1<<52-1) | 1023<<52) // [1, 2)
	if m > math.Sqrt2 {
		m *= 0.5
		e++
	}
	u := (m - 1) / (m + 1)
	u2 := u * u
	ln := 2 * u * (1 + u2*(1.0/3+u2*(1.0/5+u2*(1.0/7+u2/9))))
	return (ln + float64(e)*math.Ln2) * (10 / math.Ln10)
}
