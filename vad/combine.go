package vad

import "strings"

// CombinePartials reads the hint from both live partials of one utterance:
// grammar, the skills-grammar pass (right on requests and digit strings,
// but it forces open speech into a digit string or a phrase prefix), and
// lm, the general-LM pass (right on open sentences, but it mishears
// digits). Call it when either partial changes, not per frame.
//
//   - a complete skill request (grammar) ends sooner;
//   - a grammar digit string holds when the LM partial is empty or reads
//     number-like too; a sentence in the LM partial decides by its last
//     word; else the digit hold applies only after a short run;
//   - a grammar phrase prefix ("tell me a") or no cue: the LM partial's
//     last word decides; an empty LM partial keeps the grammar's hint.
//
// It allocates nothing for ASCII text.
func CombinePartials(grammar, lm string) Hint {
	g := ClassifyPartial(grammar)
	if strings.TrimSpace(lm) == "" {
		if g == HintDigits {
			return HintMaybeDigits
		}
		return g
	}
	l := ClassifyPartial(lm)
	switch g {
	case HintComplete:
		return HintComplete
	case HintDigits:
		switch {
		case l == HintDigits || numberLike(lm):
			return HintDigits
		case l != HintNone:
			return l
		}
		return HintMaybeDigits
	}
	return l
}

// numberLike reports whether most of the last four words of text are
// digit words or what a general LM hears for them ("to", "for", "won").
func numberLike(text string) bool {
	n, num := 0, 0
	for n < 4 {
		text = strings.TrimRight(text, " \t\n")
		if text == "" {
			break
		}
		w := lastWord(text)
		text = text[:len(text)-len(w)]
		n++
		if digitLike(w) {
			num++
		}
	}
	return n > 0 && 2*num > n
}

func digitLike(w string) bool {
	switch strings.ToLower(w) {
	case "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "double",
		"to", "too", "for", "won", "ate", "tree", "free", "fine", "sex", "nein", "know", "no":
		return true
	}
	return w != "" && w[0] >= '0' && w[0] <= '9'
}
