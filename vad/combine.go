package vad

import "strings"

// CombinePartials reads the hint from both live partials of one utterance:
// grammar, the skills-grammar pass (right on requests and digit strings,
// but it forces any other speech into a digit string, a phrase prefix or a
// greeting), and lm, the general-LM pass (right on open sentences, but it
// hears 8 kHz digits as "or you are a", "the"). Call it when either
// partial changes, not per frame. Rules chosen on the turn eval's tuning
// split (BENCHMARKS.md):
//
//   - a complete skill request (grammar) ends sooner, a sum too ("what is
//     nine minus four": an operator, then a number);
//   - a grammar digit string that the LM partial reads as digits too holds
//     the turn, however long the run before the pause;
//   - an uncorroborated grammar digit string holds it only after a run
//     under MaybeRun (a digit said alone: HintMaybeDigits), any other
//     grammar words only after a run under ShortRun (HintMaybeWords);
//     after a long run they are taken for forced open speech, and the
//     turn ends at the no-word wait;
//   - without grammar words the LM partial's last word decides, except
//     that it never ends the turn sooner (its "complete" is no cue).
//
// Unless complete, the hint carries HintWordy when either partial has
// three words or more. It allocates nothing for ASCII text.
func CombinePartials(grammar, lm string) Hint {
	h := combine(grammar, lm)
	if h != HintComplete && max(words(grammar), words(lm)) >= 3 {
		h |= HintWordy
	}
	return h
}

// words counts the words of text, up to 3.
func words(text string) int {
	n := 0
	for n < 3 {
		text = strings.TrimRight(text, " \t\n")
		if text == "" {
			break
		}
		text = text[:len(text)-len(lastWord(text))]
		n++
	}
	return n
}

func combine(grammar, lm string) Hint {
	g := classify(grammar)
	if g == HintComplete || isSum(grammar) {
		return HintComplete
	}
	l := classify(lm)
	if strings.TrimSpace(grammar) != "" {
		switch {
		case g != HintDigits:
			return HintMaybeWords
		case l == HintDigits || numberLike(lm):
			return HintDigits
		}
		return HintMaybeDigits
	}
	if l == HintComplete {
		return HintNone
	}
	return l
}

// isSum reports whether text ends in a number after an arithmetic
// operator: the grammar's sum request is then complete.
func isSum(text string) bool {
	text = strings.TrimRight(text, " \t\n")
	last := lastWord(text)
	if !numberWord(last) {
		return false
	}
	for text = text[:len(text)-len(last)]; ; {
		text = strings.TrimRight(text, " \t\n")
		if text == "" {
			return false
		}
		w := lastWord(text)
		text = text[:len(text)-len(w)]
		switch strings.ToLower(w) {
		case "plus", "minus", "times":
			return true
		case "by":
			return strings.HasSuffix(strings.TrimRight(text, " \t\n"), "divided")
		}
		if !numberWord(w) && w != "and" && w != "a" {
			return false
		}
	}
}

func numberWord(w string) bool {
	switch strings.ToLower(w) {
	case "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
		"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand":
		return true
	}
	return classify(w) == HintDigits
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
