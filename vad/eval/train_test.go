package eval

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/duplex-ai/duplex/vad"

	"github.com/duplex-ai/duplex/internal/testtier"
)

// TestTrainSeparates fits a dataset whose label depends on two features
// with very different scales (one in dB, one a thousand times smaller) and
// checks that the folded weights classify raw vectors as the training
// labels say, that the decision rests on those two features (shuffling
// either across hops costs accuracy, shuffling any other does not), and
// that Train is deterministic.
func TestTrainSeparates(t *testing.T) {
	testtier.Slow(t, "fits the VAD on a generated corpus")
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
	w := Train(d, 300, 1e-5)
	if len(w) != vad.ModelWeights(nf) {
		t.Fatalf("%d weights", len(w))
	}
	acc := func(d *Dataset) float64 {
		tp, _, _, tn := Score(d, w)
		return float64(tp+tn) / float64(d.Len())
	}
	base := acc(d)
	if base < 0.97 {
		t.Errorf("accuracy %.3f on a separable set", base)
	}
	for j := 1; j < nf; j++ {
		s := &Dataset{NF: nf, X: append([]float32(nil), d.X...), Y: d.Y}
		perm := rng.Perm(d.Len())
		for i, k := range perm {
			s.X[i*nf+j] = d.X[k*nf+j]
		}
		drop := base - acc(s)
		if informative := j == 3 || j == 7; informative && drop < 0.2 || !informative && drop > 0.02 {
			t.Errorf("feature %d shuffled: accuracy %.3f → %.3f", j, base, base-drop)
		}
	}
	if w2 := Train(d, 300, 1e-5); !slices.Equal(w, w2) {
		t.Error("two runs of Train gave different weights")
	}
}

// TestTrainWeights checks that hop weights reach the loss: hops that
// contradict the rest flip the model where they lie at weight 1, and are
// ignored at weight 0.
func TestTrainWeights(t *testing.T) {
	testtier.Slow(t, "fits the VAD on a generated corpus")
	const nf = vad.ModelFeatures
	build := func(wt float32) *Dataset {
		rng := rand.New(rand.NewPCG(3, 4))
		d := &Dataset{NF: nf}
		add := func(x float64, y bool, w float32) {
			row := make([]float32, nf)
			row[0], row[1] = 1, float32(x)
			d.X, d.Y, d.W = append(d.X, row...), append(d.Y, y), append(d.W, w)
		}
		for range 2000 {
			x := rng.Float64()*2 - 1
			add(x, x > 0, 1)
		}
		for range 3000 { // say no in (0.5, 1]
			add(0.5+rng.Float64()/2, false, wt)
		}
		return d
	}
	at := func(w []float64, x float64) bool {
		f := make([]float64, nf)
		f[0], f[1] = 1, x
		return vad.ModelLogit(w, f) > 0
	}
	w1 := Train(build(1), 300, 1e-5)
	w0 := Train(build(0), 300, 1e-5)
	if at(w1, 0.75) || !at(w1, 0.25) || at(w1, -0.5) {
		t.Errorf("weight 1: at 0.75 %v, 0.25 %v, -0.5 %v; want false, true, false", at(w1, 0.75), at(w1, 0.25), at(w1, -0.5))
	}
	if !at(w0, 0.75) || !at(w0, 0.25) || at(w0, -0.5) {
		t.Errorf("weight 0: at 0.75 %v, 0.25 %v, -0.5 %v; want true, true, false", at(w0, 0.75), at(w0, 0.25), at(w0, -0.5))
	}
}

// TestFrameWeights checks the weights Collect gives a mixture's frames:
// bridged gaps 0, the first EndSpan of non-speech after an utterance
// EndWeight, the rest 1.
func TestFrameWeights(t *testing.T) {
	c := &Corpus{Labels: make([]bool, 60), Bridged: make([]bool, 60)}
	for f := 10; f < 30; f++ { // an utterance over frames 10-29 with a bridged gap at 15-17
		c.Labels[f] = true
	}
	for f := 15; f < 18; f++ {
		c.Bridged[f] = true
	}
	c.Labels[52] = true // a one-frame utterance whose end span runs past the last frame
	c.Utts = []Utterance{{Start: 10 * FrameTime, End: 30 * FrameTime}, {Start: 52 * FrameTime, End: 53 * FrameTime}}
	w := frameWeights(c)
	span := int(EndSpan / FrameTime)
	for f, got := range w {
		want := float32(1)
		switch {
		case f >= 15 && f < 18:
			want = 0
		case f >= 30 && f < 30+span, f >= 53 && f < 53+span:
			want = EndWeight
		}
		if got != want {
			t.Errorf("frame %d: weight %v, want %v", f, got, want)
		}
	}
}

// TestRecordFeatures checks that Record labels hops from the 20 ms frame
// labels, skips the first recordSkip hops and the hops of frames of
// weight 0, and keeps the others' weights, at 16 and 8 kHz.
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
		// Frames 100-109 weigh 0 (skipped), frames 110-119 weigh 3.
		weight := func(f int) float32 {
			switch {
			case f >= 100 && f < 110:
				return 0
			case f >= 110 && f < 120:
				return 3
			}
			return 1
		}
		d := &Dataset{Rate: c.rate}
		if err := d.Record(pcm, labels, weight); err != nil {
			t.Fatal(err)
		}
		const want = 300 - recordSkip - 20
		if d.NF != c.nf || d.Len() != want || len(d.X) != want*c.nf || len(d.W) != want {
			t.Fatalf("%d Hz: %d features, %d hops, %d values, %d weights; want %d features, %d hops",
				c.rate, d.NF, d.Len(), len(d.X), len(d.W), c.nf, want)
		}
		h := recordSkip - 1
		for i, y := range d.Y {
			if h++; h == 200 {
				h = 220
			}
			if want := labels[h/2]; y != want {
				t.Fatalf("%d Hz: hop %d labelled %v, want %v", c.rate, h, y, want)
			}
			if want := weight(h / 2); d.W[i] != want {
				t.Fatalf("%d Hz: hop %d weighs %v, want %v", c.rate, h, d.W[i], want)
			}
			if d.X[i*c.nf] != 1 {
				t.Fatalf("%d Hz: hop %d: bias feature %v", c.rate, h, d.X[i*c.nf])
			}
		}
	}
	// A dataset of one layout refuses hops of another.
	d := &Dataset{Rate: 16000, NF: vad.ModelFeatures8k}
	if err := d.Record(make([]int16, 2*16000), nil, nil); err == nil {
		t.Error("16 kHz hops recorded into an 8 kHz dataset")
	}
}

// TestLabelFramesBridged: a gap of up to LabelBridge between loud frames is
// labelled speech and marked bridged; a longer one is neither; quiet frames
// at the ends stay unlabelled.
func TestLabelFramesBridged(t *testing.T) {
	loud := []int{2, 3, 4, 10, 11, 30} // frames 5-9 bridged (100 ms), 12-29 not
	clean := make([]float64, 40*FrameLen)
	for _, f := range loud {
		for i := f * FrameLen; i < (f+1)*FrameLen; i++ {
			clean[i] = 1000
		}
	}
	labels, bridged := make([]bool, 40), make([]bool, 40)
	first, last := labelFrames(clean, labels, bridged, 0, 39)
	if first != 2 || last != 30 {
		t.Errorf("first %d last %d, want 2 and 30", first, last)
	}
	for f := range labels {
		isLoud := slices.Contains(loud, f)
		wantBridged := f >= 5 && f <= 9
		if labels[f] != (isLoud || wantBridged) || bridged[f] != wantBridged {
			t.Errorf("frame %d: label %v bridged %v", f, labels[f], bridged[f])
		}
	}
}

// TestAppendAndTrainSplit checks that Append joins two datasets hop for
// hop and refuses another layout, that Scale weighs every hop, and that cmd/vad-train's FSDD strings
// come from another seed than the evaluation's and leave it speakers.
func TestAppendAndTrainSplit(t *testing.T) {
	a := &Dataset{NF: 2, X: []float32{1, 2}, Y: []bool{true}, W: []float32{1}}
	b := &Dataset{NF: 2, X: []float32{1, 3, 1, 4}, Y: []bool{false, true}, W: []float32{10, 1}}
	if err := a.Append(b); err != nil {
		t.Fatal(err)
	}
	if a.Len() != 3 || !slices.Equal(a.X, []float32{1, 2, 1, 3, 1, 4}) || !slices.Equal(a.Y, []bool{true, false, true}) ||
		!slices.Equal(a.W, []float32{1, 10, 1}) {
		t.Errorf("appended: %+v", a)
	}
	a.Scale(3)
	if !slices.Equal(a.W, []float32{3, 30, 3}) {
		t.Errorf("scaled weights %v", a.W)
	}
	if err := a.Append(&Dataset{NF: 3, X: []float32{1, 0, 0}, Y: []bool{false}, W: []float32{1}}); err == nil {
		t.Error("appending another feature layout: no error")
	}
	if err := a.Append(&Dataset{Rate: 8000, NF: 2, X: []float32{1, 0}, Y: []bool{false}, W: []float32{1}}); err == nil {
		t.Error("appending another rate: no error")
	}
	tr, ev := TrainRealConfig(), DefaultRealConfig()
	if tr.Seed == ev.Seed || tr.Seed == DefaultConfig().Seed {
		t.Errorf("training seed %d is an evaluation seed", tr.Seed)
	}
	if len(tr.Speakers) == 0 || len(tr.Speakers) >= len(FSDDSpeakers) {
		t.Errorf("training speakers %v: the evaluation needs some left", tr.Speakers)
	}
}
