package local

import (
	"math"
	"strconv"
	"strings"
)

var (
	unitWords = map[string]int{
		"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
		"seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
		"thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
		"seventeen": 17, "eighteen": 18, "nineteen": 19,
		"oh": 0, "nought": 0, "naught": 0,
	}
	tensWords = map[string]int{
		"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
		"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
	}
	// homophones are recognizer slips for small numbers. They count as
	// numbers only right next to an arithmetic operator ("two plus to").
	homophones = map[string]int{"to": 2, "too": 2, "for": 4, "fore": 4, "won": 1, "ate": 8, "tree": 3, "sex": 6, "tin": 10}

	unitNames = [...]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
		"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tensNames = [...]string{2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
)

// parseNumber reads a number at toks[i]: digits ("12", "12.5", "-3") or
// English words up to 999 ("seventy seven", "a hundred", "one hundred and
// five", "three hundred twelve"). Hyphens must already be spaces. It
// returns the value, the number of tokens used, and whether it was spelt
// in words.
func parseNumber(toks []string, i int) (v float64, n int, words bool, ok bool) {
	if i >= len(toks) {
		return 0, 0, false, false
	}
	if f, err := strconv.ParseFloat(toks[i], 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && isNumeral(toks[i]) {
		return f, 1, false, true
	}
	j := i
	var total int
	hundreds := false
	switch {
	case toks[j] == "a" && j+1 < len(toks) && toks[j+1] == "hundred":
		total, j, hundreds = 100, j+2, true
	default:
		u, isUnit := unitWords[toks[j]]
		if isUnit && u >= 1 && u <= 9 && j+1 < len(toks) && toks[j+1] == "hundred" {
			total, j, hundreds = u*100, j+2, true
		}
	}
	if hundreds {
		k := j
		if k < len(toks) && toks[k] == "and" {
			k++
		}
		if rest, m := parseBelowHundred(toks, k); m > 0 {
			return float64(total + rest), k + m - i, true, true
		}
		return float64(total), j - i, true, true
	}
	if v, m := parseBelowHundred(toks, i); m > 0 {
		return float64(v), m, true, true
	}
	return 0, 0, false, false
}

// parseBelowHundred reads "seven", "seventeen", "seventy", "seventy seven".
func parseBelowHundred(toks []string, i int) (int, int) {
	if i >= len(toks) {
		return 0, 0
	}
	if u, ok := unitWords[toks[i]]; ok {
		return u, 1
	}
	if t, ok := tensWords[toks[i]]; ok {
		if i+1 < len(toks) {
			if u, ok := unitWords[toks[i+1]]; ok && u >= 1 && u <= 9 && toks[i+1] != "oh" {
				return t + u, 2
			}
		}
		return t, 1
	}
	return 0, 0
}

// isNumeral: only digits, one optional leading minus and one dot (no
// "1e9", "inf", "0x1p3").
func isNumeral(s string) bool {
	s = strings.TrimPrefix(s, "-")
	digits, dots := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// numberWords spells 0–999 in words ("seventy-seven", "one hundred and
// five"); other values come back as digits.
func numberWords(n int) string {
	switch {
	case n < 0 || n > 999:
		return strconv.Itoa(n)
	case n < 20:
		return unitNames[n]
	case n < 100:
		if n%10 == 0 {
			return tensNames[n/10]
		}
		return tensNames[n/10] + "-" + unitNames[n%10]
	case n%100 == 0:
		return unitNames[n/100] + " hundred"
	default:
		return unitNames[n/100] + " hundred and " + numberWords(n%100)
	}
}

// formatNumber renders a result for speech: integers plainly, others
// rounded to two decimals ("12.5", "0.33"), negatives as "minus 5".
func formatNumber(v float64) (s string, exact bool) {
	r := math.Round(v*100) / 100
	exact = math.Abs(r-v) < 1e-9
	neg := r < 0
	if neg {
		r = -r
	}
	if r == math.Trunc(r) && r < 1e15 {
		s = strconv.FormatInt(int64(r), 10)
	} else {
		s = strconv.FormatFloat(r, 'f', -1, 64)
	}
	if neg && s != "0" {
		s = "minus " + s
	}
	return s, exact
}
