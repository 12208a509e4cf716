package vad

import (
	"testing"
	"time"
)

// levelled is a classifier for which a frame is speech when its first
// sample is non-zero; the samples' size sets its energy.
type levelled struct{}

func (levelled) Prob(frame []int16) float64 {
	if frame[0] != 0 {
		return 1
	}
	return 0
}
func (levelled) Reset() {}

// speechAt appends d of audio at amplitude a (0: silence).
func speechAt(pcm []int16, d time.Duration, a int16) []int16 {
	for range int(d * fs / time.Second) {
		pcm = append(pcm, a)
	}
	return pcm
}

func newAdaptive(t *testing.T) *Detector {
	t.Helper()
	d, err := NewDetector(levelled{}, TurnOptions{Endpointing: &EndpointOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// hintedEnds runs pcm through an adaptive detector, setting hint at hintAt
// (media time), and returns its SpeechEnded events.
func hintedEnds(t *testing.T, pcm []int16, hintAt time.Duration, hint Hint) []Event {
	t.Helper()
	return endsWithHints(newAdaptive(t), pcm, map[time.Duration]Hint{hintAt: hint})
}

// endsWithHints pushes pcm through d in 20 ms frames, setting each hint at
// its media time, and returns the SpeechEnded events.
func endsWithHints(d *Detector, pcm []int16, hints map[time.Duration]Hint) []Event {
	var ends []Event
	for i := 0; i+320 <= len(pcm); i += 320 {
		at := time.Duration(i) * time.Second / fs
		if h, ok := hints[at]; ok {
			d.SetHint(h)
		}
		for _, e := range d.Push(pcm[i:i+320], at) {
			if e.Type == SpeechEnded {
				ends = append(ends, e)
			}
		}
	}
	return ends
}

// A digit string with a 500 ms pause: fixed 300 ms silence cuts it, the
// adaptive wait (a short run, a digit partial) holds the turn.
func TestEndpointDigitPauseHolds(t *testing.T) {
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 400*ms, 3000) // "three"
	pcm = speechAt(pcm, 500*ms, 0)
	pcm = speechAt(pcm, 400*ms, 3000) // "seven"
	pcm = speechAt(pcm, 2000*ms, 0)

	fixed, err := NewDetector(levelled{}, TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := countEnds(run(t, fixed, pcm, 0)); n != 2 {
		t.Fatalf("fixed: %d ends, want 2 (the pause splits the string)", n)
	}

	ends := hintedEnds(t, pcm, 600*ms, ClassifyPartial("three")) // at 600 ms the recogniser has heard "three"
	if len(ends) != 1 || ends[0].At != 1500*ms {
		t.Fatalf("adaptive: ends %+v, want one at 1.5 s", ends)
	}
	// The hold comes from the digit partial: a complete request heard at the
	// same point ends the turn inside the pause.
	if ends := hintedEnds(t, pcm, 600*ms, ClassifyPartial("what time is it")); len(ends) != 2 {
		t.Fatalf("complete partial: ends %+v, want 2 (the pause ends the turn)", ends)
	}
}

// A finished question (a long run whose energy falls, a complete partial)
// ends before the fixed threshold would.
func TestEndpointFinishedQuestionEndsEarly(t *testing.T) {
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 900*ms, 8000)
	pcm = speechAt(pcm, 200*ms, 800) // the falling end of "…is it"
	pcm = speechAt(pcm, 1000*ms, 0)
	d := newAdaptive(t)
	d.SetHint(ClassifyPartial("what time is it"))
	var end Event
	for _, e := range run(t, d, pcm, 0) {
		if e.Type == SpeechEnded {
			end = e
		}
	}
	if end.At != 1300*ms {
		t.Fatalf("end %+v, want At 1.3 s", end)
	}
	if got := end.DecidedAt - end.At; got >= DefaultMinSilence || got < DefaultEndpointFloor {
		t.Fatalf("decided %v after the end, want in [%v, %v)", got, DefaultEndpointFloor, DefaultMinSilence)
	}
	if end.Wait != end.DecidedAt-end.At {
		t.Errorf("Wait %v, want %v", end.Wait, end.DecidedAt-end.At)
	}
}

// DigitsShortOnly: a long run the recogniser reads as digits ends at the
// no-word wait; a lone digit still holds.
func TestEndpointDigitsShortOnly(t *testing.T) {
	e := endpointer{}
	e.opt, _ = EndpointOptions{DigitsShortOnly: true}.withDefaults()
	e.hint = HintDigits
	long, short := e.wait(false, false, DefaultShortTurn, 0), e.wait(true, true, DefaultShortTurn, 0)
	if want := DefaultEndpointBase + DefaultEndpointLevel; long != want {
		t.Errorf("after a long run: wait %v, want %v (no digit hold)", long, want)
	}
	if short != DefaultEndpointCeiling {
		t.Errorf("after a short run: wait %v, want the ceiling %v", short, DefaultEndpointCeiling)
	}
	e.opt.DigitsShortOnly = false
	if w, want := e.wait(false, false, DefaultShortTurn, 0), DefaultEndpointBase+DefaultEndpointDigits+DefaultEndpointLevel; w != want {
		t.Errorf("without DigitsShortOnly, after a long run: wait %v, want %v", w, want)
	}
}

func TestClassifyPartial(t *testing.T) {
	for text, want := range map[string]Hint{
		"": HintNone, "my number is three seven": HintDigits, "call 555": HintDigits,
		"i want the": HintContinue, "pizza and": HintContinue, "so um": HintContinue, "well,": HintContinue,
		"what time is it": HintComplete, "turn on the lights please": HintComplete, "Is it raining?": HintComplete,
		"yeah": HintComplete, "tell me a story about dragons": HintNone,
		"What time is it.": HintComplete, "He was not an ill disposed.": HintNone, "My number is.": HintContinue,
		"Three, seven.": HintDigits, "...": HintNone,
	} {
		if got := ClassifyPartial(text).Class(); got != want {
			t.Errorf("ClassifyPartial(%q) = %v, want %v", text, got, want)
		}
	}
	for text, wordy := range map[string]bool{"go forward": false, "tell me a story": true, "what time is it": false} {
		if got := ClassifyPartial(text)&HintWordy != 0; got != wordy {
			t.Errorf("ClassifyPartial(%q) wordy %v, want %v", text, got, wordy)
		}
	}
}

func TestEndpointOptionErrors(t *testing.T) {
	if _, err := NewDetector(levelled{}, TurnOptions{Endpointing: &EndpointOptions{Floor: 500 * ms, Ceiling: 200 * ms}}); err == nil {
		t.Error("ceiling below floor accepted")
	}
}

func countEnds(evs []Event) int {
	n := 0
	for _, e := range evs {
		if e.Type == SpeechEnded {
			n++
		}
	}
	return n
}

// The decision's own per-frame cost: note the frame's energy, then the wait.
func BenchmarkEndpointDecision(b *testing.B) {
	e := endpointer{hint: HintDigits}
	e.opt, _ = EndpointOptions{}.withDefaults() // the digit hold's pace cap too
	e.notePause(250 * ms)
	e.notePause(400 * ms) // the spread cap too
	frame := make([]int16, 320)
	for i := range frame {
		frame[i] = int16(i * 37)
	}
	b.ReportAllocs()
	var w time.Duration
	for i := 0; b.Loop(); i++ {
		e.note(frame, i%4 != 0)
		w += e.wait(i%2 == 0, i%3 == 0, time.Duration(i%5)*800*ms, 0)
	}
	_ = w
}

// pacedDigits runs a digit string (400 ms digits joined by gap pauses, a
// digit partial from the first digit on) through an adaptive detector
// with opt, and returns its end events.
func pacedDigits(t *testing.T, opt EndpointOptions, gaps ...time.Duration) ([]Event, time.Duration) {
	t.Helper()
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 400*ms, 3000)
	for _, g := range gaps {
		pcm = speechAt(pcm, g, 0)
		pcm = speechAt(pcm, 400*ms, 3000)
	}
	// The end of the frame holding the last digit's last sample.
	last := (time.Duration(len(pcm))*time.Second/fs + 19*ms) / (20 * ms) * (20 * ms)
	pcm = speechAt(pcm, 2000*ms, 0)
	d, err := NewDetector(levelled{}, TurnOptions{Endpointing: &opt})
	if err != nil {
		t.Fatal(err)
	}
	d.SetHint(HintDigits)
	var ends []Event
	for _, e := range run(t, d, pcm, 0) {
		if e.Type == SpeechEnded {
			ends = append(ends, e)
		}
	}
	return ends, last
}

// A speaker who paused 250 ms between digits is done after ~700 ms of
// silence, not the 1.2 s ceiling; one who pauses 800 ms is not cut at the
// next 800 ms pause; with the pace off the hold stays at the ceiling.
func TestEndpointDigitHoldFollowsPace(t *testing.T) {
	pace := EndpointOptions{PaceSpread: -1} // 2.5 × the longest pause, at least 500 ms (TestEndpointPaceSpread: with the spread cap)
	ends, last := pacedDigits(t, pace, 250*ms, 250*ms, 250*ms)
	if len(ends) != 1 || ends[0].At != last {
		t.Fatalf("250 ms pauses: ends %+v, want one at %v", ends, last)
	}
	if after := ends[0].DecidedAt - last; after > 700*ms || after < 600*ms {
		t.Errorf("250 ms pauses: decided %v after the last digit, want 600-700 ms (2.5 × 250 ms)", after)
	}

	ends, last = pacedDigits(t, pace, 800*ms, 800*ms, 800*ms)
	if len(ends) != 1 || ends[0].At != last {
		t.Fatalf("800 ms pauses: ends %+v, want one at %v (no pause cut)", ends, last)
	}

	// The first pause of a string gets the whole hold: 900 ms holds.
	if ends, last = pacedDigits(t, pace, 900*ms); len(ends) != 1 || ends[0].At != last {
		t.Fatalf("one 900 ms pause: ends %+v, want one at %v", ends, last)
	}

	ends, last = pacedDigits(t, EndpointOptions{PauseScale: -1}, 250*ms, 250*ms, 250*ms)
	if len(ends) != 1 || ends[0].DecidedAt-last != DefaultEndpointCeiling {
		t.Fatalf("pace off: ends %+v, want one decided %v after %v", ends, DefaultEndpointCeiling, last)
	}
}

// The pace only shortens a digit hold: a trailing "and" still waits.
func TestEndpointPaceOnlyDigits(t *testing.T) {
	e := endpointer{}
	e.opt, _ = EndpointOptions{PauseScale: 2, PauseFloor: 300 * ms}.withDefaults()
	e.notePause(200 * ms)
	e.hint = HintContinue
	if w, want := e.wait(false, false, DefaultShortTurn, 0), DefaultEndpointBase+DefaultEndpointContinue+DefaultEndpointLevel; w != want {
		t.Errorf("continue: wait %v, want %v", w, want)
	}
	e.hint = HintDigits
	if w := e.wait(false, false, DefaultShortTurn, 0); w != 400*ms {
		t.Errorf("digits after a 200 ms pause: wait %v, want 400 ms", w)
	}
	e.reset()
	e.hint = HintDigits
	if w, want := e.wait(false, false, DefaultShortTurn, 0), DefaultEndpointBase+DefaultEndpointDigits+DefaultEndpointLevel; w != want {
		t.Errorf("after reset: wait %v, want the whole hold %v", w, want)
	}
}

// The spread cap: a speaker whose pauses were all 250 ms is done after
// the 500 ms floor, sooner than 2.5 × 250 ms; one whose pauses varied
// (400 then 800 ms) is not cut at a third pause of 800 ms.
func TestEndpointPaceSpread(t *testing.T) {
	opt := EndpointOptions{PaceSpread: 2, PaceMargin: 200 * ms}
	ends, last := pacedDigits(t, opt, 250*ms, 250*ms, 250*ms)
	if len(ends) != 1 || ends[0].At != last {
		t.Fatalf("250 ms pauses: ends %+v, want one at %v", ends, last)
	}
	if after := ends[0].DecidedAt - last; after != DefaultPauseFloor {
		t.Errorf("250 ms pauses: decided %v after the last digit, want the %v floor", after, DefaultPauseFloor)
	}
	if ends, last = pacedDigits(t, opt, 400*ms, 800*ms, 800*ms); len(ends) != 1 || ends[0].At != last {
		t.Fatalf("400, 800, 800 ms pauses: ends %+v, want one at %v (no pause cut)", ends, last)
	}
	// Off, the pace cap alone: 2.5 × 250 ms.
	ends, last = pacedDigits(t, EndpointOptions{PaceSpread: -1}, 250*ms, 250*ms, 250*ms)
	if len(ends) != 1 || ends[0].DecidedAt-last <= DefaultPauseFloor {
		t.Fatalf("spread off: ends %+v, want one decided later than %v after %v", ends, DefaultPauseFloor, last)
	}
}

// The spread cap needs two pauses: after one the pace cap stands.
func TestEndpointPaceSpreadNeedsTwoPauses(t *testing.T) {
	e := endpointer{hint: HintDigits}
	e.opt, _ = EndpointOptions{PaceSpread: 1, PaceMargin: 100 * ms, PauseFloor: 300 * ms}.withDefaults()
	e.notePause(200 * ms)
	if w := e.wait(false, false, DefaultShortTurn, 0); w != 500*ms {
		t.Errorf("one 200 ms pause: wait %v, want 2.5 × 200 ms", w)
	}
	e.notePause(400 * ms) // longest 400, spread 200 over one interval: 400+200+100
	if w := e.wait(false, false, DefaultShortTurn, 0); w != 700*ms {
		t.Errorf("200 and 400 ms pauses: wait %v, want 700 ms", w)
	}
	e.reset()
	e.hint = HintDigits
	if w, want := e.wait(false, false, DefaultShortTurn, 0), DefaultEndpointBase+DefaultEndpointDigits+DefaultEndpointLevel; w != want {
		t.Errorf("after reset: wait %v, want the whole hold %v", w, want)
	}
}

// The digit-turn rule: in a turn that read a digit in a lone run and then
// paused, a later lone "complete" reading (a digit the grammar heard as
// "hey there") holds like a digit; after a long run, or with the rule off,
// or in a new turn, or when no pause followed the digit reading (a partial
// read the onset of "stop" as "two"), it ends soon.
func TestEndpointDigitTurn(t *testing.T) {
	complete := DefaultEndpointBase - DefaultEndpointComplete + DefaultEndpointLevel
	for _, c := range []struct {
		name             string
		off              bool
		first            Hint
		pause, firstLone bool
		lone, want       bool
	}{
		{"lone digit then lone complete", false, HintMaybeDigits, true, true, true, true},
		{"lone digit then long complete", false, HintMaybeDigits, true, true, false, false},
		{"rule off", true, HintDigits, true, true, true, false},
		{"words then lone complete", false, HintMaybeWords, true, true, true, false},
		{"digit after a long run", false, HintDigits, true, false, true, false},
		{"digit read mid-word, no pause", false, HintDigits, false, true, true, false},
	} {
		e := endpointer{hint: c.first}
		e.opt, _ = EndpointOptions{NoDigitTurn: c.off, PaceSpread: -1}.withDefaults()
		e.wait(c.firstLone, c.firstLone, DefaultShortTurn, 0)
		if c.pause {
			e.notePause(300 * ms)
		}
		e.hint = HintComplete
		w := e.wait(false, c.lone, DefaultShortTurn, 0)
		if held := w > complete; held != c.want {
			t.Errorf("%s: wait %v, held %v, want held %v", c.name, w, held, c.want)
		}
	}
	e := endpointer{hint: HintDigits}
	e.opt, _ = EndpointOptions{DigitTurnUnpaused: true}.withDefaults()
	e.wait(true, true, DefaultShortTurn, 0)
	e.hint = HintComplete
	if w := e.wait(false, true, DefaultShortTurn, 0); w == complete {
		t.Errorf("DigitTurnUnpaused, no pause after the digit: wait %v, want the hold", w)
	}
	e = endpointer{hint: HintMaybeDigits}
	e.opt, _ = EndpointOptions{}.withDefaults()
	e.wait(true, true, DefaultShortTurn, 0)
	e.notePause(300 * ms)
	e.reset()
	e.hint = HintComplete
	if w := e.wait(false, true, DefaultShortTurn, 0); w != complete {
		t.Errorf("a new turn: wait %v, want %v", w, complete)
	}
}

// A digit string whose second digit the grammar misreads as a complete
// word ("seven" as "hey there"): on media time, the 600 ms pause after it
// holds with the digit-turn rule and ends the turn without it.
func TestEndpointDigitTurnHoldsMisreadDigit(t *testing.T) {
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 400*ms, 3000) // 200–600 ms: "three", read as a digit
	pcm = speechAt(pcm, 600*ms, 0)
	pcm = speechAt(pcm, 400*ms, 3000) // 1200–1600 ms: "seven", read as "hey there"
	pcm = speechAt(pcm, 600*ms, 0)
	pcm = speechAt(pcm, 400*ms, 3000) // 2200–2600 ms: "four"
	pcm = speechAt(pcm, 2000*ms, 0)
	hints := map[time.Duration]Hint{620 * ms: HintMaybeDigits, 1620 * ms: HintComplete, 2620 * ms: HintMaybeDigits}
	for _, off := range []bool{false, true} {
		d, err := NewDetector(levelled{}, TurnOptions{Endpointing: &EndpointOptions{NoDigitTurn: off}})
		if err != nil {
			t.Fatal(err)
		}
		ends := endsWithHints(d, pcm, hints)
		if !off && (len(ends) != 1 || ends[0].At != 2600*ms) {
			t.Errorf("digit-turn rule: ends %+v, want one at 2.6 s", ends)
		}
		if off && (len(ends) == 0 || ends[0].At != 1600*ms) {
			t.Errorf("rule off: ends %+v, want the first at 1.6 s (the pause cut)", ends)
		}
	}
}

// A finished request whose word onsets the grammar's partials misread as
// digits while it was being said ("one", "one two" before "what time is
// it"): on media time it ends at the complete wait, not the digit hold,
// as there was no pause that stood on a digit reading.
func TestEndpointDigitReadMidWordDoesNotHold(t *testing.T) {
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 600*ms, 3000) // 200–800 ms: "what time is it", a lone run (under MaybeRun)
	pcm = speechAt(pcm, 2000*ms, 0)
	hints := map[time.Duration]Hint{300 * ms: HintMaybeDigits, 400 * ms: HintMaybeWords, 500 * ms: HintMaybeDigits,
		600 * ms: HintMaybeWords, 820 * ms: HintComplete}
	d, err := NewDetector(levelled{}, TurnOptions{Endpointing: &EndpointOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	ends := endsWithHints(d, pcm, hints)
	if len(ends) != 1 || ends[0].At != 800*ms {
		t.Fatalf("ends %+v, want one at 0.8 s", ends)
	}
	if w := ends[0].DecidedAt - ends[0].At; w >= DefaultMinSilence {
		t.Errorf("decided %v after the end, want sooner than fixed %v (no digit hold)", w, DefaultMinSilence)
	}
}

// A digit string whose later digits the detector hears as one long run (a
// short inner pause bridged) and the grammar as words ("what do"): on
// media time, the pause after that run is no longer than the one the
// speaker already made, so the pause hold keeps the turn open; without it
// the turn ends there at the no-word wait. The string's real end then
// comes 1.5 × the longest pause after its last digit.
func TestEndpointPauseHoldKeepsDigitString(t *testing.T) {
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 400*ms, 3000)  // 200–600 ms: "six"
	pcm = speechAt(pcm, 300*ms, 0)     // a 300 ms pause
	pcm = speechAt(pcm, 1000*ms, 3000) // 900–1900 ms: "one oh", heard as one run
	pcm = speechAt(pcm, 300*ms, 0)     // the same pause again
	pcm = speechAt(pcm, 900*ms, 3000)  // 2200–3100 ms: "eight nine", one run again
	pcm = speechAt(pcm, 2000*ms, 0)
	hints := map[time.Duration]Hint{620 * ms: HintMaybeWords, 1920 * ms: HintMaybeWords | HintWordy, 3120 * ms: HintMaybeWords | HintWordy}
	for _, off := range []bool{false, true} {
		opt := EndpointOptions{}
		if off {
			opt.PauseHold = -1
		}
		d, err := NewDetector(levelled{}, TurnOptions{Endpointing: &opt})
		if err != nil {
			t.Fatal(err)
		}
		ends := endsWithHints(d, pcm, hints)
		if off {
			if len(ends) == 0 || ends[0].At != 1900*ms {
				t.Errorf("pause hold off: ends %+v, want the first at 1.9 s (the second pause cut)", ends)
			}
			continue
		}
		if len(ends) != 1 || ends[0].At != 3100*ms {
			t.Fatalf("pause hold: ends %+v, want one at 3.1 s", ends)
		}
		if w, want := ends[0].DecidedAt-ends[0].At, time.Duration(DefaultPauseHold*float64(300*ms)); w < want || w > want+20*ms {
			t.Errorf("pause hold: decided %v after the last digit, want %v (%g × the 300 ms pause)", w, want, DefaultPauseHold)
		}
	}
}

// A finished request with an inner pause ("what's the … weather like
// today"): the pause
// hold does not apply to a complete partial, so it still ends before the
// fixed threshold would; an unfinished one waits out the pause hold.
func TestEndpointPauseHoldSparesCompleteRequest(t *testing.T) {
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 700*ms, 8000) // 200–900 ms: "what's the"
	pcm = speechAt(pcm, 400*ms, 0)    // a 400 ms pause
	pcm = speechAt(pcm, 500*ms, 8000) // 1300–1800 ms: "weather like today"
	pcm = speechAt(pcm, 200*ms, 800)  // the falling end
	pcm = speechAt(pcm, 1500*ms, 0)
	for _, c := range []struct {
		hint     Hint
		min, max time.Duration
	}{
		{ClassifyPartial("what's the weather like today"), DefaultEndpointFloor, DefaultMinSilence},
		{HintMaybeWords | HintWordy, time.Duration(DefaultPauseHold * float64(400*ms)), DefaultEndpointCeiling},
	} {
		ends := endsWithHints(newAdaptive(t), pcm, map[time.Duration]Hint{920 * ms: ClassifyPartial("what's the"), 2020 * ms: c.hint})
		if len(ends) != 1 || ends[0].At != 2000*ms {
			t.Fatalf("%v: ends %+v, want one at 2.0 s", c.hint, ends)
		}
		if w := ends[0].DecidedAt - ends[0].At; w < c.min || w >= c.max {
			t.Errorf("%v: decided %v after the end, want in [%v, %v)", c.hint, w, c.min, c.max)
		}
	}
}
