package vad

import (
	"math"

	"github.com/duplex-ai/duplex/internal/dsp"
)

// The learnt part of SpectralVAD: a small neural network over per-band
// features of the current hop and band-group levels of the last 320 ms,
// trained offline by cmd/vad-train on a generated corpus (espeak-ng voices
// in white, pink and babble noise at 0 to 20 dB and clean; another seed
// than the evaluation corpus's, and three times its size). Its weights are
// in model_weights.go, one set per analysis rate: 16 kHz (20 bands; 48 kHz
// input is analysed at 16 kHz) and 8 kHz (16 bands up to 3.7 kHz, trained
// on the same corpus resampled to 8 kHz, both as it is and through a
// telephone line: 300-3400 Hz and G.711 µ-law). It replaces the hand-set
// weighted mean of band SNRs as the speech score; the noise floor, the
// background mean, the hangover and the decision point are shared.
//
// Features, per 10 ms hop (nb = modelBands at 16 kHz, modelBands8k at 8 kHz):
//
//	0                 bias (1)
//	1 … nb            band level over the reference (the larger of the floor
//	                  and the background mean), dB, clamped to [-10, 30]
//	nb+1 … 2nb        background mean over the floor, dB, clamped to [0, 30]
//	2nb+1 … 2nb+20    the mean of features 1 … nb over each of modelGroups
//	                  groups of adjacent bands, modelLags (20, 40, 80, 160
//	                  and 320 ms) back: lag by lag, group by group
//
// The network: ModelHidden rectified linear units over the features, and a
// linear output, the logit (ModelLogit; 497 weights at 16 kHz, about 490
// multiply-adds per hop).
//
// The second group tells the model how much the background fluctuates: a
// babble's mean sits ~5 dB above its minimum, white noise's ~1 dB, so the
// same band SNR is stronger evidence of speech in white noise than in
// babble. The lagged groups give it the recent course of the levels:
// syllables rising and falling at the rate of one voice, against the
// smoother sum of several.
//
// What it bought (evaluation corpus, 16 kHz; frame F1 at the 0.5 decision
// point, then utterances of 96 that started no turn of their own), against
// the earlier score, a logistic regression over the first 2nb+1 features
// alone; the turn detector's start rules were retuned with it
// (StartThreshold 0.995 → 0.998, StartEvidence 440 → 500 ms, a third rule
// dropped), and babble alone at 10 dB starts 0.7 turns/min with both:
//
//	            white 20  white 10  white 0  pink 10  pink 0  babble 10  babble 5  babble 0
//	one hop     0.972     0.943     0.882    0.938    0.804   0.864 10   0.783 37  0.663 78
//	context     0.986     0.977     0.946    0.983    0.939   0.921  1   0.836 22  0.657 66
//
// Babble at 0 dB, where a voice is as loud as six others together, is
// still called speech less often than not at the 0.5 decision point
// (recall 0.53, precision 0.87), below the energy baseline's F1 (0.730:
// every frame speech). The detector therefore counts a frame as speech at
// 0.25 in a fluctuating background (TurnOptions.FluctuatingThreshold):
// there babble 0 dB reads 0.761 (recall 0.72, precision 0.81), babble
// 10 dB 0.918.
//
// Training (eval.Train, eval.frameWeights): the logistic loss with Adam
// over 15 passes; the bridged gaps inside utterances are left out (the
// detector's hangover covers them), and the first 200 ms of each pause
// weigh 10 times as much as other hops. Without that weight the network
// held on 60-100 ms past an utterance's end in white and pink noise (it
// sees speech 20-320 ms back and learns the tail that the noise buries);
// 5 times left 40 ms, 10 times 20 ms.
//
// Tried and dropped with the network: 16 to 64 hidden units (no better on
// babble: per-hop AUC at babble 0 dB 0.79 with 16 against 0.81 with 8, in
// a scikit-learn probe of the same features, not in the repo); lags of
// 40-480 ms, or of 80-320 ms only (no better, and the end of turn no
// earlier); 6 min of noise alone per training condition instead of 2
// (babble alone started fewer turns, 3.2 → 2.0/min at the earlier start
// threshold, but babble 0 dB F1 fell 0.776 → 0.746); a corpus of 480
// utterances instead of 288 (babble 0 dB F1 0.741).
//
// Where the babble limit lay for the one-hop score (babble 0 dB,
// 2026-11-29): scoring the levels against the true long-term babble mean
// per band instead of the running background left the hand-set score's
// AUC where it was (0.724 vs 0.725); spectral flatness (200-4000 Hz) and
// harmonic peakiness (each bin over its neighbours) have AUC 0.53, pitch
// strength (normalised autocorrelation) 0.50-0.52; the target voice stands
// 3 dB over the babble in some band of 71 % of its labelled frames (as
// often as over white noise at 0 dB), but over the babble's long-term band
// mean in only 46 %: babble's momentary spectrum is another voice's. The
// logistic score's logit averaged over the last 200 ms had AUC 0.79 (0.75
// per hop), but averaging delays the end of turn; the network learns from
// the levels' course what an average blurs.
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
