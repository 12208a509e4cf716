package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/stt/sphinx"
)

func TestDigitsOf(t *testing.T) {
	for in, want := range map[string]string{"3719": "3 7 1 9", "three oh 5": "3 0 5", "ten of clubs": "ten of clubs", "": ""} {
		if got := digitsOf(in); got != want {
			t.Errorf("digitsOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTranscripts(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t")
	if err := os.WriteFile(p, []byte("<s> ten of clubs  </s> (001)\n<s> he was not </s> (a-0880)\nnoise\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := transcripts(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m["001"] != "ten of clubs" || m["a-0880"] != "he was not" {
		t.Errorf("transcripts = %q", m)
	}
}

// The calibration picks thresholds that separate scores that are
// separable, and rates count what they should.
func TestCalibrate(t *testing.T) {
	mk := func(skill string, margin float64, gph, lph int) outcome {
		return outcome{job: job{skill: skill}, sc: sphinx.Scores{Grammar: "x", GrammarPath: margin, GrammarPhones: gph, LoopPhones: lph}}
	}
	rs := []outcome{mk("time", -2, 8, 10), mk("time", -4, 7, 10), mk("none", -14, 8, 10), mk("none", 3, 2, 20)}
	best, score := calibrate(rs)
	if score != 1 {
		t.Fatalf("calibrate → %+v, balanced accuracy %v, want 1", best, score)
	}
	if acc, rej := rates(rs, best); acc != 1 || rej != 1 {
		t.Errorf("rates at %+v = %v, %v", best, acc, rej)
	}
	if acc, rej := rates(rs, thresholds{-100, 0, 100, 0}); acc != 1 || rej != 0 {
		t.Errorf("no check: rates = %v, %v, want 1, 0", acc, rej)
	}
	if skillAnswer(stt.Result{Text: "what is two plus two"}) != true ||
		skillAnswer(stt.Result{Text: "what is two plus two", NotUnderstood: true, Confidence: 0.9}) != false {
		t.Error("skillAnswer does not follow NotUnderstood")
	}
}

// The report says whether the fitted thresholds let real off-grammar
// speech through, which the calibration split cannot show: here a real
// recording that the fit (from espeak-ng alone) accepts.
func TestMarkdownRealLeak(t *testing.T) {
	mk := func(set, split, skill string, margin float64, gph, lph int) outcome {
		return outcome{job: job{set: set, split: split, voice: "v", skill: skill},
			sc: sphinx.Scores{Grammar: "x", GrammarPath: margin, GrammarPhones: gph, LoopPhones: lph}}
	}
	rs := []outcome{
		mk("espeak", "calibration", "time", -2, 8, 10), mk("espeak", "calibration", "none", -14, 8, 10),
		mk("espeak", "test", "time", -3, 8, 10), mk("real", "test", "none", 0, 8, 10),
	}
	md := markdown(rs, time.Second)
	if !strings.Contains(md, "the fitted thresholds accept 100.0% of in-grammar utterances and reject 0.0% of off-grammar ones, 0.0% of the real off-grammar recordings") {
		t.Errorf("report does not show the real leak:\n%s", md)
	}
}

// The digit table counts per split: WER before, now and of the digit pass
// alone, and names a real recording the digit pass would take as digits.
func TestDigitTable(t *testing.T) {
	mk := func(split, ref, old, cur, dg string, accept bool) outcome {
		return outcome{job: job{set: "fsdd", split: split, skill: "digits", ref: ref}, old: stt.Result{Text: old}, cur: stt.Result{Text: cur},
			dg: sphinx.DigitScores{Digits: dg, Accept: accept}, audio: time.Second, oldTook: time.Second, curTook: time.Second}
	}
	rs := []outcome{
		mk("test", "3 7 1 9", "three seven", "3719", "3719", true),    // before: 2 dropped
		mk("test", "5 5 0", "to five oh", "five five", "5508", false), // now: 1 dropped; pass: 1 inserted
		mk("calibration", "1 2 3", "123", "123", "123", true),
		{job: job{set: "real", split: "test", voice: "cards/002.wav", skill: "none"}, dg: sphinx.DigitScores{Digits: "43946", Margin: -5, Accept: true}},
	}
	md := digitTable(rs)
	for _, want := range []string{
		"| nicolas/theo | test | 2 | 7 | 42.9% | 14.3% | 14.3% | 50.0% (1/2) |",
		"| george/jackson | calibration | 1 | 3 | 0.0% | 0.0% | 0.0% | 100.0% (1/1) |",
		"would stand on 1 of 1 (002.wav → 43946 (-5.0))",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("digit table lacks %q:\n%s", want, md)
		}
	}
}

// The fit never takes a real calibration recording outside the skills for
// a skill phrase, even at a cost in accuracy; a digit string may stand.
func TestCalibrateRealConstraint(t *testing.T) {
	mk := func(set, skill, grammar string, margin float64) outcome {
		return outcome{job: job{set: set, split: "calibration", skill: skill},
			sc: sphinx.Scores{Grammar: grammar, GrammarPath: margin, GrammarPhones: 8, LoopPhones: 10}}
	}
	real := mk("real", "none", "hey there", -1)
	rs := []outcome{mk("espeak", "time", "what time is it", -2), mk("espeak", "time", "what time is it", 0),
		mk("espeak", "none", "hello", -14), real, mk("real", "none", "one two three", 1)}
	best, _ := calibrate(rs)
	if accepts(real.sc, best) {
		t.Errorf("calibrate → %+v accepts the real recording", best)
	}
	if !accepts(rs[1].sc, best) || !accepts(rs[4].sc, best) {
		t.Errorf("calibrate → %+v rejects what it could accept", best)
	}
}

// A single FSDD digit is real speech outside the skills: the fit never
// takes it for a skill phrase either.
func TestCalibrateSingleDigitConstraint(t *testing.T) {
	mk := func(set, skill, grammar string, margin float64) outcome {
		return outcome{job: job{set: set, split: "calibration", skill: skill},
			sc: sphinx.Scores{Grammar: grammar, GrammarPath: margin, GrammarPhones: 8, LoopPhones: 10}}
	}
	single := mk("fsdd1", "none", "hey there", -3)
	rs := []outcome{mk("espeak", "greeting", "hello", -5), mk("espeak", "greeting", "hello", -1), single,
		mk("espeak", "greeting", "hello", -4), mk("espeak", "none", "hello", -15), mk("espeak", "none", "hello", -15)}
	best, _ := calibrate(rs)
	if accepts(single.sc, best) {
		t.Errorf("calibrate → %+v accepts the single digit as %q", best, single.sc.Grammar)
	}
	if !accepts(rs[1].sc, best) {
		t.Errorf("calibrate → %+v rejects what it could accept", best)
	}
}

// "yeah" heard as "yes" is the same behaviour (a backchannel, a yes to a
// pending tool run, llm/local's acknowledgement), so it is routed right;
// "stop" (it interrupts) and "no" (it declines) are not acknowledgements.
func TestRouteAck(t *testing.T) {
	o := outcome{job: job{ref: "yeah"}}
	if !routedRight(o, stt.Result{Text: "yes"}) || !routedRight(o, stt.Result{Text: "okay"}) {
		t.Error(`"yeah" heard as "yes" or "okay" counted a miss`)
	}
	for _, hyp := range []string{"stop", "no", "hello"} {
		if routedRight(o, stt.Result{Text: hyp}) {
			t.Errorf(`"yeah" heard as %q counted right`, hyp)
		}
	}
	if routedRight(outcome{job: job{ref: "stop"}}, stt.Result{Text: "yeah"}) {
		t.Error(`"stop" heard as "yeah" counted right`)
	}
	if routedRight(o, stt.Result{Text: "yes", NotUnderstood: true}) {
		t.Error("a rejected result counted right")
	}
	// The brain gives both the same reply kind.
	if a, b := brainSkill(stt.Result{Text: "yeah"}), brainSkill(stt.Result{Text: "yes"}); a != b {
		t.Errorf("llm/local: yeah → %s, yes → %s", a, b)
	}
}

func TestForEach(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	boom := errors.New("boom")
	err := forEach(50, 3, func(i int) error {
		mu.Lock()
		seen[i]++
		mu.Unlock()
		if i == 17 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("forEach returned %v, want the failing call's error", err)
	}
	for i := range 50 {
		if seen[i] != 1 {
			t.Fatalf("index %d ran %d times, want once (an error must not stop the others)", i, seen[i])
		}
	}
	if err := forEach(0, 2, func(int) error { return boom }); err != nil {
		t.Fatalf("no calls: %v", err)
	}
}
