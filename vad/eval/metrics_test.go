package eval

import (
	"math"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/vad"
)

// framesClassifier returns, per 20 ms frame, whether its frame index lies in
// one of the speech spans (1 or 0).
type framesClassifier struct {
	spans [][2]time.Duration
	f     int
}

func (c *framesClassifier) Prob([]int16) float64 {
	at := time.Duration(c.f) * FrameTime
	c.f++
	for _, s := range c.spans {
		if at >= s[0] && at < s[1] {
			return 1
		}
	}
	return 0
}

func (c *framesClassifier) Reset() { c.f = 0 }

// TestEvaluateMissed: an utterance whose start falls in a turn still open
// from the one before is missed "in a turn"; one with no speech at all is
// missed outright; the utterance whose turn ran on gets no end-of-turn
// delay (it counts as the next one's miss).
func TestEvaluateMissed(t *testing.T) {
	s, ms := time.Second, time.Millisecond
	c := &Corpus{
		Labels: make([]bool, 9*50),
		Utts: []Utterance{
			{Start: 1 * s, End: 2 * s},
			{Start: 3 * s, End: 4 * s},         // the classifier bridges 2–3 s: inside the turn
			{Start: 6 * s, End: 7 * s},         // no speech at all: no turn
			{Start: 7500 * ms, End: 8500 * ms}, // detected
		},
	}
	for _, u := range c.Utts {
		for f := int(u.Start / FrameTime); f < int(u.End/FrameTime); f++ {
			c.Labels[f] = true
		}
	}
	spans := [][2]time.Duration{{1 * s, 4 * s}, {7500 * ms, 8500 * ms}}
	mk := func() (vad.Classifier, error) { return &framesClassifier{spans: spans}, nil }
	r, err := Evaluate(c, make([]int16, 9*Rate), mk, vad.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Utts != 4 || r.Missed != 2 || r.MissedOpen != 1 || r.Splits != 0 || r.Spurious != 0 {
		t.Errorf("utterances %d, missed %d (%d in a turn), splits %d, spurious %d; want 4, 2 (1), 0, 0",
			r.Utts, r.Missed, r.MissedOpen, r.Splits, r.Spurious)
	}
	if len(r.EndExtra) != 1 || r.EndExtra[0] != 0 {
		t.Errorf("end-of-turn delays %v, want [0] (only the last utterance ends on its own)", r.EndExtra)
	}
	if got := missedCell(r); got != "2/4 (1 in a turn)" {
		t.Errorf("missed cell %q", got)
	}
	if got := missedCell(Result{Missed: 3, Utts: 9}); got != "3/9" {
		t.Errorf("missed cell %q", got)
	}
}

// loudClassifier calls a frame speech when any of its samples is not zero.
type loudClassifier struct{}

func (loudClassifier) Prob(f []int16) float64 {
	for _, v := range f {
		if v != 0 {
			return 1
		}
	}
	return 0
}

func (loudClassifier) Reset() {}

// TestFalseStartsOffsets: FalseStarts averages runs started at each of
// FalseStartOffsets that lies in the first half of the audio, each a fresh
// detector over the rest of it.
func TestFalseStartsOffsets(t *testing.T) {
	mk := func() (vad.Classifier, error) { return loudClassifier{}, nil }
	burst := func(total time.Duration) []int16 { // a 300 ms burst at 1 s
		pcm := make([]int16, samplesOf(total))
		for i := samplesOf(time.Second); i < samplesOf(1300*time.Millisecond); i++ {
			pcm[i] = 1000
		}
		return pcm
	}
	for _, c := range []struct {
		total time.Duration
		runs  []time.Duration // length of each run that holds the burst
		n     int             // runs in all
	}{
		{10 * time.Second, []time.Duration{10 * time.Second, 9300 * time.Millisecond}, 3}, // the run from 1.9 s misses it
		{2 * time.Second, []time.Duration{2 * time.Second, 1300 * time.Millisecond}, 2},   // 1.9 s is past the first half
	} {
		var wantPerMin, wantIn float64
		for _, r := range c.runs {
			wantPerMin += 1 / r.Minutes() / float64(c.n)
			wantIn += 0.3 / r.Seconds() / float64(c.n)
		}
		perMin, in, err := FalseStarts(burst(c.total), mk, vad.TurnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(perMin-wantPerMin) > 1e-9 || math.Abs(in-wantIn) > 1e-9 {
			t.Errorf("%v of audio: %.4f starts/min, %.4f in turns; want %.4f, %.4f", c.total, perMin, in, wantPerMin, wantIn)
		}
	}
}

// fluctClassifier scores the labelled speech frames of spans at p and
// reports a fluctuating background.
type fluctClassifier struct {
	framesClassifier
	p float64
}

func (c *fluctClassifier) Prob(f []int16) float64 { return c.p * c.framesClassifier.Prob(f) }

func (*fluctClassifier) Fluctuating() bool { return true }

// TestEvaluateFrameDecision: Evaluate scores the detector's frame decision
// (Detector.LastIsSpeech), so a frame between FluctuatingThreshold and
// Threshold counts as speech in a fluctuating background, and not when
// FluctuatingThreshold is raised to Threshold.
func TestEvaluateFrameDecision(t *testing.T) {
	s := time.Second
	c := &Corpus{Labels: make([]bool, 3*50)}
	for f := 50; f < 100; f++ { // speech 1–2 s
		c.Labels[f] = true
	}
	p := (vad.DefaultFluctuatingThreshold + vad.DefaultThreshold) / 2
	mk := func() (vad.Classifier, error) {
		return &fluctClassifier{framesClassifier: framesClassifier{spans: [][2]time.Duration{{s, 2 * s}}}, p: p}, nil
	}
	for _, tc := range []struct {
		ft     float64
		tp, fn int
	}{
		{0, 50, 0},
		{vad.DefaultThreshold, 0, 50},
	} {
		r, err := Evaluate(c, make([]int16, 3*Rate), mk, vad.TurnOptions{FluctuatingThreshold: tc.ft})
		if err != nil {
			t.Fatal(err)
		}
		if r.TP != tc.tp || r.FN != tc.fn || r.FP != 0 || r.TN != 100 {
			t.Errorf("FluctuatingThreshold %v: TP %d FN %d FP %d TN %d; want %d %d 0 100", tc.ft, r.TP, r.FN, r.FP, r.TN, tc.tp, tc.fn)
		}
	}
}
