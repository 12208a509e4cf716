package eval

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/duplex-ai/duplex/vad"
)

// TestTrainSeparates fits a dataset whose label depends on two features
// with very different scales (one in dB, one a thousand times smaller) and
// checks that the folded weights classify raw vectors as the training
// labels say, and that Train is deterministic.
func TestTrainSeparates(t *testing.T) {
	const nf = vad.ModelFeatures
	rng := rand.New(rand.NewPCG(7, 8))
	d := &Dataset{}
	for range 4000 {
		row := make([]float32, nf)
		row[0] = 1
		for j := 1; j < nf; j++ {
			row[j] = float32(rng.NormFloat64()*3 + 5)
		}
		row[7] = float32(rng.NormFloat64() * 0.003)
		y := float64(row[3])-5+1000*float64(row[7]) > 0.5
		d.X = append(d.X, row...)
		d.Y = append(d.Y, y)
	}
	w := Train(d, 300, 1e-4)
	if len(w) != nf {
		t.Fatalf("%d weights", len(w))
	}
	tp, fp, fn, tn := Score(d, w)
	acc := float64(tp+tn) / float64(d.Len())
	if acc < 0.97 {
		t.Errorf("accuracy %.3f on a separable set (tp %d fp %d fn %d tn %d)", acc, tp, fp, fn, tn)
	}
	// The two informative features carry the weight.
	for j := 1; j < nf; j++ {
		if j != 3 && j != 7 && math.Abs(w[j]) > 0.2*math.Abs(w[3]) {
			t.Errorf("weight %d = %.3f, the informative one %.3f", j, w[j], w[3])
		}
	}
	if w2 := Train(d, 300, 1e-4); w2[3] != w[3] || w2[0] != w[0] {
		t.Error("two runs of Train gave different weights")
	}
}

// TestRecordFeatures checks that Record labels hops from the 20 ms frame
// labels and skips the first second.
func TestRecordFeatures(t *testing.T) {
	pcm := make([]int16, 3*Rate)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range pcm {
		pcm[i] = int16(rng.NormFloat64() * 300)
	}
	labels := make([]bool, len(pcm)/FrameLen)
	for f := range labels {
		labels[f] = f%2 == 1
	}
	d := &Dataset{}
	if err := d.Record(pcm, labels); err != nil {
		t.Fatal(err)
	}
	if d.Len() != 200 || len(d.X) != 200*vad.ModelFeatures {
		t.Fatalf("%d hops, %d values; want 200 hops after the first second", d.Len(), len(d.X))
	}
	for i, y := range d.Y {
		if want := labels[(100+i)/2]; y != want {
			t.Fatalf("hop %d labelled %v, want %v", 100+i, y, want)
		}
		if d.X[i*vad.ModelFeatures] != 1 {
			t.Fatalf("hop %d: bias feature %v", i, d.X[i*vad.ModelFeatures])
		}
	}
}
