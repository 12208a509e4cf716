package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/internal/benchmd"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/stt/sphinx"
)

// The call evaluation (-calls N): the utterances of one voice or speaker
// (and noise condition) decoded N at a time as one call, one
// stt.Adaptation carrying the call's cepstral mean from utterance to
// utterance as the dialogue engine's does, by two engines side by side:
// the live loop off (the one-shot check) and the -calls-mode one. A call's
// first utterance has no mean yet; its later ones are the ones compared.

// callArm is one engine's view of an utterance in a call.
type callArm struct {
	r      stt.Result
	sc     sphinx.Scores // ScoreCall with the call's mean before the utterance
	finish time.Duration // Finish's call to its return
}

// callUtt is one utterance of a call in both arms.
type callUtt struct {
	job
	call, pos int // the call's index, the utterance's place in it (0: first)
	paced     bool
	off, live callArm
}

// groupCalls splits jobs into calls of n utterances: one voice or speaker
// per call, in the order buildJobs made them. The split stays each
// utterance's own (the librivox sentences of both splits share a call).
func groupCalls(jobs []job, n int) [][]job {
	var keys []string
	by := map[string][]job{}
	for _, j := range jobs {
		k := callKey(j)
		if _, ok := by[k]; !ok {
			keys = append(keys, k)
		}
		by[k] = append(by[k], j)
	}
	var calls [][]job
	for _, k := range keys {
		js := by[k]
		for i := 0; i < len(js); i += n {
			calls = append(calls, js[i:min(i+n, len(js))])
		}
	}
	return calls
}

// callKey: who speaks, on which line. FSDD strings and single digits of
// one speaker share calls; the pocketsphinx-testdata sets are one speaker
// per folder, the other files one call each.
func callKey(j job) string {
	switch j.set {
	case "fsdd", "fsdd1":
		return "fsdd/" + fsddSpeaker(j.voice)
	case "real":
		if i := strings.IndexByte(j.voice, '/'); i > 0 && !strings.HasPrefix(j.voice, "tidigits") {
			return "real/" + j.voice[:i]
		}
		return "real/" + j.voice
	}
	return j.set + "/" + j.voice + "/" + j.cond
}

// fsddSpeaker is the speaker of an FSDD job's name ("fsdd/theo/3",
// "fsdd1/4_theo_12.wav").
func fsddSpeaker(name string) string {
	if p := strings.Split(name, "/"); len(p) == 3 {
		return p[1]
	}
	if p := strings.Split(strings.TrimPrefix(name, "fsdd1/"), "_"); len(p) == 3 {
		return p[1]
	}
	return name
}

// runCalls decodes the calls with the live loop off and in mode, and
// prints the comparison.
func runCalls(c config, jobs []job) error {
	start := time.Now()
	mode, err := sphinx.ParseLiveLoop(c.callsMode)
	if err != nil {
		return err
	}
	if hf := c.callsHistoryFree; hf != "none" && hf != "mode" && hf != "both" {
		return fmt.Errorf("-calls-history-free %q: want both, mode or none", hf)
	}
	// The history-free arms: on every pass (-calls-history-free-all) or
	// on a call's later utterances only (the default); the others carry.
	hf := func(on bool) sphinx.Options {
		return sphinx.Options{HistoryFree: on && c.callsHistoryFreeAll, CarryHistory: !on}
	}
	offOpt, liveOpt := hf(c.callsHistoryFree == "both"), hf(c.callsHistoryFree != "none")
	offOpt.PoolSize, offOpt.LiveLoop, offOpt.BandCheck = 2, sphinx.LiveLoopOff, c.bandCheck
	liveOpt.PoolSize, liveOpt.LiveLoop, liveOpt.BandCheck = 2, mode, c.bandCheck
	off, err := sphinx.NewEngine(offOpt)
	if err != nil {
		return err
	}
	defer off.Close()
	live, err := sphinx.NewEngine(liveOpt)
	if err != nil {
		return err
	}
	defer live.Close()
	ctx := context.Background()
	for _, e := range []*sphinx.Engine{off, live} {
		if err := e.Warm(ctx); err != nil {
			return err
		}
	}
	paced := map[string]bool{}
	for _, s := range strings.Split(c.callsPace, ",") {
		paced[strings.TrimSpace(s)] = true
	}
	calls := groupCalls(jobs, c.calls)
	results := make([][]callUtt, len(calls))
	if err := forEach(len(calls), 2, func(ci int) error {
		out, err := runCall(ctx, off, live, calls[ci], ci, paced, c.callsEndpoint)
		results[ci] = out
		return err
	}); err != nil {
		return err
	}
	var all []callUtt
	for _, r := range results {
		all = append(all, r...)
	}
	if c.verbose {
		for _, u := range all {
			fmt.Fprintf(os.Stderr, "call %3d/%d %-8s %-11s %-22s %-5s %-34q off %-30q u=%-5v m=%6.2f %4dms | %s %-30q u=%-5v m=%6.2f %4dms\n",
				u.call, u.pos, u.set, u.split, u.voice, u.cond, u.ref,
				u.off.r.Text, !u.off.r.NotUnderstood, margin(u.off.sc), u.off.finish.Milliseconds(), mode,
				u.live.r.Text, !u.live.r.NotUnderstood, margin(u.live.sc), u.live.finish.Milliseconds())
		}
	}
	fmt.Print(callsReport(all, c, mode, len(calls), time.Since(start)))
	return nil
}

// runCall plays one call's utterances into both engines, each with its
// own Adaptation, the arms' order alternating.
func runCall(ctx context.Context, off, live *sphinx.Engine, js []job, ci int, paced map[string]bool, endpoint time.Duration) ([]callUtt, error) {
	adapt := [2]*stt.Adaptation{{}, {}}
	engs := [2]*sphinx.Engine{off, live}
	var out []callUtt
	for pos, j := range js {
		u := callUtt{job: j, call: ci, pos: pos, paced: paced[j.set]}
		arms := [2]*callArm{&u.off, &u.live}
		for k := 0; k < 2; k++ {
			i := (k + pos + ci) % 2
			a := arms[i]
			var err error
			if a.sc, err = engs[i].ScoreCall(ctx, j.pcm, false, adapt[i]); err != nil {
				return nil, err
			}
			if a.r, a.finish, err = decodeInCall(ctx, engs[i], adapt[i], j.pcm, u.paced, endpoint); err != nil {
				return nil, err
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// decodeInCall streams pcm into a stream of the call adapt: at once, or
// paced (20 ms a frame in real time, the turn ended endpoint after the
// last loud frame, as the turn detector ends it). It returns the result
// and how long Finish took.
func decodeInCall(ctx context.Context, eng *sphinx.Engine, adapt *stt.Adaptation, pcm []int16, paced bool, endpoint time.Duration) (stt.Result, time.Duration, error) {
	s, err := eng.NewStream(ctx, stt.StreamOptions{Language: "en", Adaptation: adapt})
	if err != nil {
		return stt.Result{}, 0, err
	}
	defer s.Close()
	const frame = stt.SampleRate / 50
	end := len(pcm)
	if paced {
		end = min(len(pcm), lastLoud(pcm)+int(endpoint.Seconds()*stt.SampleRate))
	}
	t0 := time.Now()
	for off, n := 0, 0; off < end; off, n = off+frame, n+1 {
		if paced {
			time.Sleep(time.Until(t0.Add(time.Duration(n) * 20 * time.Millisecond)))
		}
		if err := s.Write(pcm[off:min(off+frame, end)]); err != nil {
			return stt.Result{}, 0, err
		}
	}
	t1 := time.Now()
	r, err := s.Finish(ctx)
	return r, time.Since(t1), err
}

// lastLoud is the end of pcm's last 20 ms frame at about -45 dBFS or
// louder (the stream's own measure of the end of speech).
func lastLoud(pcm []int16) int {
	const frame = stt.SampleRate / 50
	end := 0
	for off := 0; off+frame <= len(pcm); off += frame {
		var e float64
		for _, v := range pcm[off : off+frame] {
			e += float64(v) * float64(v)
		}
		if math.Sqrt(e/frame) >= 180 {
			end = off + frame
		}
	}
	return end
}

func margin(sc sphinx.Scores) float64 {
	if sc.Grammar == "" {
		return math.NaN()
	}
	return sc.GrammarPath - sc.PhonePath
}

// callCounts compares the arms over a set of later utterances.
type callCounts struct {
	n, flips, toRejected, toAccepted int
	textChanged                      int
	skillReq, rightOff, rightLive    int
	newSkillReal, newSkillSynth      int // a skill answer where the one-shot arm gave none
	lostSkillReal                    int
	offGrammar, quietOff, quietLive  int // outside the skills (and digit strings); of them with no skill answer per arm
	shift1, shift2                   int // |margin shift| > 1, > 2
	maxShift                         float64
}

func countCalls(us []callUtt) callCounts {
	var c callCounts
	for _, u := range us {
		c.n++
		if u.off.r.NotUnderstood != u.live.r.NotUnderstood {
			c.flips++
			if u.live.r.NotUnderstood {
				c.toRejected++
			} else {
				c.toAccepted++
			}
		}
		if u.off.r.Text != u.live.r.Text {
			c.textChanged++
		}
		if u.skill != "none" && u.skill != "digits" {
			c.skillReq++
			if routedRight(outcome{job: u.job}, u.off.r) {
				c.rightOff++
			}
			if routedRight(outcome{job: u.job}, u.live.r) {
				c.rightLive++
			}
		}
		if u.skill == "none" || u.skill == "digits" {
			offA, liveA := skillAnswer(u.off.r), skillAnswer(u.live.r)
			c.offGrammar++
			if !offA {
				c.quietOff++
			}
			if !liveA {
				c.quietLive++
			}
			realVoice := u.set == "real" || u.set == "fsdd" || u.set == "fsdd1"
			switch {
			case liveA && !offA && realVoice:
				c.newSkillReal++
			case liveA && !offA:
				c.newSkillSynth++
			case offA && !liveA && realVoice:
				c.lostSkillReal++
			}
		}
		if mo, ml := margin(u.off.sc), margin(u.live.sc); !math.IsNaN(mo) && !math.IsNaN(ml) {
			d := math.Abs(ml - mo)
			if d > 1 {
				c.shift1++
			}
			if d > 2 {
				c.shift2++
			}
			c.maxShift = max(c.maxShift, d)
		}
	}
	return c
}

func callsReport(all []callUtt, c config, mode sphinx.LiveLoopMode, nCalls int, took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Call evaluation, %s on %s (%d cores), %s: `go run ./cmd/stt-eval -calls %d -calls-mode %s` (paced sets: %s, turn ended %s after the last loud frame); took %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), benchmd.CPUModel(), runtime.NumCPU(), runtime.Version(), c.calls, mode, c.callsPace, c.callsEndpoint, took.Round(time.Second))
	fmt.Fprintf(&b, "%d utterances in %d calls (one voice or speaker, up to %d utterances, one stt.Adaptation per arm). "+
		"Arms: live loop off (one-shot check) and `LiveLoop=%s`%s. Margin: `Engine.ScoreCall` with the arm's call mean before the utterance.\n\n", len(all), nCalls, c.calls, mode, historyFreeNote(c))
	b.WriteString("| split | utterances | understood flags flipped (→ rejected / → accepted) | transcripts changed | right skill, off → " + mode.String() + " | new skill answer, real / synthetic | off-grammar, no skill answer, off → " + mode.String() + " | margin shift > 1 / > 2 / max |\n|---|---:|---|---:|---|---|---|---|\n")
	for _, pos := range []string{"first", "later"} {
		for _, split := range []string{"calibration", "test"} {
			var us []callUtt
			for _, u := range all {
				if u.split == split && (u.pos == 0) == (pos == "first") {
					us = append(us, u)
				}
			}
			k := countCalls(us)
			fmt.Fprintf(&b, "| %s, %s utterances | %d | %d (%d / %d) | %d | %d → %d of %d | %d / %d | %d → %d of %d | %d / %d / %.2f |\n",
				split, pos, k.n, k.flips, k.toRejected, k.toAccepted, k.textChanged, k.rightOff, k.rightLive, k.skillReq,
				k.newSkillReal, k.newSkillSynth, k.quietOff, k.quietLive, k.offGrammar, k.shift1, k.shift2, k.maxShift)
		}
	}
	b.WriteString("\nBy set, later utterances, both splits:\n\n| set | utterances | flipped | right skill | new skill answer |\n|---|---:|---:|---|---:|\n")
	sets := map[string][]callUtt{}
	var names []string
	for _, u := range all {
		if u.pos == 0 {
			continue
		}
		if _, ok := sets[u.set]; !ok {
			names = append(names, u.set)
		}
		sets[u.set] = append(sets[u.set], u)
	}
	for _, s := range names {
		k := countCalls(sets[s])
		fmt.Fprintf(&b, "| %s | %d | %d | %d → %d of %d | %d |\n", s, k.n, k.flips, k.rightOff, k.rightLive, k.skillReq, k.newSkillReal+k.newSkillSynth)
	}
	b.WriteString("\nFinish time of the paced utterances (ms, the arms interleaved on the same load):\n\n| utterances | n | off p50 / p95 | " + mode.String() + " p50 / p95 | " + mode.String() + " faster |\n|---|---:|---|---|---:|\n")
	for _, pos := range []string{"first", "later"} {
		var offT, liveT []time.Duration
		faster := 0
		for _, u := range all {
			if !u.paced || (u.pos == 0) != (pos == "first") {
				continue
			}
			offT, liveT = append(offT, u.off.finish), append(liveT, u.live.finish)
			if u.live.finish < u.off.finish {
				faster++
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %d / %d | %d / %d | %d of %d |\n", pos, len(offT),
			quantile(offT, 0.5).Milliseconds(), quantile(offT, 0.95).Milliseconds(),
			quantile(liveT, 0.5).Milliseconds(), quantile(liveT, 0.95).Milliseconds(), faster, len(offT))
	}
	var flipped []string
	for _, u := range all {
		if u.pos > 0 && u.off.r.NotUnderstood != u.live.r.NotUnderstood {
			flipped = append(flipped, fmt.Sprintf("- %s %s %s %s, %q: off %q (understood %v, margin %.2f) → %q (understood %v, margin %.2f)",
				u.split, u.set, u.voice, u.cond, u.ref, u.off.r.Text, !u.off.r.NotUnderstood, margin(u.off.sc),
				u.live.r.Text, !u.live.r.NotUnderstood, margin(u.live.sc)))
		}
	}
	if len(flipped) > 0 {
		b.WriteString("\nFlipped later utterances:\n\n" + strings.Join(flipped, "\n") + "\n")
	}
	return b.String()
}

// quantile is the q-quantile of ds (nearest rank); 0 when empty.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(math.Ceil(q*float64(len(s))))-1)]
}

func historyFreeNote(c config) string {
	opt := "history-free on later utterances (the default)"
	if c.callsHistoryFreeAll {
		opt = "with `HistoryFree`"
	}
	switch c.callsHistoryFree {
	case "mode":
		return " " + opt + ", off with `CarryHistory`"
	case "both":
		return ", both " + opt
	}
	return ", both with `CarryHistory`"
}
