package eval

import (
	"math"
	"testing"

	"github.com/duplex-ai/duplex/vad"
)

func bools(s string) []bool {
	out := make([]bool, len(s))
	for i, c := range s {
		out[i] = c == '1'
	}
	return out
}

func TestSplitErrors(t *testing.T) {
	// Two labelled runs; the second starts after a 3-frame bridged gap.
	labels := bools("000011111111110000000000111111110000")
	bridged := bools("000000000000000000000000000000000000")
	got := bools("000000111111111111000000000111111110")
	// The first run's onset is missed by 2 frames and 4 false frames
	// follow its end; the second is found 3 frames late, 3 false after.
	loud := func(f int) (float64, float64) {
		if labels[f] && f%2 == 0 {
			return 10, 1 // above the noise
		}
		return 0.5, 1 // under it (and the silence is quiet too)
	}
	e := splitErrors(Condition{White, 20}, labels, bridged, got, loud)
	if e.Speech != 18 || e.FP != 7 || e.FN != 5 {
		t.Fatalf("speech %d, FP %d, FN %d; want 18, 7, 5", e.Speech, e.FP, e.FN)
	}
	if e.Runs != 2 {
		t.Errorf("%d labelled runs, want 2", e.Runs)
	}
	if e.FPAfterEnd != 7 || e.FPBeforeStart != 0 {
		t.Errorf("FP after end %d, before start %d; want 7, 0", e.FPAfterEnd, e.FPBeforeStart)
	}
	if e.FNOnset != 5 || e.FNOffset != 0 || e.FNBridged != 0 {
		t.Errorf("FN onset %d, offset %d, bridged %d; want 5, 0, 0", e.FNOnset, e.FNOffset, e.FNBridged)
	}
	if want := 2 * 13.0 / (2*13 + 7 + 5); math.Abs(e.F1-want) > 1e-9 {
		t.Errorf("F1 %.3f, want %.3f", e.F1, want)
	}
	if e.UnderNoise != 9 {
		t.Errorf("%d labelled frames under the noise, want 9", e.UnderNoise)
	}
	// The oracle at 0 dB finds the 9 loud frames and nothing else; at
	// −5 dB (0.5 > 1·10^-0.5) it calls every frame.
	if want := 2 * 9.0 / (2*9 + 0 + 9); math.Abs(e.OracleF1[0]-want) > 1e-9 {
		t.Errorf("oracle F1 %.3f, want %.3f", e.OracleF1[0], want)
	}
	if want := 2 * 18.0 / (2*18 + 18); math.Abs(e.OracleF1[1]-want) > 1e-9 {
		t.Errorf("oracle −5 dB F1 %.3f, want %.3f", e.OracleF1[1], want)
	}
}

func TestSplitErrorsBridgedAndOffset(t *testing.T) {
	labels := bools("0011111111111111111100")
	bridged := bools("0000000000111000000000")
	got := bools("0011111111000111110000")
	e := splitErrors(Condition{Pink, 10}, labels, bridged, got, func(int) (float64, float64) { return 1, 1 })
	if e.FN != 5 || e.FNBridged != 3 || e.FNOffset != 2 || e.FNOnset != 0 || e.FP != 0 {
		t.Errorf("FN %d (bridged %d, offset %d, onset %d), FP %d; want 5 (3, 2, 0), 0", e.FN, e.FNBridged, e.FNOffset, e.FNOnset, e.FP)
	}
}

// MeasureFrameErrors scores the detector's frames as Evaluate does, and
// the tone bursts (3 runs per string) stand well above white noise at 20 dB.
func TestMeasureFrameErrorsAgreesWithEvaluate(t *testing.T) {
	c := toneStrings(t, 3, 3)
	mk := Contenders()[0].New
	cd := Condition{White, 20}
	fe, err := MeasureFrameErrors(c, []Condition{cd}, mk)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Evaluate(c, c.Mix(cd.Kind, cd.SNR), mk, vad.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := fe[0]
	if e.FP != r.FP || e.FN != r.FN || math.Abs(e.F1-r.F1) > 1e-12 {
		t.Errorf("FP %d FN %d F1 %.4f; Evaluate says %d %d %.4f", e.FP, e.FN, e.F1, r.FP, r.FN, r.F1)
	}
	if e.Runs != 9 {
		t.Errorf("%d labelled runs, want 3 strings × 3 bursts", e.Runs)
	}
	if e.UnderNoise != 0 || e.OracleF1[0] < 0.99 {
		t.Errorf("steady tones at 20 dB SNR: %d labelled frames under the noise, oracle F1 %.3f; want 0 and ≈ 1", e.UnderNoise, e.OracleF1[0])
	}
	if _, err := MeasureFrameErrors(c, []Condition{{White, math.Inf(1)}}, mk); err == nil {
		t.Error("clean speech accepted: there is no noise to compare with")
	}
}
