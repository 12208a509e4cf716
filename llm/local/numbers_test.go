package local

import (
	"strings"
	"testing"
)

func TestNumberWordsRoundTrip(t *testing.T) {
	for n := 0; n <= 100; n++ {
		w := numberWords(n)
		for _, form := range []string{w, strings.ReplaceAll(w, "-", " ")} {
			toks := normalize(form)
			v, used, words, ok := parseNumber(toks, 0)
			if !ok || int(v) != n || used != len(toks) || !words {
				t.Fatalf("%q: got %v (used %d of %d, ok %v)", form, v, used, len(toks), ok)
			}
		}
	}
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"a hundred", 100}, {"one hundred", 100}, {"one hundred and five", 105}, {"three hundred twelve", 312},
		{"seventy-seven", 77}, {"12", 12}, {"12.5", 12.5}, {"oh", 0}, {"forty", 40}, {"fourty two", 42},
	} {
		toks := normalize(tc.in)
		if v, used, _, ok := parseNumber(toks, 0); !ok || v != tc.want || used != len(toks) {
			t.Fatalf("%q: %v %d %v", tc.in, v, used, ok)
		}
	}
	for _, bad := range []string{"hundred", "the", "1e9", "inf", "nan", "0x1p3"} {
		if _, _, _, ok := parseNumber([]string{bad}, 0); ok {
			t.Fatalf("%q parsed as a number", bad)
		}
	}
}

func TestArithmeticProblems(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"twelve times seven", "Twelve times seven is 84."},
		{"a hundred divided by eight", "One hundred divided by eight is 12.5."},
		{"zero plus zero", "Zero plus zero is 0."},
		{"one hundred minus one hundred", "One hundred minus one hundred is 0."},
		{"ninety nine times ninety nine", "Ninety-nine times ninety-nine is 9801."},
		{"one divided by three", "One divided by three is about 0.33."},
		{"two over zero", "Two divided by zero is undefined: you can't divide by zero."},
		{"twelve times by seven", "Twelve times seven is 84."},
		{"8 take away 3", "8 minus 3 is 5."},
		{"12x7", "12 times 7 is 84."},
		{"12 × 7", "12 times 7 is 84."},
		{"2.5 times 4", "2.5 times 4 is 10."},
		{"what's the sum of two and two", "Two plus two is 4."},
	} {
		p, ok := parseArithmetic(normalize(tc.in))
		if !ok {
			t.Fatalf("%q: not parsed", tc.in)
		}
		if got := p.answer(); got != tc.want {
			t.Fatalf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, no := range []string{"what time is it", "tell me a story", "I have two cats", "to be or not to be", "for five minutes", "twelve"} {
		if p, ok := parseArithmetic(normalize(no)); ok {
			t.Fatalf("%q parsed as %+v", no, p)
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"What's the TIME?!":   "what is the time",
		"It’s seventy-seven.": "it is seventy seven",
		"12-7 = ?":            "12 minus 7",
		"3.5 + 2":             "3.5 plus 2",
		"Hello... is it me?":  "hello is it me",
		"  ":                  "",
		"what's today's date": "what is today date",
	} {
		if got := strings.Join(normalize(in), " "); got != want {
			t.Fatalf("%q: %q, want %q", in, got, want)
		}
	}
}

// FuzzReply: no input makes the skills brain panic or answer nothing.
func FuzzReply(f *testing.F) {
	for _, s := range []string{"what is twelve times seven", "12/0", "a hundred and", "what did i say", "-", "9999999999999999999 times 9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, reply := ask(t, s)
		if strings.TrimSpace(reply) == "" {
			t.Fatalf("%q: empty reply", s)
		}
	})
}
