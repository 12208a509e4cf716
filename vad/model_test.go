package vad

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFastDB(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		x := math.Exp(rng.Float64()*80 - 40)
		if got, want := fastDB(x), 10*math.Log10(x); math.Abs(got-want) > 1e-6 {
			t.Fatalf("fastDB(%g) = %.9f, want %.9f", x, got, want)
		}
	}
	for _, x := range []float64{1, 2, math.Sqrt2, 0.5, 1000, 1e-300} {
		if got, want := fastDB(x), 10*math.Log10(x); math.Abs(got-want) > 1e-6 {
			t.Errorf("fastDB(%g) = %.9f, want %.9f", x, got, want)
		}
	}
}

// TestModelFeatures checks the layouts the weights were trained on: bias,
// band SNR over the reference and background over the floor, clamped, then
// the band-group means of the clamped SNRs modelLags hops back; at 16 kHz
// (20 bands) and 8 kHz (16 bands). The logit is the hidden layer's, worked
// out here from the weight layout.
func TestModelFeatures(t *testing.T) {
	for _, c := range []struct {
		nb, nf int
		w      []float64
	}{{modelBands, ModelFeatures, modelWeights}, {modelBands8k, ModelFeatures8k, modelWeights8k}} {
		if len(c.w) != ModelWeights(c.nf) {
			t.Fatalf("%d weights for %d features: re-run cmd/vad-train", len(c.w), c.nf)
		}
		m := newModelState(c.nb, c.w)
		lv := make([]float64, c.nb)
		bg := make([]float64, c.nb)
		for b := range lv {
			lv[b] = float64(b*57/(c.nb-1) - 20) // -20 … 37 dB
			bg[b] = float64(b*38/(c.nb-1) - 5)  // -5 … 33 dB
		}
		z := m.record(lv, bg)
		f := m.feat
		if len(f) != c.nf || f[0] != 1 || f[1] != modelLoDB || f[c.nb] != modelHiDB || f[1+c.nb] != 0 || f[2*c.nb] != modelBgHiDB {
			t.Fatalf("%d bands: features %v", c.nb, f)
		}
		if want := mlp(c.w, f); math.Abs(z-want) > 1e-9 {
			t.Errorf("%d bands: logit %v, want %v", c.nb, z, want)
		}
		// The lagged group means: hop k has every band at k dB (clamped
		// to [-10, 30] like the rest), so group means are k; lags reaching
		// before the first hop read the first hop's.
		m.reset()
		for k := range 40 {
			for b := range lv {
				lv[b] = float64(k - 5)
			}
			m.record(lv, bg)
			lagged := m.feat[1+2*c.nb:]
			for i, lag := range modelLags {
				want := min(max(float64(max(k-lag, 0)-5), modelLoDB), modelHiDB)
				for g := range modelGroups {
					if got := lagged[i*modelGroups+g]; got != want {
						t.Fatalf("%d bands, hop %d: group %d %d hops back = %v, want %v", c.nb, k, g, lag, got, want)
					}
				}
			}
		}
		// Syllables in the speech bands (150 ms at 15 dB, 100 ms at 0,
		// three times) are more speech than the same time at 0 dB: the
		// logit on the third syllable's last hop against the quiet one's.
		syllables := func(loud float64) float64 {
			m.reset()
			var z float64
			for k := range 75 {
				for b := range lv {
					lv[b], bg[b] = 0, 1
					if b >= 3 && b < 15 && k%25 < 15 { // 400–3150 Hz at 16 kHz
						lv[b] = loud
					}
				}
				if k == 64 {
					return m.record(lv, bg)
				}
				z = m.record(lv, bg)
			}
			return z
		}
		if loud, quiet := syllables(15), syllables(0); loud <= quiet+1 {
			t.Errorf("%d bands: logit %.2f on syllables at 15 dB in the speech bands, %.2f without", c.nb, loud, quiet)
		}
	}
	// Weights of another layout are not used.
	if m := newModelState(modelBands8k, modelWeights); m.w != nil {
		t.Error("16 kHz weights accepted for 8 kHz features")
	}
}

// mlp is ModelLogit written out: hidden unit j is max(0, Σ w[j·nf+i]·x[i]),
// the output Σ w[H·nf+j]·h[j] + w[H·nf+H].
func mlp(w, x []float64) float64 {
	nf := len(x)
	z := w[ModelHidden*nf+ModelHidden]
	for j := 0; j < ModelHidden; j++ {
		var h float64
		for i := 0; i < nf; i++ {
			h += w[j*nf+i] * x[i]
		}
		z += w[ModelHidden*nf+j] * math.Max(h, 0)
	}
	return z
}
