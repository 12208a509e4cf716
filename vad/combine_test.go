package vad

import (
	"testing"
	"time"
)

func TestCombinePartials(t *testing.T) {
	for _, c := range []struct {
		grammar, lm string
		want        Hint
	}{
		{"", "", HintNone},
		{"what time is it", "what time is it", HintComplete},
		{"what time is it", "what time is", HintComplete}, // a complete skill request stands
		{"three seven", "", HintMaybeDigits},              // the LM pass has not started: hold after a short run only
		{"three seven", "three seven", HintDigits},
		{"three seven", "or you are three", HintDigits}, // the LM's last word is a digit
		{"three seven", "to for", HintDigits},           // number-like: what the LM hears for digits
		{"five nine one", "he was not an ill disposed young man", HintMaybeDigits},
		{"five nine one", "it was raining and", HintMaybeDigits},
		{"five nine one", "it is done", HintMaybeDigits},
		{"tell me a", "", HintMaybeWords},
		{"tell me a", "tell me a story", HintMaybeWords},
		{"hey", "there it", HintMaybeWords},
		{"", "i want the", HintContinue},
		{"", "it is done", HintNone}, // the LM alone never ends a turn sooner
		{"", "three seven", HintDigits},
		{"what is twelve times seven", "what is twelve times seven", HintComplete}, // a sum is a complete request
		{"what is one hundred divided by five", "", HintComplete},
		{"what is seventy seven plus fifteen", "", HintComplete},
		// A greeting is a complete request, even though the grammar hears
		// some lone digits in noise as one: a greeting must not wait.
		{"hey there", "", HintComplete},
		{"hi there", "nine", HintComplete},
		{"hello", "", HintMaybeWords},
		{"what is nine minus", "", HintMaybeWords},
		{"stand by one", "stand by one", HintDigits},
	} {
		if got := CombinePartials(c.grammar, c.lm).Class(); got != c.want {
			t.Errorf("CombinePartials(%q, %q) = %v, want %v", c.grammar, c.lm, got, c.want)
		}
	}
	// HintWordy: either partial has three words or more, not complete.
	for _, c := range []struct {
		grammar, lm string
		want        bool
	}{
		{"", "", false},
		{"good", "go forward", false},
		{"tell me a short", "to", true},
		{"two", "go forward and the", true},
		{"what time is it", "", false}, // complete
	} {
		if got := CombinePartials(c.grammar, c.lm)&HintWordy != 0; got != c.want {
			t.Errorf("CombinePartials(%q, %q) wordy %v, want %v", c.grammar, c.lm, got, c.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		CombinePartials("three seven one", "or you are to for")
		CombinePartials("what is one hundred divided by five", "")
	}); n != 0 {
		t.Errorf("CombinePartials allocates %v times", n)
	}
}

// endsWith is hintedEnds with the hint from both partials.
func endsWith(t *testing.T, pcm []int16, hintAt time.Duration, grammar, lm string) []Event {
	t.Helper()
	return hintedEnds(t, pcm, hintAt, CombinePartials(grammar, lm))
}

// A digit string said in one breath, a 600 ms pause, then more digits:
// both partials read digits, so the pause does not end the turn though the
// run before it was long (the uncorroborated digit hold would not apply).
func TestEndpointBothDigitsHoldPause(t *testing.T) {
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 1200*ms, 3000) // "three seven one nine"
	pcm = speechAt(pcm, 600*ms, 0)
	pcm = speechAt(pcm, 800*ms, 3000) // "two four"
	pcm = speechAt(pcm, 2000*ms, 0)
	ends := endsWith(t, pcm, 1500*ms, "three seven one nine", "three seven one nine")
	if len(ends) != 1 || ends[0].At != 2800*ms {
		t.Fatalf("ends %+v, want one at 2.8 s", ends)
	}
	// The same audio with only the grammar reading digits (a sentence in
	// the LM partial) ends in the pause: the hint is what holds it.
	if ends := endsWith(t, pcm, 1500*ms, "three seven one nine", "the tree was in the garden"); len(ends) != 2 {
		t.Fatalf("grammar digits, LM sentence: ends %+v, want the pause to end a turn", ends)
	}
}

// A finished sentence that the grammar forces into a digit string, while
// the general-LM partial reads a sentence: it ends before the fixed
// threshold (the grammar's digit hold alone would wait 800 ms more).
func TestEndpointSentenceReadAsDigitsEndsEarly(t *testing.T) {
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 1800*ms, 8000)
	pcm = speechAt(pcm, 200*ms, 800) // the falling end of "…young man"
	pcm = speechAt(pcm, 2000*ms, 0)
	ends := endsWith(t, pcm, 2200*ms, "five nine one eight", "he was not an ill disposed young man")
	if len(ends) != 1 || ends[0].At != 2200*ms {
		t.Fatalf("ends %+v, want one at 2.2 s", ends)
	}
	if got := ends[0].DecidedAt - ends[0].At; got >= DefaultMinSilence {
		t.Fatalf("decided %v after the end, want before the fixed %v", got, DefaultMinSilence)
	}
	// The grammar's partial alone holds it for the digits.
	d := newAdaptive(t)
	d.SetHint(ClassifyPartial("five nine one eight"))
	for _, e := range run(t, d, pcm, 0) {
		if e.Type == SpeechEnded && e.DecidedAt-e.At < DefaultMinSilence {
			t.Fatalf("grammar alone: decided %v after the end, want the digit hold", e.DecidedAt-e.At)
		}
	}
}

// A finished skill request (the grammar's partial complete) ends before
// the fixed threshold, whatever the general-LM partial made of it.
func TestEndpointSkillRequestEndsEarly(t *testing.T) {
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 900*ms, 8000)
	pcm = speechAt(pcm, 200*ms, 8000) // level to the end: no falling contour to help
	pcm = speechAt(pcm, 2000*ms, 0)
	for _, lm := range []string{"", "what time is", "what"} {
		ends := endsWith(t, pcm, 1300*ms, "what time is it", lm)
		if len(ends) != 1 || ends[0].At != 1300*ms {
			t.Fatalf("LM %q: ends %+v, want one at 1.3 s", lm, ends)
		}
		if got := ends[0].DecidedAt - ends[0].At; got >= DefaultMinSilence {
			t.Fatalf("LM %q: decided %v after the end, want before the fixed %v", lm, got, DefaultMinSilence)
		}
	}
}

// A lone "yes" (the grammar hears "yeah") and a sum ending in a number,
// both said in one short run, end before the fixed threshold; the sum's
// partial before its last number ("what is nine minus") holds it.
func TestEndpointShortRequestEndsEarly(t *testing.T) {
	var pcm []int16
	pcm = speechAt(pcm, 200*ms, 0)
	pcm = speechAt(pcm, 400*ms, 8000) // under ShortRun: a word said alone
	pcm = speechAt(pcm, 2000*ms, 0)
	for _, g := range []string{"yeah", "what is nine minus four"} {
		ends := endsWith(t, pcm, 600*ms, g, "")
		if len(ends) != 1 || ends[0].At != 600*ms {
			t.Fatalf("%q: ends %+v, want one at 0.6 s", g, ends)
		}
		if got := ends[0].DecidedAt - ends[0].At; got >= DefaultMinSilence {
			t.Fatalf("%q: decided %v after the end, want before the fixed %v", g, got, DefaultMinSilence)
		}
	}
	ends := endsWith(t, pcm, 600*ms, "what is nine minus", "")
	if len(ends) != 1 || ends[0].DecidedAt-ends[0].At < DefaultEndpointDigits {
		t.Fatalf("\"what is nine minus\": ends %+v, want the hold of a digit said alone", ends)
	}
}

// A digit said slowly (a 700 ms "zero", longer than ShortRun) that only the
// grammar reads as a digit still holds a 600 ms pause (MaybeRun); with
// MaybeRun at ShortRun the pause ends the turn, as it does after a 900 ms
// run (past MaybeRun: forced open speech) or grammar words that are not a
// digit.
func TestEndpointSlowLoneDigitHolds(t *testing.T) {
	digit := func(run time.Duration) []int16 {
		var pcm []int16
		pcm = speechAt(pcm, 200*ms, 0)
		pcm = speechAt(pcm, run, 3000)
		pcm = speechAt(pcm, 600*ms, 0)
		pcm = speechAt(pcm, 400*ms, 3000)
		return speechAt(pcm, 2000*ms, 0)
	}
	ends := func(opt EndpointOptions, pcm []int16, hintAt time.Duration, grammar ...string) int {
		g := "zero"
		if len(grammar) > 0 {
			g = grammar[0]
		}
		d, err := NewDetector(levelled{}, TurnOptions{Endpointing: &opt})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i := 0; i+320 <= len(pcm); i += 320 {
			at := time.Duration(i) * time.Second / fs
			if at == hintAt {
				d.SetHint(CombinePartials(g, ""))
			}
			n += countEnds(d.Push(pcm[i:i+320], at))
		}
		return n
	}
	if n := ends(EndpointOptions{}, digit(700*ms), 900*ms); n != 1 {
		t.Errorf("700 ms digit, defaults: %d ends, want 1 (the pause held)", n)
	}
	if n := ends(EndpointOptions{MaybeRun: -1}, digit(700*ms), 900*ms); n != 2 {
		t.Errorf("700 ms digit, MaybeRun at ShortRun: %d ends, want 2", n)
	}
	if n := ends(EndpointOptions{}, digit(900*ms), 1100*ms); n != 2 {
		t.Errorf("900 ms run: %d ends, want 2 (no hold after a long run)", n)
	}
	// Other grammar words (a phrase prefix, a lone digit read as "how")
	// hold only after ShortRun; with WordsMaybeRun after MaybeRun too.
	if n := ends(EndpointOptions{}, digit(700*ms), 900*ms, "how"); n != 2 {
		t.Errorf("700 ms run read as \"how\": %d ends, want 2", n)
	}
	if n := ends(EndpointOptions{WordsMaybeRun: true}, digit(700*ms), 900*ms, "how"); n != 1 {
		t.Errorf("700 ms run read as \"how\", WordsMaybeRun: %d ends, want 1 (the pause held)", n)
	}
	if n := ends(EndpointOptions{WordsMaybeRun: true}, digit(900*ms), 1100*ms, "how"); n != 2 {
		t.Errorf("900 ms run read as \"how\": %d ends, want 2 (no hold after a long run)", n)
	}
}
