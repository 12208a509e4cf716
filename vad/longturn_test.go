package vad

import (
	"testing"
	"time"
)

// A read sentence (3.2 s of speech, then a 220 ms phrase pause, then the
// rest) whose first half the grammar forced into a complete sum and the
// general LM heard as open words: on media time the long-turn wait keeps
// the pause inside the turn, where without it the turn ends there at the
// floor. The sentence's real end then waits at least LongWait.
func TestEndpointLongTurnKeepsSentence(t *testing.T) {
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 3000*ms, 8000) // 0.2–3.2 s: "unless to be rather cold hearted"
	pcm = speechAt(pcm, 200*ms, 800)   // 3.2–3.4 s: a falling phrase end
	pcm = speechAt(pcm, 220*ms, 0)     // a 220 ms phrase pause
	pcm = speechAt(pcm, 1300*ms, 8000) // 3.62–4.92 s: "and rather selfish"
	pcm = speechAt(pcm, 200*ms, 800)   // 4.92–5.12 s
	pcm = speechAt(pcm, 1500*ms, 0)
	for _, h := range []Hint{CombinePartials("what's thirty one plus forty one", "the less to be rather cold hearted"),
		CombinePartials("oh one two three one zero four nine two", "the less to be rather cold hearted")} {
		hints := map[time.Duration]Hint{3420 * ms: h, 5140 * ms: h}
		for _, off := range []bool{false, true} {
			ends := longTurnEnds(t, off, pcm, hints)
			if off {
				if len(ends) != 2 || ends[0].At != 3400*ms {
					t.Errorf("%v, long turn off: ends %+v, want two, the first at 3.4 s (the phrase pause cut)", h, ends)
				}
				continue
			}
			if len(ends) != 1 || ends[0].At != 5120*ms {
				t.Fatalf("%v: ends %+v, want one at 5.12 s", h, ends)
			}
			// The complete one waits the long-turn wait; the other the
			// pause hold, 1.5 × the 220 ms pause, when that is longer.
			want := DefaultEndpointLong
			if h.Class() != HintComplete {
				want = max(want, time.Duration(DefaultPauseHold*float64(220*ms)))
			}
			w := ends[0].DecidedAt - ends[0].At
			if w < want || w > want+20*ms {
				t.Errorf("%v: decided %v after the end, want %v", h, w, want)
			}
			if h.Class() == HintComplete && w >= DefaultMinSilence {
				t.Errorf("%v: decided %v after the end, not before the fixed detector's %v", h, w, DefaultMinSilence)
			}
		}
	}
}

// A short finished question ends at its usual wait: the long-turn rule
// changes nothing before DefaultLongTurn of speech, whatever the hint.
func TestEndpointLongTurnSparesShortQuestion(t *testing.T) {
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 1500*ms, 8000) // "what is nine minus four"
	pcm = speechAt(pcm, 200*ms, 800)
	pcm = speechAt(pcm, 1500*ms, 0)
	for _, h := range []Hint{CombinePartials("what is nine minus four", ""), CombinePartials("", "what is nine minus")} {
		var decided [2]time.Duration
		for i, off := range []bool{false, true} {
			ends := longTurnEnds(t, off, pcm, map[time.Duration]Hint{1920 * ms: h})
			if len(ends) != 1 || ends[0].At != 1900*ms {
				t.Fatalf("%v (long turn off %v): ends %+v, want one at 1.9 s", h, off, ends)
			}
			decided[i] = ends[0].DecidedAt
		}
		if decided[0] != decided[1] {
			t.Errorf("%v: decided at %v, %v with the rule off", h, decided[0], decided[1])
		}
		if h.Class() == HintComplete && decided[0]-1900*ms >= DefaultMinSilence {
			t.Errorf("%v: decided %v after the end, want under %v", h, decided[0]-1900*ms, DefaultMinSilence)
		}
	}
}

// longTurnEnds: the turns the default end of turn (the long-turn wait off
// when off) gives pcm with the partials' hints.
func longTurnEnds(t *testing.T, off bool, pcm []int16, hints map[time.Duration]Hint) []Event {
	t.Helper()
	opt := EndpointOptions{}
	if off {
		opt.LongTurn = -1
	}
	d, err := NewDetector(levelled{}, TurnOptions{Endpointing: &opt})
	if err != nil {
		t.Fatal(err)
	}
	return endsWithHints(d, pcm, hints)
}
