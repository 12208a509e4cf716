package eval

import (
	"math"
	"strings"
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

// TestRealReportDefault shows the server-default split where it was
// measured ("–" elsewhere) and judges the ≤ 5 % goal on those rows only.
func TestRealReportDefault(t *testing.T) {
	ms := time.Millisecond
	def := Result{Utts: 20, SplitUtts: 1, EndExtra: []time.Duration{100 * ms, 200 * ms, 900 * ms}}
	set := RealSet{Name: "digits", Rows: []Row{
		{Noise: "clean", SNR: math.Inf(1), VAD: "spectral", Result: Result{Utts: 20, SplitUtts: 10}, Default: &def},
		{Noise: "white", SNR: 20, VAD: "spectral", Result: Result{Utts: 20, SplitUtts: 8}},
	}}
	tab := RealTableMarkdown([]RealSet{set}, vad.TurnOptions{})
	if !strings.Contains(tab, "| 10 (50.0 %) | 1 (5.0 %), 500/1200 |") {
		t.Errorf("clean row lacks the server default's split and end (1 of 20, 500/1200 ms):\n%s", tab)
	}
	if !strings.Contains(tab, "| 8 (40.0 %) | – |") {
		t.Errorf("white row: want \"–\" where the default was not measured:\n%s", tab)
	}
	v := RealVerdictMarkdown([]RealSet{set}, "spectral")
	if !strings.Contains(v, "fixed 300 ms (`-endpointing fixed`, the `-vad-min-silence` default): **missed** (worst clean 50.0 %)") {
		t.Errorf("fixed verdict:\n%s", v)
	}
	if !strings.Contains(v, "server default (`-endpointing adaptive` with the live partials): **met** (worst clean 5.0 % of 20)") {
		t.Errorf("server default verdict:\n%s", v)
	}
	set.Rows[0].Default = nil
	if v := RealVerdictMarkdown([]RealSet{set}, "spectral"); strings.Contains(v, "server default") {
		t.Errorf("a verdict on the server default with nothing measured:\n%s", v)
	}
}
