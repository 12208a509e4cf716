package dialogue

import (
	"testing"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/vad"
)

// nonZero is a classifier for which a frame is speech when its first
// sample is non-zero.
type nonZero struct{}

func (nonZero) Prob(f []int16) float64 {
	if f[0] != 0 {
		return 1
	}
	return 0
}
func (nonZero) Reset() {}

func adaptiveHarness(t *testing.T) *harness {
	t.Helper()
	return newHarness(t, func(o *Options) {
		o.NewDetector = func() Detector {
			d, err := vad.NewDetector(nonZero{}, vad.TurnOptions{Endpointing: &vad.EndpointOptions{}})
			if err != nil {
				t.Fatal(err)
			}
			return NewVADDetector(d)
		}
	})
}

// A 700 ms pause inside a digit string (the partial ends in a digit) does
// not end the turn, where the fixed 300 ms would; the end that follows
// waited (turn.metrics' endpoint_waited_ms).
func TestAdaptiveEndpointHoldsDigitPause(t *testing.T) {
	h := adaptiveHarness(t)
	h.stt.mu.Lock()
	h.stt.partial = "my number is three"
	h.stt.mu.Unlock()
	h.stt.say("my number is three seven")
	h.speech(20)
	h.streamOpen(1) // the partial is read from the open stream
	h.silence(35)
	h.speech(1)
	h.none("a transcript inside the pause", isType(events.TypeTranscriptFinal))
	h.speech(19)
	h.silence(62)
	fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal))
	if fin.Text != "my number is three seven" {
		t.Fatalf("transcript %q", fin.Text)
	}
	m := h.waitPlaying("metrics", isType(events.TypeTurnMetrics)).Metrics
	if m == nil || m.EndpointMS != float64(vad.DefaultEndpointCeiling.Milliseconds()) || m.EndpointWaitedMS != m.EndpointMS || m.EndpointEarlyMS != 0 {
		t.Fatalf("metrics %+v, want the ceiling's wait, waited", m)
	}
}

// A partial pushed by the recogniser as it is decoded reaches the decision
// on the next frame, and polling does not override it: "three" pushed at
// the end of a short run holds a 700 ms pause that the no-word wait
// (550 ms after a short run; the polled partial is empty) would end.
func TestAdaptiveEndpointPushedPartial(t *testing.T) {
	h := adaptiveHarness(t)
	h.stt.mu.Lock()
	h.stt.push = true
	h.stt.mu.Unlock()
	h.stt.say("three seven")
	h.speech(20)
	h.streamOpen(1) // the callback is registered before the stream's first audio
	h.stt.pushPartial("three")
	h.silence(35)
	h.speech(1)
	h.none("a transcript inside the pause", isType(events.TypeTranscriptFinal))
	h.speech(19)
	h.silence(62)
	if fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal)); fin.Text != "three seven" {
		t.Fatalf("transcript %q", fin.Text)
	}
	// One turn, ended at the digit hold's ceiling (a cut pause would end
	// the first turn after the 550 ms no-word wait).
	m := h.waitPlaying("metrics", isType(events.TypeTurnMetrics)).Metrics
	if m == nil || m.EndpointMS != float64(vad.DefaultEndpointCeiling.Milliseconds()) {
		t.Fatalf("metrics %+v, want the ceiling's wait", m)
	}
}

// Without the pushed partial the same pause ends the turn: the test above
// measures the push, not the waits.
func TestAdaptiveEndpointNoPartialEndsPause(t *testing.T) {
	h := adaptiveHarness(t)
	h.stt.mu.Lock()
	h.stt.push = true
	h.stt.mu.Unlock()
	h.stt.say("three", "seven")
	h.speech(20)
	h.streamOpen(1)
	h.silence(35)
	if fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal)); fin.Text != "three" {
		t.Fatalf("transcript %q", fin.Text)
	}
}

// A finished question (a complete partial, a falling last 500 ms) ends
// before the fixed 300 ms would: turn.metrics' endpoint_early_ms.
func TestAdaptiveEndpointFinishedQuestionEarly(t *testing.T) {
	h := adaptiveHarness(t)
	h.stt.mu.Lock()
	h.stt.partial = "what time is it"
	h.stt.mu.Unlock()
	h.stt.say("what time is it")
	for range 50 {
		h.frame(8000)
	}
	h.streamOpen(1) // the partial is read from the open stream
	for range 10 {
		h.frame(800)
	}
	h.silence(15)
	m := h.waitPlaying("metrics", isType(events.TypeTurnMetrics)).Metrics
	if m == nil || m.EndpointMS >= float64(vad.DefaultMinSilence.Milliseconds()) || m.EndpointEarlyMS != m.EndpointMS || m.EndpointWaitedMS != 0 {
		t.Fatalf("metrics %+v, want an early end under %v", m, vad.DefaultMinSilence)
	}
}

// The pushed partials of both passes combine: the grammar's digit string
// holds fully only once the general-LM pass reads digits too.
func TestNotePartialCombinesSources(t *testing.T) {
	u := &userTurn{}
	push := u.partialsOf(0)
	hint := func() vad.Hint { return vad.Hint(u.hint.Swap(0) - 1).Class() } // HintWordy aside
	push(stt.PartialFirst, "three seven", 1600)
	if h := hint(); h != vad.HintMaybeDigits {
		t.Fatalf("grammar only: %v, want %v", h, vad.HintMaybeDigits)
	}
	push(stt.PartialLM, "three seven", 1600)
	if h := hint(); h != vad.HintDigits {
		t.Fatalf("both digits: %v, want %v", h, vad.HintDigits)
	}
	push(stt.PartialLM, "it was late and", 3200)
	if h := hint(); h != vad.HintMaybeDigits {
		t.Fatalf("LM sentence: %v, want %v", h, vad.HintMaybeDigits)
	}
}

// A replayed stream (after a discarded speculation) reads the turn from
// its start: its partials count once they cover the replayed audio, and
// the abandoned stream's late partials not at all; meanwhile the hint of
// the turn so far holds.
func TestNotePartialReplayedStream(t *testing.T) {
	u := &userTurn{}
	old := u.partialsOf(0)
	old(stt.PartialFirst, "three seven one", 9600)
	old(stt.PartialLM, "three seven one", 9600)
	if h := vad.Hint(u.hint.Swap(0) - 1).Class(); h != vad.HintDigits {
		t.Fatalf("before the replay: %v, want %v", h, vad.HintDigits)
	}
	replay := u.partialsOf(12800)
	old(stt.PartialLM, "that and one", 9600) // the abandoned stream's LM pass, late
	replay(stt.PartialFirst, "good", 3200)   // the replay's first syllables
	replay(stt.PartialLM, "the", 3200)
	if v := u.hint.Load(); v != 0 {
		t.Fatalf("a partial before the replay caught up set hint %v", vad.Hint(v-1))
	}
	replay(stt.PartialFirst, "three seven one two", 14400)
	replay(stt.PartialLM, "three seven one two", 14400)
	if h := vad.Hint(u.hint.Swap(0) - 1).Class(); h != vad.HintDigits {
		t.Fatalf("caught up: %v, want %v", h, vad.HintDigits)
	}
}
