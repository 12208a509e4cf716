package eval

import (
	"math"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/vad"
)

// TestExplainSplits: tone "digit strings" with 200 ms gaps heard as a
// complete request after the first tone are each cut once, at the first
// gap, with that partial and the complete wait; heard as digits, none is.
func TestExplainSplits(t *testing.T) {
	c := toneStrings(t, 3, 4)
	pcm := c.Mix(White, math.Inf(1))
	opt := vad.TurnOptions{StartThreshold: 0.5, Endpointing: &vad.EndpointOptions{}}
	src := func(text string) UttPartialSource {
		return func(utt int, win []int16) (UttPartials, error) {
			at := samplesOf(PartialLead + 300*time.Millisecond)
			return UttPartials{Grammar: []TimedPartial{{Samples: at, Text: text}}}, nil
		}
	}
	cuts, err := ExplainSplits(c, pcm, Contenders()[1].New, opt, src("what time is it"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cuts) != len(c.Utts) {
		t.Fatalf("%d cuts, want one per string (%d):\n%s", len(cuts), len(c.Utts), CutsMarkdown("cuts", cuts))
	}
	for i, k := range cuts {
		if k.Utt != i || k.Gap != 1 || k.Gaps != 2 || k.Grammar != "what time is it" || k.Hint != vad.HintComplete ||
			k.Pause < 160*time.Millisecond || k.Pause > 240*time.Millisecond || k.Wait >= 200*time.Millisecond {
			t.Errorf("cut %d: %+v, want string %d cut at gap 1 of 2 (~200 ms) on the complete wait", i, k, i)
		}
	}
	if cuts, err = ExplainSplits(c, pcm, Contenders()[1].New, opt, src("one"), nil); err != nil || len(cuts) != 0 {
		t.Errorf("heard as digits: %d cuts (%v), want none", len(cuts), err)
	}
}
