package sphinx

import "strings"

// Spoken numbers zero to one hundred, as the grammar and the eval spell them.
var (
	onesWords  = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	teensWords = []string{"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tensWords  = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
)

// NumberWords spells n (0..100) the way the grammar expects it,
// e.g. 77 → "seventy seven". It returns "" outside 0..100.
func NumberWords(n int) string {
	switch {
	case n < 0 || n > 100:
		return ""
	case n == 100:
		return "one hundred"
	case n < 10:
		return onesWords[n]
	case n < 20:
		return teensWords[n-10]
	case n%10 == 0:
		return tensWords[n/10]
	default:
		return tensWords[n/10] + " " + onesWords[n%10]
	}
}

// SkillsGrammar returns the JSGF grammar of the requests the offline brain
// (llm/local) understands: greetings, time, date, arithmetic on spoken
// numbers 0..100, memory, stories, help, camera and the short words the
// dialogue engine listens for while it speaks (stop, wait, backchannels)
// and the answers to a tool confirmation (yes, no),
// and runs of digits, or one digit alone (see DigitString).
func SkillsGrammar() string {
	var b strings.Builder
	b.WriteString("#JSGF V1.0;\ngrammar skills;\n")
	b.WriteString("public <utt> = <greeting> | <time> | <date> | <arith> | <memory> | <story> | <help> | <camera> | <short> | <digits>;\n")
	b.WriteString("<greeting> = hello [there] | hi [there] | hey there | good (morning | afternoon | evening);\n")
	b.WriteString("<time> = what time is it [now] | (what is | what's) the time [now];\n")
	b.WriteString("<date> = (what is | what's) [the] date [today] | what day is it [today] | (what is | what's) today's date;\n")
	b.WriteString("<arith> = (what is | what's | how much is) <num> <op> <num>;\n")
	b.WriteString("<op> = plus | minus | times | multiplied by | divided by;\n")
	b.WriteString("<num> = " + strings.Join(onesWords, " | ") + " | " + strings.Join(teensWords, " | ") +
		" | <tens> [<digit>] | [one | a] hundred;\n")
	b.WriteString("<digit> = " + strings.Join(onesWords[1:], " | ") + ";\n")
	b.WriteString("<tens> = " + strings.Join(tensWords[2:], " | ") + ";\n")
	b.WriteString("<memory> = what did i [just] say [before] | what was i saying;\n")
	b.WriteString("<story> = tell me a [long | short] story;\n")
	b.WriteString("<help> = help [me] | what can you do;\n")
	b.WriteString("<camera> = what do you see | what can you see | look at this;\n")
	// A run of three or more digits (a phone number, a code) is its own
	// phrase, not forced into a sum; so is one digit alone, else it is
	// forced into a short phrase. Not a lone "oh" (it takes "no"), not two
	// digits (they take "stop"), not "<d>+" (JSGF joins it to phrases).
	b.WriteString("<digits> = <d1> | <d> <d> <d>+;\n<d> = oh | <d1>;\n<d1> = " + strings.Join(onesWords, " | ") + ";\n")
	b.WriteString("<short> = stop | wait | yes [please] | no [thanks] | nope | yeah | okay | right | uh huh | mm hmm | hmm;\n")
	return b.String()
}

// digitValue maps a spoken digit to its numeral.
var digitValue = map[string]byte{"oh": '0', "zero": '0', "one": '1', "two": '2', "three": '3',
	"four": '4', "five": '5', "six": '6', "seven": '7', "eight": '8', "nine": '9'}

// DigitString writes a result made only of spoken digits as numerals
// ("three seven one nine" → "3719"); other results come back unchanged.
func DigitString(words []string) (string, bool) {
	if len(words) == 0 {
		return "", false
	}
	b := make([]byte, len(words))
	for i, w := range words {
		d, ok := digitValue[w]
		if !ok {
			return "", false
		}
		b[i] = d
	}
	return string(b), true
}
