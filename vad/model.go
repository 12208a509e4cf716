package vad

import "math"

// The learnt part of SpectralVAD: a logistic regression over per-band
// features of the current hop, trained offline by cmd/vad-train on a
// generated corpus (espeak-ng voices in white, pink and babble noise at 0
// to 20 dB and clean; another seed than the evaluation corpus's). Its
// weights are in model_weights.go, one set per analysis rate: 16 kHz (20
// bands; 48 kHz input is analysed at 16 kHz) and 8 kHz (16 bands up to
// 3.7 kHz, trained on the same corpus resampled to 8 kHz, both as it is and
// through a telephone line: 300-3400 Hz and G.711 µ-law). It replaces the
// hand-set weighted mean of band SNRs as the speech score; the noise
// floor, the background mean, the hangover and the decision point are
// shared.
//
// Features, per 10 ms hop (nb = modelBands at 16 kHz, modelBands8k at 8 kHz):
//
//	0               bias (1)
//	1 … nb          band level over the reference (the larger of the floor
//	                and the background mean), dB, clamped to [-10, 30]
//	nb+1 … 2nb      background mean over the floor, dB, clamped to [0, 30]
//
// The second group tells the model how much the background fluctuates: a
// babble's mean sits ~5 dB above its minimum, white noise's ~1 dB, so the
// same band SNR is stronger evidence of speech in white noise than in
// babble. A fixed threshold on the mean band SNR cannot make that
// distinction; the weights learn it per band. (Lagged copies of the first
// group and a 300 ms average were tried: babble F1 +0.02, but the end of
// turn came 40 ms later in white noise.)
//
// Also tried and dropped: a 300 ms average of each band's level over the
// reference, gated on only in a fluctuating background whose recent peak
// SNR is low, trained as a second stage on top of these weights. Babble
// frame F1 rose at 10/5/0 dB (0.864/0.783/0.663 → 0.893/0.835/0.732), but
// the end of turn in babble at 10 dB came 60 ms after MinSilence instead of
// 20, and white and pink were unchanged. Adding a lower decision point on
// top kept babble 0 dB near 0.80, but then babble alone spent 15-53 % of
// its time in turns. Pitch strength (normalised autocorrelation) does not
// separate one voice from espeak babble at all (ROC AUC 0.50 at 0 dB).
//
// Short context, retrained three ways (as more features: the band levels
// 20/40/80 ms back, or 10/20/40 ms back, or their minima over the last
// 20/40/80 ms; hangover 0-80 ms): F1 rose at white and pink 10 dB by
// 0.006-0.023 and at babble 10 dB by 0.012-0.032, and in most runs babble
// 10 dB utterances that started no turn fell from 11 to 7 of 96, but the
// end of turn at white 20 dB came 40-60 ms after MinSilence. Only the
// minima without the hangover kept it at 20, and they split 5 babble 10 dB
// utterances (1 now) and raised its onset p95 from 460 to 680 ms. Babble
// 0 dB stayed at 0.66-0.67.
//
// Where the babble 0 dB limit lies (evaluation corpus): scoring the levels
// against the true long-term babble mean per band instead of the running
// background leaves the hand-set score's AUC where it was (0.724 vs
// 0.725); spectral flatness (200-4000 Hz) and harmonic peakiness (each bin
// over its neighbours) have AUC 0.53; the logit averaged over the last
// 200 ms has 0.79 (0.75 per hop), and a 500 ms window centred on the hop
// (250 ms of look-ahead) only 0.82. The target voice does stand 3 dB over
// the babble in some band of 71 % of its labelled frames (as often as over
// white noise at 0 dB), but over the babble's long-term band mean in only
// 46 %: babble's momentary spectrum is another voice's. A causal 60-100 ms
// mean of the logit lifts white 10 dB to 0.95-0.96 but leaves babble 0 dB
// at 0.66 and, at 10 dB and above, delays the end of turn by 20-60 ms.
const (
	modelBands   = 20 // bands at the 16 kHz analysis rate
	modelBands8k = 16 // bands at the 8 kHz analysis rate
	// ModelFeatures is the length of the feature vector at 16 (and 48) kHz.
	ModelFeatures = 2*modelBands + 1
	// ModelFeatures8k is the length of the feature vector at 8 kHz.
	ModelFeatures8k = 2*modelBands8k + 1
	modelLoDB       = -10.0
	modelHiDB       = 30.0
	modelBgHiDB     = 30.0
)

// modelState is the per-stream feature vector and the weights for it.
type modelState struct {
	nb   int       // bands
	feat []float64 // 2nb+1
	w    []float64 // weights; nil when none were trained for this layout
}

func newModelState(nb int, w []float64) *modelState {
	m := &modelState{nb: nb, feat: make([]float64, 2*nb+1)}
	if len(w) == len(m.feat) {
		m.w = w
	}
	m.reset()
	return m
}

func (m *modelState) reset() {
	clear(m.feat)
	m.feat[0] = 1
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
	z := 0.0
	for i, w := range m.w {
		z += w * f[i]
	}
	return z
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
