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

// TestModelFeatures checks the layout the weights were trained on: bias,
// band SNR over the reference and background over the floor, clamped.
func TestModelFeatures(t *testing.T) {
	if len(modelWeights) != ModelFeatures {
		t.Fatalf("%d weights for %d features: re-run cmd/vad-train", len(modelWeights), ModelFeatures)
	}
	m := newModelState()
	lv := make([]float64, modelBands)
	bg := make([]float64, modelBands)
	for b := range lv {
		lv[b] = float64(b*3 - 20) // -20 … 37 dB
		bg[b] = float64(b*2 - 5)  // -5 … 33 dB
	}
	z := m.record(lv, bg)
	f := m.feat
	if f[0] != 1 || f[1] != modelLoDB || f[modelBands] != modelHiDB || f[1+modelBands] != 0 || f[2*modelBands] != modelBgHiDB {
		t.Fatalf("features %v", f)
	}
	want := 0.0
	for i, w := range modelWeights {
		want += w * f[i]
	}
	if z != want {
		t.Errorf("logit %v, want %v", z, want)
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
		t.Errorf("logit %.2f with 15 dB in the speech bands, %.2f without", loud, quiet)
	}
}
