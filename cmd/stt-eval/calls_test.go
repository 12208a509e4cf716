package main

import (
	"fmt"
	"testing"
	"time"
)

// TestGroupCalls: a call holds one voice or speaker on one line, at most n
// utterances, in the order made; FSDD strings and single digits of a
// speaker share calls, the librivox sentences of both splits one call.
func TestGroupCalls(t *testing.T) {
	var jobs []job
	for i := 0; i < 7; i++ {
		jobs = append(jobs, job{set: "espeak", voice: "en-us", cond: "clean", ref: fmt.Sprint(i)})
	}
	jobs = append(jobs,
		job{set: "espeak", voice: "en-us", cond: "20 dB", ref: "n"},
		job{set: "real", split: "calibration", voice: "librivox/a-0870", ref: "l0"},
		job{set: "real", split: "test", voice: "librivox/a-0880", ref: "l1"},
		job{set: "real", voice: "tidigits/dhd.2934z.raw", ref: "t"},
		job{set: "real", voice: "goforward.raw", ref: "g"},
		job{set: "fsdd", voice: "fsdd/theo/1", ref: "s"},
		job{set: "fsdd", voice: "fsdd/nicolas/0", ref: "x"},
		job{set: "fsdd1", voice: "fsdd1/4_theo_12.wav", ref: "d"},
	)
	var got []string
	for _, c := range groupCalls(jobs, 5) {
		s := ""
		for _, j := range c {
			s += j.ref + " "
		}
		got = append(got, s)
	}
	want := []string{"0 1 2 3 4 ", "5 6 ", "n ", "l0 l1 ", "t ", "g ", "s d ", "x "}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("calls %q, want %q", got, want)
	}
}

// TestCountCalls: flips, right skill, new skill answers, off-grammar
// utterances without a skill answer and margin shifts are counted per arm.
func TestCountCalls(t *testing.T) {
	u := func(set, skill, ref, offText string, offNU bool, liveText string, liveNU bool, mOff, mLive float64) callUtt {
		c := callUtt{job: job{set: set, skill: skill, ref: ref}, pos: 1}
		c.off.r.Text, c.off.r.NotUnderstood = offText, offNU
		c.live.r.Text, c.live.r.NotUnderstood = liveText, liveNU
		c.off.sc.Grammar, c.live.sc.Grammar = "x", "x"
		c.off.sc.GrammarPath, c.live.sc.GrammarPath = mOff, mLive
		return c
	}
	k := countCalls([]callUtt{
		u("espeak", "time", "what time is it", "what time is it", false, "what time is it", true, -7, -9.5),
		u("real", "none", "some sentence", "some sentence", true, "what time is it", false, 1, 1.5),
		u("espeak", "none", "play some music", "play some music", true, "play some music", true, 0, 0),
	})
	if k.n != 3 || k.flips != 2 || k.toRejected != 1 || k.toAccepted != 1 || k.skillReq != 1 || k.rightOff != 1 || k.rightLive != 0 ||
		k.newSkillReal != 1 || k.newSkillSynth != 0 || k.offGrammar != 2 || k.quietOff != 2 || k.quietLive != 1 || k.shift1 != 1 || k.shift2 != 1 || k.maxShift != 2.5 {
		t.Fatalf("counts %+v", k)
	}
	if q := quantile([]time.Duration{3, 1, 2, 4}, 0.5); q != 2 {
		t.Fatalf("median %v, want 2", q)
	}
}
