package sphinx

import (
	"testing"

	"github.com/duplex-ai/duplex/internal/testtier"
	"github.com/duplex-ai/duplex/stt"
)

func TestDigitsTooFast(t *testing.T) {
	cases := []struct {
		words []string
		span  int
		want  bool
	}{
		{[]string{"two", "two", "oh"}, 42, true},       // en-us+m3 "hello"
		{[]string{"three", "seven", "one"}, 86, false}, // said as digits
		{[]string{"hello"}, 10, false},                 // not digits
		{nil, 0, false},
	}
	for _, c := range cases {
		if got := digitsTooFast(c.words, c.span); got != c.want {
			t.Errorf("digitsTooFast(%v, %d) = %v, want %v", c.words, c.span, got, c.want)
		}
	}
	if g := noDigitsGrammar(SkillsGrammar()); g == "" || g == SkillsGrammar() {
		t.Fatal("the skills grammar has no <digits> alternative to drop")
	}
	if noDigitsGrammar("#JSGF V1.0;\ngrammar g;\npublic <a> = yes | no;\n") != "" {
		t.Error("a grammar without digit runs gave a no-digits variant")
	}
}

// A one-word request the grammar hears as three quick digits (the
// calibration voice en-us+m3: "hello" → "two two oh") is decoded again
// without the digit runs; a digit string said as one still reads as digits.
func TestShortPhraseNotDigits(t *testing.T) {
	testtier.Slow(t, "pocketsphinx decodes")
	requireTools(t, true)
	e := newTestEngine(t, Options{PoolSize: 1})
	for _, c := range []struct{ voice, text, want string }{
		{"en-us+m3", "hello", "hello"},
		{"en-us", "three seven one", "371"},
	} {
		s, err := e.NewStream(t.Context(), stt.StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		writeAll(t, s, speak(t, c.voice, c.text))
		r, err := s.Finish(t.Context())
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if r.Text != c.want || r.NotUnderstood {
			t.Errorf("%s %q → %q (not understood %v), want %q", c.voice, c.text, r.Text, r.NotUnderstood, c.want)
		}
	}
}
