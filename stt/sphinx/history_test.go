package sphinx

import (
	"slices"
	"testing"

	"github.com/duplex-ai/duplex/stt"
)

// TestCheckIndependentOfHistory: the check's passes are a function of the
// audio and the mean. The same utterance, scored on two decoders that heard
// different things before (loud speech fed live; quiet noise), gives the
// same words, path score and frames, bit for bit, for the grammar and the
// phone loop, in one piece (batch CMN or the call's mean) and fed in 20 ms
// pieces (fedLoop), under Options.HistoryFree, and by default for a pass
// with the call's noise prime (a later utterance's). With CarryHistory, or
// without the prime (a call's first utterance by default), the loud
// history moves the grammar's score.
func TestCheckIndependentOfHistory(t *testing.T) {
	requireTools(t, true)
	pcm := speak(t, "en-us", "what time is it")
	loud := speak(t, "en-us+m3", "please tell me a joke about the weather")
	for i := range loud {
		loud[i] = int16(max(-32000, min(32000, 3*int(loud[i]))))
	}
	quiet := make([]int16, stt.SampleRate)
	for i := range quiet {
		quiet[i] = int16(i*7919%61) - 30
	}
	type res struct {
		hyp          string
		path         int32
		frames       int
		carriedDiffs bool
	}
	score := func(o Options, noise []int16) [2][5]res {
		var out [2][5]res
		for k, hist := range [][]int16{loud, quiet} {
			d := newTestDecoder(t, o)
			if err := d.startLive(searchLM); err != nil {
				t.Fatal(err)
			}
			for off := 0; off+frameSamples <= len(hist); off += frameSamples {
				if err := d.process(hist[off : off+frameSamples]); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.end(); err != nil {
				t.Fatal(err)
			}
			mean := d.cmnInit
			for i, p := range []struct {
				search string
				cmn    []float32
			}{{searchGrammar, nil}, {searchPhones, nil}, {searchGrammar, mean}, {searchPhones, mean}} {
				if _, err := grammarOn(d, p.search, pcm, p.cmn, noise); err != nil {
					t.Fatal(err)
				}
				hyp, path := d.hyp()
				out[k][i] = res{hyp: hyp, path: path, frames: d.frames()}
			}
			m, err := fedLoop(d, pcm, mean, noise)
			if err != nil {
				t.Fatal(err)
			}
			out[k][4] = res{hyp: m.hyp, path: m.path, frames: m.frames}
		}
		return out
	}
	names := []string{"grammar, batch CMN", "loop, batch CMN", "grammar, call mean", "loop, call mean", "loop fed in 20 ms pieces"}
	callNoise := quiet[:primeSamples] // a previous utterance's closing quiet
	for _, arm := range []struct {
		name  string
		o     Options
		noise []int16
	}{{"HistoryFree", Options{HistoryFree: true}, nil}, {"the default, a later utterance", Options{}, callNoise}} {
		got := score(arm.o.withDefaults(), arm.noise)
		for i, name := range names {
			if got[0][i] != got[1][i] {
				t.Errorf("%s, %s: after loud speech %+v, after quiet noise %+v", arm.name, name, got[0][i], got[1][i])
			}
			if got[0][i].frames == 0 {
				t.Errorf("%s, %s: no frames decoded", arm.name, name)
			}
		}
		one, fed := got[0][3], got[0][4]
		t.Logf("%s: loop at the call mean: one piece %d frames, path %.2f/frame; 20 ms pieces %d frames, %.2f/frame",
			arm.name, one.frames, perFrame(one.path, one.frames), fed.frames, perFrame(fed.path, fed.frames))
	}
	for _, arm := range []struct {
		name string
		o    Options
	}{{"CarryHistory", Options{CarryHistory: true}}, {"the default, a first utterance", Options{}}} {
		old := score(arm.o.withDefaults(), nil)
		if !slices.ContainsFunc([]int{0, 2}, func(i int) bool { return old[0][i] != old[1][i] }) {
			t.Errorf("%s: the history did not move the grammar's score (%+v, %+v): the test cannot tell", arm.name, old[0][0], old[1][0])
		}
	}
}

// TestLiveLoopLaterDecidesAsOff: by default (or under Options.HistoryFree),
// on a call's later utterances the one-shot check feeds
// its loop as the live loop does, so LiveLoopOff and LiveLoopLater give the
// same results with the same confidence (a rejected one's from the
// streaming general-LM pass, set up the same way), and the calls learn the
// same mean, bit for bit; only the timing differs. By default a call's
// first utterance is checked as with CarryHistory and LiveLoopOff (the
// older default), bit for bit, from the same decoder history.
func TestLiveLoopLaterDecidesAsOff(t *testing.T) {
	requireTools(t, true)
	utts := []namedPCM{
		{"en-us what time is it", speak(t, "en-us", "what time is it")},
		{"en-us+m3 hello there", speak(t, "en-us+m3", "hello there")},
		{"librivox 0880", librivoxSentence(t)},
		{"en-us+f2 what is twelve times seven", speak(t, "en-us+f2", "what is twelve times seven")},
	}
	same := func(a, b decoded) bool {
		return a.r.Text == b.r.Text && a.r.NotUnderstood == b.r.NotUnderstood && a.r.Confidence == b.r.Confidence
	}
	for _, arm := range []struct {
		name string
		o    Options
	}{{"HistoryFree", Options{HistoryFree: true}}, {"default", Options{}}} {
		t.Run(arm.name, func(t *testing.T) {
			o := arm.o
			o.PoolSize, o.LiveLoop = 1, LiveLoopOff
			off := newTestEngine(t, o)
			o.LiveLoop = LiveLoopLater
			later := newTestEngine(t, o)
			carried := newTestEngine(t, Options{PoolSize: 1, LiveLoop: LiveLoopOff, CarryHistory: true})
			adaptA, adaptB := &stt.Adaptation{}, &stt.Adaptation{}
			for i, u := range utts {
				want := decodeWith(t, off, adaptA, u.pcm)
				got := decodeWith(t, later, adaptB, u.pcm)
				if !same(got, want) {
					t.Errorf("%s: later %q understood=%v conf %v; off %q understood=%v conf %v", u.name,
						got.r.Text, !got.r.NotUnderstood, got.r.Confidence, want.r.Text, !want.r.NotUnderstood, want.r.Confidence)
				}
				if a, b := loadCall(adaptA).cmn, loadCall(adaptB).cmn; !slices.Equal(a, b) || a == nil {
					t.Errorf("%s: the calls' means differ: off %v, later %v", u.name, a, b)
				}
				if wantFed := i > 0; (got.fed > 0) != wantFed || want.fed != 0 {
					t.Errorf("%s: checks with a fed loop %d (later), %d (off); want fed %v and 0", u.name, got.fed, want.fed, wantFed)
				}
				if i == 0 && !arm.o.HistoryFree {
					if d := decodeWith(t, carried, &stt.Adaptation{}, u.pcm); !same(d, want) {
						t.Errorf("%s, a call's first: %q understood=%v conf %v; with CarryHistory %q understood=%v conf %v", u.name,
							want.r.Text, !want.r.NotUnderstood, want.r.Confidence, d.r.Text, !d.r.NotUnderstood, d.r.Confidence)
					}
				}
				t.Logf("%s → %q understood=%v", u.name, got.r.Text, !got.r.NotUnderstood)
			}
		})
	}
}
