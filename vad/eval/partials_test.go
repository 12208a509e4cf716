package eval

import (
	"math"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/vad"
)

// TestEvaluatePartials runs the adaptive end of turn over tone "digit
// strings" with 200 ms gaps: heard as a complete request after the first
// tone, every string is split at its first gap; heard as digits (both
// passes), none is. Each utterance is decoded once, over its own window.
func TestEvaluatePartials(t *testing.T) {
	c := toneStrings(t, 3, 4)
	pcm := c.Mix(White, math.Inf(1))
	energy := Contenders()[1].New
	opt := vad.TurnOptions{StartThreshold: 0.5, Endpointing: &vad.EndpointOptions{}}
	calls := map[int]int{}
	run := func(first, second string) Result {
		t.Helper()
		clear(calls)
		r, err := EvaluatePartials(c, pcm, energy, opt, func(utt int, win []int16) (UttPartials, error) {
			calls[utt]++
			from, to := c.PartialWindow(utt, len(pcm))
			if len(win) != to-from || len(win) == 0 {
				t.Errorf("utterance %d: window of %d samples, want %d", utt, len(win), to-from)
			}
			// first at the end of the first tone, second after the next.
			at := samplesOf(PartialLead + 300*time.Millisecond)
			step := samplesOf(500 * time.Millisecond)
			return UttPartials{
				Grammar: []TimedPartial{{Samples: at, Text: first}, {Samples: at + step, Text: second}},
				LM:      []TimedPartial{{Samples: at + 100, Text: first}, {Samples: at + step + 100, Text: second}},
			}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.Utts {
			if calls[i] != 1 {
				t.Errorf("utterance %d decoded %d times, want once", i, calls[i])
			}
		}
		return r
	}
	done, digits := run("what time is it", "what time is it"), run("one", "one two")
	t.Logf("complete request: %+v; digits heard: %+v", done, digits)
	if done.SplitUtts != len(c.Utts) {
		t.Errorf("complete request: %d of %d strings split at a gap, want all", done.SplitUtts, done.Utts)
	}
	if digits.Missed != 0 || digits.SplitUtts != 0 {
		t.Errorf("digits heard: %d missed, %d split of %d, want 0 and 0", digits.Missed, digits.SplitUtts, digits.Utts)
	}
	for i := range len(c.Utts) - 1 {
		_, to := c.PartialWindow(i, len(pcm))
		if from, _ := c.PartialWindow(i+1, len(pcm)); to > from {
			t.Errorf("windows %d and %d overlap: %d > %d", i, i+1, to, from)
		}
	}
}
