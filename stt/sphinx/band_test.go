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
