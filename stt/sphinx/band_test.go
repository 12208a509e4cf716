package sphinx

import (
	"strings"
	"sync"
	"testing"

	"github.com/duplex-ai/duplex/stt"
)

func TestShortPhrase(t *testing.T) {
	for _, c := range []struct {
		words string
		span  int
		want  bool
	}{
		{"hello", 40, true},
		{"uh huh", 60, true},
		{"hello", shortPhraseFrames, false}, // a second or more
		{"four", 30, false},                 // a lone digit is a digit string
		{"what time is it", 80, false},      // more than two words
		{"", 0, false},
	} {
		if got := shortPhrase(strings.Fields(c.words), c.span); got != c.want {
			t.Errorf("shortPhrase(%q, %d) = %v, want %v", c.words, c.span, got, c.want)
		}
	}
}

// The refilled pass confirms a phrase when it accepts one of the same kind.
func TestBandAgrees(t *testing.T) {
	for _, c := range []struct {
		words, refill string
		accepted      bool
		want          bool
	}{
		{"yeah", "yes", true, true},
		{"no", "nope", true, true},
		{"hello", "hello there", true, true},
		{"hello", "hello", false, false},     // the check rejected it there
		{"hello", "oh oh oh", true, false},   // FSDD "four" (calibration)
		{"uh huh", "oh two oh", true, false}, // digits
		{"hello", "no", true, false},         // another kind
		{"hello", "what time is it", true, false},
	} {
		if got := bandAgrees(strings.Fields(c.words), strings.Fields(c.refill), c.accepted); got != c.want {
			t.Errorf("bandAgrees(%q, %q, %v) = %v, want %v", c.words, c.refill, c.accepted, got, c.want)
		}
	}
}

// With BandDigits a phrase other than digits falls when the refilled
// pass accepts digits (FSDD george's "four three four", heard as "what do
// you see" on the call's mean in cmd/bench's call, refilled "four eight
// four"), and those digits go to the digit pass; any other refilled
// result leaves it standing.
func TestBandVerdict(t *testing.T) {
	for _, c := range []struct {
		short, other  bool
		words, refill string
		accepted      bool
		stands        bool
		digits        string
	}{
		{false, true, "what do you see", "four eight four", true, false, "four eight four"},
		{false, true, "what is eight plus eight", "oh one eight one eight two oh", true, false, "oh one eight one eight two oh"},
		{false, true, "what do you see", "four eight four", false, true, ""}, // the check rejected the digits
		{false, true, "what time is it", "what time is it", true, true, ""},
		{false, true, "what time is it", "what is the time", true, true, ""},
		{false, false, "what do you see", "four eight four", true, true, ""}, // BandDigits off
		{true, true, "hello", "oh oh oh", true, false, "oh oh oh"},
		{true, false, "hello", "oh oh oh", true, false, ""}, // BandCheck alone: falls, no digit pass
		{true, true, "yeah", "yes", true, true, ""},
	} {
		stands, digits := bandVerdict(c.short, c.other, strings.Fields(c.words), strings.Fields(c.refill), c.accepted)
		if stands != c.stands || strings.Join(digits, " ") != c.digits {
			t.Errorf("bandVerdict(%v, %v, %q, %q, %v) = %v, %q; want %v, %q", c.short, c.other, c.words, c.refill, c.accepted,
				stands, digits, c.stands, c.digits)
		}
	}
}

// Short requests over a phone line are still understood, after the band
// check ran on them; on 16 kHz audio it does not run.
func TestBandCheckTelephone(t *testing.T) {
	requireTools(t, true)
	e := newTestEngine(t, Options{PoolSize: 1, BandCheck: true})
	for _, c := range []struct {
		text  string
		phone bool
	}{{"hi", true}, {"wait", true}, {"yeah", true}, {"wait", false}} {
		pcm := speak(t, "en-us", c.text)
		if c.phone {
			pcm = telephone(t, pcm)
		}
		st, err := e.NewStream(t.Context(), stt.StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var checks []string
		st.(*stream).trace = func(ev string) {
			if strings.HasPrefix(ev, "band check") {
				mu.Lock()
				checks = append(checks, ev)
				mu.Unlock()
			}
		}
		writeAll(t, st, pcm)
		r, err := st.Finish(t.Context())
		_ = st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if r.NotUnderstood || phraseKind(strings.Fields(r.Text)) != phraseKind([]string{c.text}) {
			t.Errorf("%q (8 kHz %v) → %q understood %v, checks %q", c.text, c.phone, r.Text, !r.NotUnderstood, checks)
		}
		if ran := len(checks) > 0; ran != c.phone {
			t.Errorf("%q (8 kHz %v): band check ran %v (%q)", c.text, c.phone, ran, checks)
		}
	}
}
