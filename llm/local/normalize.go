package local

import (
	"regexp"
	"strings"
	"unicode"
)

var (
	// Arithmetic symbols between digits become words before punctuation
	// is stripped: "12-7", "12 x 7", "12*7", "12/7".
	reMinus = regexp.MustCompile(`(\d)\s*[-−–]\s*(\d)`)
	reTimes = regexp.MustCompile(`(\d)\s*[x×*]\s*(\d)`)
	reOver  = regexp.MustCompile(`(\d)\s*[/÷]\s*(\d)`)
	rePlus  = regexp.MustCompile(`\+`)
	// A decimal point between digits survives; other dots do not.
	reDecimal = regexp.MustCompile(`(\d)\.(\d)`)

	// contractions expand the forms recognizers and people produce, with
	// or without the apostrophe.
	contractions = map[string]string{
		"whats": "what is", "what's": "what is", "whatre": "what are",
		"hows": "how is", "how's": "how is", "wheres": "where is",
		"im": "i am", "i'm": "i am", "its": "it is", "it's": "it is",
		"thats": "that is", "that's": "that is", "dont": "do not", "don't": "do not",
		"cant": "can not", "can't": "can not", "cannot": "can not",
		"youre": "you are", "you're": "you are", "todays": "today", "today's": "today",
		"whatd": "what did", "what'd": "what did",
		"ok": "okay", "k": "okay", "kay": "okay", "alright": "all right",
		"colour": "color", "colours": "colors", "grey": "gray",
	}
)

// normalize lower-cases the utterance, spells arithmetic symbols as words,
// strips punctuation, expands contractions and splits into tokens.
func normalize(s string) []string {
	s = strings.ToLower(s)
	s = reMinus.ReplaceAllString(s, "$1 minus $2")
	s = reTimes.ReplaceAllString(s, "$1 times $2")
	s = reOver.ReplaceAllString(s, "$1 over $2")
	s = rePlus.ReplaceAllString(s, " plus ")
	s = reDecimal.ReplaceAllString(s, "$1\x00$2")
	s = strings.NewReplacer("’", "'", "‘", "'", "=", " ").Replace(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\x00':
			b.WriteByte('.')
		case r == '\'':
			// kept for contractions, dropped below
			b.WriteRune(r)
		case r == '-' || r == '_' || r == '/':
			b.WriteByte(' ')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	var toks []string
	for _, f := range strings.Fields(b.String()) {
		if x, ok := contractions[f]; ok {
			toks = append(toks, strings.Fields(x)...)
			continue
		}
		f = strings.ReplaceAll(f, "'", "")
		if x, ok := contractions[f]; ok {
			toks = append(toks, strings.Fields(x)...)
			continue
		}
		if f != "" {
			toks = append(toks, f)
		}
	}
	return toks
}

// words is a token set with phrase lookups.
type words struct {
	toks []string
	set  map[string]bool
	text string // tokens joined by single spaces, padded with spaces
}

func newWords(s string) words {
	toks := normalize(s)
	w := words{toks: toks, set: make(map[string]bool, len(toks)), text: " " + strings.Join(toks, " ") + " "}
	for _, t := range toks {
		w.set[t] = true
	}
	return w
}

// has reports whether any of the tokens occurs.
func (w words) has(toks ...string) bool {
	for _, t := range toks {
		if w.set[t] {
			return true
		}
	}
	return false
}

// phrase reports whether any of the phrases occurs as whole words.
func (w words) phrase(ps ...string) bool {
	for _, p := range ps {
		if strings.Contains(w.text, " "+p+" ") {
			return true
		}
	}
	return false
}

// only reports whether every token is in the allowed set (and there is at
// least one).
func (w words) only(allowed map[string]bool) bool {
	if len(w.toks) == 0 {
		return false
	}
	for _, t := range w.toks {
		if !allowed[t] {
			return false
		}
	}
	return true
}

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}
