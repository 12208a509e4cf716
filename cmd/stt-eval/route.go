package main

import (
	"fmt"
	"strings"
)

// route is the eval's keyword router: the skill a transcript asks for,
// with the operator and numbers for arithmetic ("arithmetic 12 times 7").
func route(text string) string {
	w := strings.Fields(strings.ToLower(text))
	has := func(keys ...string) bool {
		for _, x := range w {
			for _, k := range keys {
				if x == k {
					return true
				}
			}
		}
		return false
	}
	for i, x := range w {
		op := ""
		switch x {
		case "plus", "minus", "times":
			op = x
		case "divided", "multiplied":
			op = x
		}
		if op == "" {
			continue
		}
		a, okA := parseNumber(w[:i], true)
		rest := w[i+1:]
		if len(rest) > 0 && rest[0] == "by" {
			rest = rest[1:]
		}
		b, okB := parseNumber(rest, false)
		if okA && okB {
			if op == "multiplied" {
				op = "times"
			}
			return fmt.Sprintf("arithmetic %d %s %d", a, op, b)
		}
		return "arithmetic ?"
	}
	switch {
	case has("time"):
		return "time"
	case has("date", "day", "today"):
		return "date"
	case has("say", "saying"):
		return "memory"
	case has("story"):
		return "story"
	case has("see", "look"):
		return "camera"
	case has("help") || strings.Contains(text, "can you do"):
		return "help"
	case has("hello", "hi", "hey", "morning", "evening", "afternoon"):
		return "greeting"
	case has("stop", "wait"):
		return "stop"
	case has("yeah", "yes", "yep", "yup", "okay", "right", "uh", "huh", "mm", "hmm"):
		// One behaviour: a backchannel over a reply (dialogue), a yes to
		// a pending tool run, "Okay." otherwise (llm/local's ack).
		return "ack"
	}
	return "none"
}

var numberValues = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
	"seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
	"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a": 1,
}

// parseNumber reads the spoken number at the end (before an operator) or
// at the start (after one) of words.
func parseNumber(words []string, atEnd bool) (int, bool) {
	var run []string
	if atEnd {
		i := len(words)
		for i > 0 {
			if _, ok := numberValues[words[i-1]]; !ok {
				break
			}
			i--
		}
		run = words[i:]
	} else {
		i := 0
		for i < len(words) {
			if _, ok := numberValues[words[i]]; !ok {
				break
			}
			i++
		}
		run = words[:i]
	}
	if len(run) == 0 {
		return 0, false
	}
	total, cur := 0, 0
	for _, x := range run {
		v := numberValues[x]
		if x == "hundred" {
			if cur == 0 {
				cur = 1
			}
			cur *= 100
			continue
		}
		cur += v
	}
	total += cur
	return total, true
}

// wordErrors is the word-level edit distance of hyp against ref and the
// number of reference words.
func wordErrors(ref, hyp string) (int, int) {
	r, h := strings.Fields(ref), strings.Fields(hyp)
	prev := make([]int, len(h)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(r); i++ {
		cur := make([]int, len(h)+1)
		cur[0] = i
		for j := 1; j <= len(h); j++ {
			sub := prev[j-1]
			if r[i-1] != h[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev = cur
	}
	return prev[len(h)], len(r)
}
