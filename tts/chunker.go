package tts

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ChunkerOptions configures a Chunker. Zero values take the defaults.
//
// Lengths are measured in width units: one per rune, two for a wide (CJK,
// Hangul, Kana, full-width) rune, so a Chinese sentence and an English one of
// similar duration have similar lengths. Whitespace does not count.
type ChunkerOptions struct {
	// MinChars is the shortest piece the chunker returns before the end of
	// the reply; a shorter sentence is merged with the next one. Default 20.
	MinChars int
	// FirstMaxChars: while no piece has been returned yet, a sentence longer
	// than this is cut at its first comma (",", "，", "、") that leaves at
	// least MinChars, so the first audio starts after the first phrase.
	// Default 40; negative disables the early cut.
	FirstMaxChars int
	// FirstMinChars, when positive and below MinChars, lets the first piece
	// end at a sentence end once it is that long ("It is ten past four."
	// goes to the synthesizer before "Anything else?" has arrived), so a
	// server's first-audio delay starts sooner. Zero keeps MinChars.
	FirstMinChars int
	// FirstWords, when positive, lets the first piece of a reply end after
	// that many whole words (a word is whole once whitespace follows it:
	// never inside a word) when no sentence end has come by then, so a
	// whole-input TTS server starts on the first words. It costs prosody:
	// each piece is its own utterance with a final fall. Zero keeps
	// sentences, as Pipecat and LiveKit do for request-per-piece TTS.
	FirstWords int
	// MaxChars bounds a piece that has no sentence end at all (a run-on
	// text or a long list without punctuation): it is cut at its last space,
	// or anywhere for text without spaces. Default 300.
	MaxChars int
}

const (
	defaultMinChars      = 20
	defaultFirstMaxChars = 40
	defaultMaxChars      = 300
)

// Chunker cuts a streamed reply into speakable pieces: whole sentences (cut
// at . ? ! ; 。 ！ ？ ； and newlines), at least MinChars long, with the first
// piece cut early at a comma when its sentence is long. A '.' inside a number
// ("3.5"), after a common abbreviation ("e.g.", "Mr.") or after a list number
// at the start of a line ("1. ") does not end a sentence; an ASCII
// terminator ends one only when followed by whitespace.
//
// A Chunker is not safe for concurrent use; use one per reply (or call Flush
// between replies, which resets it).
type Chunker struct {
	opt     ChunkerOptions
	buf     string // text pushed but not yet returned
	emitted bool   // a piece of this reply has been returned
}

// NewChunker returns a Chunker with opt's zero fields set to the defaults.
func NewChunker(opt ChunkerOptions) *Chunker {
	if opt.MinChars <= 0 {
		opt.MinChars = defaultMinChars
	}
	if opt.FirstMaxChars == 0 {
		opt.FirstMaxChars = defaultFirstMaxChars
	}
	if opt.MaxChars <= 0 {
		opt.MaxChars = defaultMaxChars
	}
	if opt.MaxChars < opt.MinChars {
		opt.MaxChars = opt.MinChars
	}
	return &Chunker{opt: opt}
}

// Push adds the next delta of the reply and returns the pieces it completed
// (possibly none). Pieces are trimmed and never empty.
func (c *Chunker) Push(delta string) []string {
	c.buf += delta
	var out []string
	for {
		cut := c.nextCut()
		if cut <= 0 {
			break
		}
		out = c.emit(out, c.buf[:cut])
		c.buf = c.buf[cut:]
	}
	if out == nil && strings.TrimSpace(c.buf) == "" {
		c.buf = "" // drop pure whitespace so it does not pile up
	}
	return out
}

// Flush returns what is left at the end of the reply, whatever its length,
// and resets the Chunker for the next reply.
func (c *Chunker) Flush() []string {
	out := c.Push("")
	out = c.emit(out, c.buf)
	c.buf = ""
	c.emitted = false
	return out
}

func (c *Chunker) emit(out []string, s string) []string {
	if p := strings.TrimSpace(s); p != "" {
		c.emitted = true
		out = append(out, p)
	}
	return out
}

// nextCut returns the byte offset in c.buf at which the next piece ends, or
// 0 when no piece is complete yet.
func (c *Chunker) nextCut() int {
	buf := c.buf
	lead := len(buf) - len(strings.TrimLeftFunc(buf, unicode.IsSpace))
	firstRule := !c.emitted && c.opt.FirstMaxChars > 0
	minChars := c.opt.MinChars
	if !c.emitted && c.opt.FirstMinChars > 0 && c.opt.FirstMinChars < minChars {
		minChars = c.opt.FirstMinChars
	}
	width := 0    // width of buf[lead:i]
	comma := 0    // first comma cut leaving at least MinChars (first piece only)
	sentence := 0 // first sentence cut leaving at least MinChars
	sentenceWidth := 0
	wordRule := !c.emitted && c.opt.FirstWords > 0
	words, wordCut := 0, 0        // whole words so far; the cut after FirstWords of them
	inWord, ended := false, false // ended: a sentence end (of any width) was seen

scan:
	for i := lead; i < len(buf); {
		r, size := utf8.DecodeRuneInString(buf[i:])
		next := i + size
		width += runeWidth(r)
		if wordRule {
			switch space := unicode.IsSpace(r); {
			case space && inWord:
				inWord = false
				if words++; words == c.opt.FirstWords {
					wordCut = i
				}
			case !space:
				inWord = true
			}
		}
		cut := 0
		switch {
		case r == '\n':
			cut, ended = next, true
		case isASCIITerminator(r):
			run := skipRun(buf, next, isASCIITerminator)
			j := skipRun(buf, run, isCloser)
			if j == len(buf) {
				break scan // wait for what follows
			}
			nr, _ := utf8.DecodeRuneInString(buf[j:])
			singleDot := r == '.' && run == next
			if unicode.IsSpace(nr) && (!singleDot || endsSentenceAt(buf, i)) {
				cut, ended = j, true
			}
			width += widthOf(buf[next:j])
			next = j
		case isCJKTerminator(r):
			j := skipRun(buf, next, isCJKTerminator)
			j = skipRun(buf, j, isCloser)
			if j == len(buf) {
				break scan // a closing quote may follow
			}
			width += widthOf(buf[next:j])
			next = j
			cut, ended = j, true
		case firstRule && comma == 0 && (r == '，' || r == '、'):
			if width >= c.opt.MinChars {
				comma = next
			}
		case firstRule && comma == 0 && r == ',':
			if next < len(buf) {
				if nr, _ := utf8.DecodeRuneInString(buf[next:]); unicode.IsSpace(nr) && width >= c.opt.MinChars {
					comma = next
				}
			}
		}
		if cut > 0 && width >= minChars {
			sentence, sentenceWidth = cut, width
			break
		}
		i = next
		if width > c.opt.MaxChars {
			break
		}
	}

	if sentence == 0 && wordCut > 0 && !ended {
		return wordCut // the first sentence's end is not here yet
	}
	if firstRule && comma > 0 {
		if sentence > 0 && sentenceWidth > c.opt.FirstMaxChars {
			return comma
		}
		if sentence == 0 && width > c.opt.FirstMaxChars {
			return comma
		}
	}
	if sentence > 0 {
		return sentence
	}
	if width > c.opt.MaxChars {
		return c.hardCut(buf, lead)
	}
	return 0
}

// hardCut cuts a piece with no sentence end: at the last space within
// MaxChars that leaves at least MinChars, else at MaxChars exactly.
func (c *Chunker) hardCut(buf string, lead int) int {
	width, lastSpace, at := 0, 0, 0
	for i, r := range buf[lead:] {
		i += lead
		if width >= c.opt.MaxChars {
			at = i
			break
		}
		if unicode.IsSpace(r) && width >= c.opt.MinChars {
			lastSpace = i
		}
		width += runeWidth(r)
	}
	if lastSpace > 0 {
		return lastSpace
	}
	// Never cut inside the last few bytes: they may be the start of a rune
	// whose remaining bytes arrive with the next delta.
	if at == 0 || at > len(buf)-utf8.UTFMax {
		return 0
	}
	return at
}

// abbreviations that end with '.' but rarely end a sentence (lower case,
// without the final dot).
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true,
	"sr": true, "jr": true, "st": true, "vs": true, "cf": true,
	"approx": true, "fig": true, "e.g": true, "i.e": true,
}

// endsSentenceAt reports whether the single '.' at buf[i] (followed by
// whitespace) ends a sentence, looking at the word before it.
func endsSentenceAt(buf string, i int) bool {
	start := strings.LastIndexFunc(buf[:i], func(r rune) bool {
		return unicode.IsSpace(r) || isOpener(r)
	})
	word := buf[start+1 : i]
	if start >= 0 {
		_, size := utf8.DecodeRuneInString(buf[start:])
		word = buf[start+size : i]
	}
	if word == "" {
		return true
	}
	lw := strings.ToLower(word)
	if abbreviations[lw] {
		return false
	}
	// An initial ("J. Smith") or a dotted abbreviation ("U.S.", "e.g.").
	if n := utf8.RuneCountInString(word); n == 1 && unicode.IsUpper([]rune(word)[0]) {
		return false
	}
	if strings.Contains(word, ".") && len(word) <= 6 {
		return false
	}
	// A list number at the start of a line: "1. ", "12. ".
	if len(word) <= 3 && strings.Trim(word, "0123456789") == "" {
		before := strings.TrimRight(buf[:start+1], " \t")
		if before == "" || strings.HasSuffix(before, "\n") {
			return false
		}
	}
	return true
}

func skipRun(s string, i int, in func(rune) bool) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !in(r) {
			break
		}
		i += size
	}
	return i
}

func isASCIITerminator(r rune) bool { return r == '.' || r == '?' || r == '!' || r == ';' }

func isCJKTerminator(r rune) bool { return r == '。' || r == '！' || r == '？' || r == '；' }

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '}', '”', '’', '»', '」', '』', '）', '】', '》':
		return true
	}
	return false
}

func isOpener(r rune) bool {
	switch r {
	case '"', '\'', '(', '[', '{', '“', '‘', '«', '「', '『', '（', '【', '《':
		return true
	}
	return false
}

func widthOf(s string) int {
	w := 0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w
}

// runeWidth is 2 for wide East Asian runes, 0 for whitespace, 1 otherwise.
func runeWidth(r rune) int {
	switch {
	case unicode.IsSpace(r):
		return 0
	case r >= 0x1100 && (r <= 0x115f || // Hangul Jamo
		(r >= 0x2e80 && r <= 0xa4cf) || // CJK radicals .. Yi
		(r >= 0xac00 && r <= 0xd7a3) || // Hangul syllables
		(r >= 0xf900 && r <= 0xfaff) || // CJK compatibility ideographs
		(r >= 0xfe30 && r <= 0xfe4f) || // CJK compatibility forms
		(r >= 0xff00 && r <= 0xff60) || // full-width forms
		(r >= 0xffe0 && r <= 0xffe6) ||
		(r >= 0x20000 && r <= 0x3fffd)):
		return 2
	}
	return 1
}
