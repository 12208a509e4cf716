package eval

import (
	"math"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/vad"
)

// loud is speech when a frame's mean square passes a fixed level.
type loud struct{}

func (loud) Prob(f []int16) float64 {
	var s float64
	for _, v := range f {
		s += float64(v) * float64(v)
	}
	if s/float64(len(f)) > 1e5 {
		return 1
	}
	return 0
}
func (loud) Reset() {}

func tone(d time.Duration) []float64 {
	x := make([]float64, samplesOf(d))
	for i := range x {
		x[i] = 8000 * math.Sin(float64(i)*0.3)
	}
	return x
}

// A 500 ms pause is a cut-off at fixed 300 ms and not at 600 ms; the
// latency runs from the last segment's end to the decision.
func TestRunTurnsCutsAndLatency(t *testing.T) {
	items := []TurnItem{
		{Set: "s", Segs: []Segment{{PCM: tone(400 * time.Millisecond)}, {PCM: tone(400 * time.Millisecond)}},
			Gaps: []time.Duration{500 * time.Millisecond}},
		{Set: "s", Segs: []Segment{{PCM: tone(600 * time.Millisecond)}}},
	}
	mk := func() (vad.Classifier, error) { return loud{}, nil }
	for _, c := range []struct {
		silence time.Duration
		cuts    int
	}{{300 * time.Millisecond, 1}, {600 * time.Millisecond, 0}} {
		outs, err := RunTurns(items, TurnSetting{Opt: vad.TurnOptions{MinSilence: c.silence}}, math.Inf(1), mk, 1)
		if err != nil {
			t.Fatal(err)
		}
		st := Summarise(items, outs, func(TurnItem) bool { return true })
		if st.Cuts != c.cuts || st.Pauses != 1 || st.Paused != 1 || st.Ended != 1 || st.MidCuts != 0 {
			t.Errorf("silence %v: %+v, want %d cut-offs of 1 pause", c.silence, st, c.cuts)
		}
		for _, o := range outs {
			if d := o.Latency - c.silence; d < -20*time.Millisecond || d > 20*time.Millisecond {
				t.Errorf("silence %v: item %d latency %v", c.silence, o.Item, o.Latency)
			}
		}
	}
}

func TestCutAtPause(t *testing.T) {
	x := append(append(tone(600*time.Millisecond), make([]float64, samplesOf(100*time.Millisecond))...), tone(600*time.Millisecond)...)
	a, b := cutAtPause(x)
	if a == nil || math.Abs(float64(len(a)-samplesOf(600*time.Millisecond))) > FrameLen ||
		math.Abs(float64(len(b)-samplesOf(600*time.Millisecond))) > FrameLen {
		t.Fatalf("cut %d + %d samples, want 600 ms each", len(a), len(b))
	}
	if a, _ := cutAtPause(tone(time.Second)); a != nil {
		t.Error("a cut without a pause")
	}
}

// A recogniser's partial reaches the adaptive decision at the samples it
// covers: "three" heard at the end of the first digit holds the 700 ms
// pause (the short-run wait alone, 550 ms, would not); the same partial arriving only after the pause does not; and the
// source gets the item's audio as the detector hears it.
func TestRunTurnsRecogniserPartial(t *testing.T) {
	items := []TurnItem{{Set: "s", Segs: []Segment{{PCM: tone(400 * time.Millisecond)}, {PCM: tone(400 * time.Millisecond)}},
		Gaps: []time.Duration{700 * time.Millisecond}}}
	firstEnd := samplesOf(turnLead + 400*time.Millisecond)
	if e := items[0].SegmentEnds(); len(e) != 2 || e[0] != firstEnd || e[1] != firstEnd+samplesOf(1100*time.Millisecond) {
		t.Fatalf("segment ends %v", e)
	}
	mk := func() (vad.Classifier, error) { return loud{}, nil }
	for _, c := range []struct {
		at   int
		cuts int
	}{{firstEnd, 0}, {firstEnd + samplesOf(800*time.Millisecond), 1}} {
		src := func(item int, snr float64, pcm []int16) ([]TimedPartial, error) {
			if item != 0 || !math.IsInf(snr, 1) || pcm[firstEnd-1] == 0 || pcm[firstEnd+FrameLen] != 0 {
				t.Errorf("source got item %d at %v dB, %d samples", item, snr, len(pcm))
			}
			return []TimedPartial{{Samples: c.at, Text: "three"}}, nil
		}
		s := TurnSetting{Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{}}, Recogniser: src}
		outs, err := RunTurns(items, s, math.Inf(1), mk, 1)
		if err != nil {
			t.Fatal(err)
		}
		if st := Summarise(items, outs, func(TurnItem) bool { return true }); st.Cuts != c.cuts {
			t.Errorf("partial at sample %d: %d cut-offs, want %d", c.at, st.Cuts, c.cuts)
		}
	}
}
