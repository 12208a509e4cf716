package local

import (
	"math"
	"strings"
)

type op int

const (
	opNone op = iota
	opPlus
	opMinus
	opTimes
	opDivide
)

var opNames = [...]string{opPlus: "plus", opMinus: "minus", opTimes: "times", opDivide: "divided by"}

// infixOps are operator phrases between two numbers, longest first.
var infixOps = []struct {
	words []string
	op    op
}{
	{[]string{"multiplied", "by"}, opTimes},
	{[]string{"divided", "by"}, opDivide},
	{[]string{"divide", "by"}, opDivide},
	{[]string{"times", "by"}, opTimes},
	{[]string{"take", "away"}, opMinus},
	{[]string{"plus"}, opPlus},
	{[]string{"minus"}, opMinus},
	{[]string{"less"}, opMinus},
	{[]string{"times"}, opTimes},
	{[]string{"time"}, opTimes}, // recognizer slip
	{[]string{"x"}, opTimes},
	{[]string{"into"}, opTimes},
	{[]string{"over"}, opDivide},
	{[]string{"divided"}, opDivide},
}

// item is a token of an arithmetic question: a number, an operator or
// another word.
type item struct {
	num   bool
	weak  bool // a homophone ("to", "for"): a number only next to an operator
	op    op
	val   float64
	words bool // the number was spelt in words
	word  string
}

// problem is a parsed "a OP b".
type problem struct {
	a, b           float64
	aWords, bWords bool
	op             op
}

// parseArithmetic finds "a OP b" ("twelve times seven", "12 x 7", "a
// hundred divided by eight") or a prefix form ("add 3 and 4", "subtract 3
// from 10", "multiply 6 by 7", "divide 10 by 4", "the sum of 2 and 2",
// "the product of 3 and 5").
func parseArithmetic(toks []string) (problem, bool) {
	items := tokenize(toks)
	// Weak numbers next to an operator are numbers; elsewhere words.
	for i := range items {
		if !items[i].weak {
			continue
		}
		nextToOp := (i > 0 && items[i-1].op != opNone) || (i+1 < len(items) && items[i+1].op != opNone)
		if !nextToOp {
			items[i] = item{word: items[i].word}
		}
	}
	for i := 0; i+2 < len(items); i++ {
		a, o, b := items[i], items[i+1], items[i+2]
		if a.num && o.op != opNone && b.num {
			return problem{a.val, b.val, a.words, b.words, o.op}, true
		}
	}
	// Prefix forms: VERB a (and|to|by|from) b.
	for i := 0; i+3 < len(items); i++ {
		v, a, link, b := items[i].word, items[i+1], items[i+2], items[i+3]
		if !a.num || !b.num || link.num || link.op != opNone {
			continue
		}
		lw := link.word
		prev := ""
		if i > 0 {
			prev = items[i-1].word
		}
		switch {
		case (v == "add" || v == "of" && prev == "sum") && (lw == "and" || lw == "to"):
			return problem{a.val, b.val, a.words, b.words, opPlus}, true
		case (v == "subtract" || v == "take") && lw == "from":
			return problem{b.val, a.val, b.words, a.words, opMinus}, true
		case (v == "multiply" || v == "of" && prev == "product") && (lw == "by" || lw == "and" || lw == "with"):
			return problem{a.val, b.val, a.words, b.words, opTimes}, true
		case v == "divide" && lw == "by":
			return problem{a.val, b.val, a.words, b.words, opDivide}, true
		}
	}
	return problem{}, false
}

func tokenize(toks []string) []item {
	var items []item
	for i := 0; i < len(toks); {
		if o, n := matchOp(toks, i); n > 0 {
			items = append(items, item{op: o, word: strings.Join(toks[i:i+n], " ")})
			i += n
			continue
		}
		if v, n, w, ok := parseNumber(toks, i); ok {
			items = append(items, item{num: true, val: v, words: w, word: strings.Join(toks[i:i+n], " ")})
			i += n
			continue
		}
		if v, ok := homophones[toks[i]]; ok {
			items = append(items, item{num: true, weak: true, val: float64(v), words: true, word: toks[i]})
			i++
			continue
		}
		items = append(items, item{word: toks[i]})
		i++
	}
	return items
}

func matchOp(toks []string, i int) (op, int) {
	for _, o := range infixOps {
		if i+len(o.words) > len(toks) {
			continue
		}
		ok := true
		for k, w := range o.words {
			if toks[i+k] != w {
				ok = false
				break
			}
		}
		if ok {
			return o.op, len(o.words)
		}
	}
	return opNone, 0
}

// answer says the problem and its result: "Twelve times seven is 84."
func (p problem) answer() string {
	say := func(v float64, words bool) string {
		if words && v == math.Trunc(v) && v >= 0 && v <= 999 {
			return numberWords(int(v))
		}
		s, _ := formatNumber(v)
		return s
	}
	q := say(p.a, p.aWords) + " " + opNames[p.op] + " " + say(p.b, p.bWords)
	var r float64
	switch p.op {
	case opPlus:
		r = p.a + p.b
	case opMinus:
		r = p.a - p.b
	case opTimes:
		r = p.a * p.b
	case opDivide:
		if p.b == 0 {
			return capitalize(q) + " is undefined: you can't divide by zero."
		}
		r = p.a / p.b
	}
	if math.IsInf(r, 0) || math.IsNaN(r) || math.Abs(r) >= 1e15 {
		return "That number is too big for me to say."
	}
	s, exact := formatNumber(r)
	if !exact {
		return capitalize(q) + " is about " + s + "."
	}
	return capitalize(q) + " is " + s + "."
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
