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
	d := &Dataset{NF: nf}
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
// labels and skips the first second, at 16 and 8 kHz.
func TestRecordFeatures(t *testing.T) {
	for _, c := range []struct{ rate, nf int }{{16000, vad.ModelFeatures}, {8000, vad.ModelFeatures8k}} {
		pcm := make([]int16, 3*c.rate)
		rng := rand.New(rand.NewPCG(1, 1))
		for i := range pcm {
			pcm[i] = int16(rng.NormFloat64() * 300)
		}
		labels := make([]bool, 150)
		for f := range labels {
			labels[f] = f%2 == 1
		}
		d := &Dataset{Rate: c.rate}
		if err := d.Record(pcm, labels); err != nil {
			t.Fatal(err)
		}
		if d.NF != c.nf || d.Len() != 200 || len(d.X) != 200*c.nf {
			t.Fatalf("%d Hz: %d features, %d hops, %d values; want %d features, 200 hops after the first second",
				c.rate, d.NF, d.Len(), len(d.X), c.nf)
		}
		for i, y := range d.Y {
			if want := labels[(100+i)/2]; y != want {
				t.Fatalf("%d Hz: hop %d labelled %v, want %v", c.rate, 100+i, y, want)
			}
			if d.X[i*c.nf] != 1 {
				t.Fatalf("%d Hz: hop %d: bias feature %v", c.rate, i, d.X[i*c.nf])
			}
		}
	}
	// A dataset of one layout refuses hops of another.
	d := &Dataset{Rate: 16000, NF: vad.ModelFeatures8k}
	if err := d.Record(make([]int16, 2*16000), nil); err == nil {
		t.Error("16 kHz hops recorded into an 8 kHz dataset")
	}
}
