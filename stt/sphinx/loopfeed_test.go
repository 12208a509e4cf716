package sphinx

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestLoopFedLive (STT_LOOPFEED=1) measures the candidate of running the
// phone loop during the turn: for each utterance, the loop as Finish runs
// it (one call over grammarAudio, on the decoder that ran the live pass)
// against the same audio fed in 20 ms pieces to another decoder as
// Options.LiveLoop feeds it (fedLoop: the call's mean held, on a call's
// first utterance the mean of its first second). It logs both
// path scores per frame, the loops' phones and the verdict each gives
// the grammar's result; and (ASIDE) the loop in one call on another
// decoder primed with the utterance's tail. Findings: docs/stt-latency.md.
func TestLoopFedLive(t *testing.T) {
	type utt struct {
		call, name string
		pcm        []int16
	}
	qs := []string{"what time is it", "what is seventy seven plus fifteen", "hello there", "what is one hundred divided by five",
		"what can you do", "what is the date today", "tell me a story", "stop", "what is twelve times seven", "good morning"}
	real, synth, fest := measureCorpus(t, "STT_LOOPFEED", qs, qs[:6])
	var utts []utt
	for _, set := range []struct {
		call string
		us   []namedPCM
	}{{"librivox", real}, {"espeak-ng", synth}, {"festival", fest}} {
		for _, u := range set.us {
			utts = append(utts, utt{set.call, u.name, u.pcm})
		}
	}
	e := newTestEngine(t, Options{})
	o := e.opt
	d1, d2 := newTestDecoder(t, o), newTestDecoder(t, o)
	// d3 hears what d1 hears, but its loop fed in pieces: what is left
	// when the decoder's history is the same.
	d3 := newTestDecoder(t, o)
	fed := func(d *decoder, audio []int16, cmn []float32) *loopMemo {
		if err := d.start(searchPhones, primeFor(nil, audio)); err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(audio); off += frameSamples {
			d.setCMNMean(cmn)
			if err := d.process(audio[off:min(off+frameSamples, len(audio))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.end(); err != nil {
			t.Fatal(err)
		}
		hyp, path := d.hyp()
		return &loopMemo{n: len(audio), hyp: hyp, path: path, frames: d.frames()}
	}
	cmn := map[string][]float32{}
	moved := 0
	for _, u := range utts {
		s := &stream{ctx: t.Context(), dec: d1, eng: e, rng: rand.NewPCG(1, 2), cmn: cmn[u.call]}
		s.buf = append([]int16(nil), u.pcm...)
		s.dither(s.buf)
		s.scanLoudness()
		audio := s.grammarAudio()
		// As a stream: the live pass, then the loop and the grammar in one call each.
		for _, d := range []*decoder{d1, d3} {
			d.setCMNMean(s.cmn)
			if err := d.startLive(searchGrammar); err != nil {
				t.Fatal(err)
			}
			for off := 0; off+frameSamples <= len(s.buf); off += frameSamples {
				if err := d.process(s.buf[off : off+frameSamples]); err != nil {
					t.Fatal(err)
				}
			}
		}
		ref, err := s.loopPass(t.Context(), audio)
		if err != nil {
			t.Fatal(err)
		}
		next := d1.cmnMean()
		g, err := grammarOn(d1, searchGrammar, audio, s.cmn, nil)
		if err != nil {
			t.Fatal(err)
		}
		same := fed(d3, audio, s.cmn)
		if _, err := grammarOn(d3, searchGrammar, audio, s.cmn, nil); err != nil {
			t.Fatal(err)
		}
		// Another decoder, one call after hearing the utterance's tail
		// (as grammarAside primes the spare decoder).
		if _, err := grammarOn(d2, searchPhones, audio[max(0, len(audio)-primeSamples):], s.cmn, nil); err != nil {
			t.Fatal(err)
		}
		asideLoop, err := grammarOn(d2, searchPhones, audio, s.cmn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("ASIDE %s %s: loop path/frame %.3f vs aside %.3f, frames %d vs %d", u.call, u.name,
			perFrame(ref.path, ref.frames), perFrame(asideLoop.score, asideLoop.frames), ref.frames, asideLoop.frames)
		// The candidate: another decoder, fed in pieces as Options.LiveLoop
		// feeds it (the call's mean held, else the first second's).
		live, err := fedLoop(d2, audio, s.cmn, nil)
		if err != nil {
			t.Fatal(err)
		}
		verdictOf := func(l *loopMemo) (bool, float64) {
			if len(g.words) == 0 || g.frames == 0 {
				return false, 0
			}
			m := perFrame(g.score, g.frames) - perFrame(l.path, l.frames)
			r := phoneRatio(d1.phoneCount(g.words), len(strings.Fields(l.hyp)), o.PhoneSlack)
			return m >= o.MinMargin && r >= o.MinPhoneRatio && r <= o.MaxPhoneRatio, m
		}
		va, ma := verdictOf(ref)
		mark := ""
		vb, mb := verdictOf(live)
		vc, mc := verdictOf(same)
		if vc != va {
			mark += " MOVED-SAME-HISTORY"
		}
		if va != vb {
			mark = " MOVED"
			moved++
		}
		t.Logf("%s %s (cmn %v): grammar %q; loop/frame %.1f vs fed %.1f, phones %d vs %d, frames %d vs %d; margin %.2f vs %.2f, accept %v vs %v; same history: loop/frame %.1f, margin %.2f%s",
			u.call, u.name, s.cmn != nil, strings.Join(g.words, " "), perFrame(ref.path, ref.frames), perFrame(live.path, live.frames),
			len(strings.Fields(ref.hyp)), len(strings.Fields(live.hyp)), ref.frames, live.frames, ma, mb, va, vb, perFrame(same.path, same.frames), mc, mark)
		cmn[u.call] = next // the call's mean for its next utterance
	}
	t.Logf("%d of %d verdicts moved", moved, len(utts))
}
