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
// band SNR over the reference and background over the floor, clamped; at
// 16 kHz (20 bands) and 8 kHz (16 bands).
func TestModelFeatures(t *testing.T) {
	for _, c := range []struct {
		nb, nf int
		w      []float64
	}{{modelBands, ModelFeatures, modelWeights}, {modelBands8k, ModelFeatures8k, modelWeights8k}} {
		if len(c.w) != c.nf {
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
		want := 0.0
		for i, w := range c.w {
			want += w * f[i]
		}
		if z != want {
			t.Errorf("%d bands: logit %v, want %v", c.nb, z, want)
		}
		// More speech-band SNR, all else equal, is more speech.
		for b := range lv {
			lv[b] = 0
			bg[b] = 1
		}
		quiet := m.record(lv, bg)
		for b := 3; b < 15; b++ { // 400–3150 Hz
			lv[b] = 15
		}
		if loud := m.record(lv, bg); loud <= quiet+1 {
			t.Errorf("%d bands: logit %.2f with 15 dB in the speech bands, %.2f without", c.nb, loud, quiet)
		}
	}
	// Weights of another layout are not used.
	if m := newModelState(modelBands8k, modelWeights); m.w != nil {
		t.Error("16 kHz weights accepted for 8 kHz features")
	}
}
