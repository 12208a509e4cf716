package sphinx

import (
	"testing"

	"github.com/duplex-ai/duplex/stt"
)

// TestLiveLoopSameResults: with Options.LiveLoop the check's phone loop is
// fed while the audio arrives, and the results are those of the loop run
// in one call at the end: real sentences stay not understood, skill
// phrases stay accepted. A call's second utterance holds the call's mean.
func TestLiveLoopSameResults(t *testing.T) {
	requireTools(t, true)
	utts := []namedPCM{
		{"librivox 0880", librivoxSentence(t)},
		{"en-us what time is it", speak(t, "en-us", "what time is it")},
		{"en-us+m3 hello there", speak(t, "en-us+m3", "hello there")},
		{"en-us+f2 what is twelve times seven", speak(t, "en-us+f2", "what is twelve times seven")},
	}
	if !testing.Short() {
		recs := realRecordings(t)
		for _, f := range []string{testdataDir + "/cards/001.wav", "goforward.raw"} {
			utts = append(utts, namedPCM{f, recs[f]})
		}
	}
	oneShot := newTestEngine(t, Options{PoolSize: 1, LiveLoop: LiveLoopOff})
	live := newTestEngine(t, Options{PoolSize: 1, LiveLoop: LiveLoopAlways})
	adaptA, adaptB := &stt.Adaptation{}, &stt.Adaptation{}
	for _, u := range utts {
		want := decodeWith(t, oneShot, adaptA, u.pcm)
		got := decodeWith(t, live, adaptB, u.pcm)
		if got.r.Text != want.r.Text || got.r.NotUnderstood != want.r.NotUnderstood {
			t.Errorf("%s: live loop %q understood=%v, one-shot loop %q understood=%v", u.name,
				got.r.Text, !got.r.NotUnderstood, want.r.Text, !want.r.NotUnderstood)
		}
		if got.fed == 0 || want.fed != 0 {
			t.Errorf("%s: checks with a fed loop %d (live), %d (one-shot); want ≥1 and 0", u.name, got.fed, want.fed)
		}
		t.Logf("%s → %q understood=%v", u.name, got.r.Text, !got.r.NotUnderstood)
	}
	if created, idle := live.asidePool.stats(); created != idle {
		t.Fatalf("live loop decoders not back in the pool (created %d, idle %d)", created, idle)
	}
}

type decoded struct {
	r   stt.Result
	fed int32
}

func decodeWith(t *testing.T, e *Engine, adapt *stt.Adaptation, pcm []int16) decoded {
	t.Helper()
	st, err := e.NewStream(t.Context(), stt.StreamOptions{Adaptation: adapt})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	writeAll(t, st, pcm)
	r, err := st.Finish(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return decoded{r, st.(*stream).loopsFed.Load()}
}

// TestLiveLoopStoppedMidTurn: a turn cancelled or closed while its live
// loop is being fed gives every decoder back; goleak (TestMain) checks that
// the loop's goroutine has exited.
func TestLiveLoopStoppedMidTurn(t *testing.T) {
	testReleasedMidTurn(t, Options{PoolSize: 1, LiveLoop: LiveLoopAlways}, "live loop", func(e *Engine) *pool { return e.asidePool })
}

// TestLiveLoopFallsBackWhenPoolBusy: with no spare decoder free the check
// runs the loop itself, with the same result.
func TestLiveLoopFallsBackWhenPoolBusy(t *testing.T) {
	requireTools(t, true)
	pcm := speak(t, "en-us", "what time is it")
	e := newTestEngine(t, Options{PoolSize: 1, LiveLoop: LiveLoopAlways})
	d, err := e.asidePool.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := decodeWith(t, e, nil, pcm)
	e.asidePool.release(d, false)
	if got.fed != 0 || got.r.Text != "what time is it" || got.r.NotUnderstood {
		t.Fatalf("busy pool: %q understood=%v, fed loops %d; want the phrase, understood, 0", got.r.Text, !got.r.NotUnderstood, got.fed)
	}
}

// TestLiveLoopAfterStaleSpeculation: speech after a speculation starts the
// live loop again from the beginning; the final check's loop covers the
// whole utterance and the result is the one-shot loop's.
func TestLiveLoopAfterStaleSpeculation(t *testing.T) {
	requireTools(t, true)
	first := speak(t, "en-us+f2", "what is twelve")
	rest := speak(t, "en-us+f2", "times seven")
	var got [2]stt.Result
	for i, live := range []bool{false, true} {
		mode := LiveLoopOff
		if live {
			mode = LiveLoopAlways
		}
		e := newTestEngine(t, Options{PoolSize: 1, LiveLoop: mode})
		st, err := e.NewStream(t.Context(), stt.StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := st.(*stream)
		writeAll(t, s, first)
		waitSpeculated(t, s, 1)
		writeAll(t, s, rest)
		if got[i], err = s.Finish(t.Context()); err != nil {
			t.Fatal(err)
		}
		n := len(s.grammarAudio())
		_ = s.Close()
		if s.specUsed {
			t.Fatalf("live %v: stale speculation used: %q", live, got[i].Text)
		}
		if want := int32(0); live {
			if n := s.loopsFed.Load(); n < 2 {
				t.Errorf("%d checks with a fed loop, want the speculation's and the final's", n)
			}
			if s.loop == nil || s.loop.n != n {
				t.Errorf("the final check's loop does not cover grammarAudio")
			}
		} else if n := s.loopsFed.Load(); n != want {
			t.Errorf("one-shot: %d fed loops", n)
		}
	}
	if got[0].Text != got[1].Text || got[0].NotUnderstood != got[1].NotUnderstood {
		t.Fatalf("live loop %q understood=%v, one-shot %q understood=%v", got[1].Text, !got[1].NotUnderstood, got[0].Text, !got[0].NotUnderstood)
	}
}

// TestLiveLoopLater: LiveLoopLater runs a call's first utterance (no call
// mean yet) with the loop at the check and feeds the loop on the later
// ones, with the one-shot loop's results.
func TestLiveLoopLater(t *testing.T) {
	requireTools(t, true)
	utts := []namedPCM{
		{"en-us what time is it", speak(t, "en-us", "what time is it")},
		{"en-us+f2 what is twelve times seven", speak(t, "en-us+f2", "what is twelve times seven")},
		{"en-us+m3 the weather is nice in paris", speak(t, "en-us+m3", "the weather is nice in paris")},
	}
	oneShot := newTestEngine(t, Options{PoolSize: 1, LiveLoop: LiveLoopOff})
	later := newTestEngine(t, Options{PoolSize: 1, LiveLoop: LiveLoopLater})
	adaptA, adaptB := &stt.Adaptation{}, &stt.Adaptation{}
	for i, u := range utts {
		want := decodeWith(t, oneShot, adaptA, u.pcm)
		got := decodeWith(t, later, adaptB, u.pcm)
		if got.r.Text != want.r.Text || got.r.NotUnderstood != want.r.NotUnderstood {
			t.Errorf("%s: later %q understood=%v, one-shot %q understood=%v", u.name,
				got.r.Text, !got.r.NotUnderstood, want.r.Text, !want.r.NotUnderstood)
		}
		if first := i == 0; first && got.fed != 0 || !first && got.fed == 0 {
			t.Errorf("%s (utterance %d of the call): %d checks with a fed loop", u.name, i+1, got.fed)
		}
	}
	// Without a call (no Adaptation) every utterance is a first one.
	if got := decodeWith(t, later, nil, utts[0].pcm); got.fed != 0 {
		t.Errorf("no call: %d checks with a fed loop, want 0", got.fed)
	}
	if created, idle := later.asidePool.stats(); created != idle {
		t.Fatalf("live loop decoders not back in the pool (created %d, idle %d)", created, idle)
	}
}

// TestLiveLoopMode: the modes' names round-trip and only the zero value
// takes the default.
func TestLiveLoopMode(t *testing.T) {
	for _, m := range []LiveLoopMode{LiveLoopDefault, LiveLoopOff, LiveLoopLater, LiveLoopAlways} {
		got, err := ParseLiveLoop(m.String())
		if err != nil || got != m {
			t.Errorf("ParseLiveLoop(%q) = %v, %v; want %v", m.String(), got, err, m)
		}
	}
	if _, err := ParseLiveLoop("sometimes"); err == nil {
		t.Error("ParseLiveLoop accepted an unknown mode")
	}
	if got := (Options{}).withDefaults().LiveLoop; got != DefaultLiveLoop {
		t.Errorf("default mode %v, want %v", got, DefaultLiveLoop)
	}
	if got := (Options{LiveLoop: LiveLoopAlways}).withDefaults().LiveLoop; got != LiveLoopAlways {
		t.Errorf("LiveLoopAlways became %v", got)
	}
	for _, c := range []struct {
		m             LiveLoopMode
		first, second bool
	}{{LiveLoopOff, false, false}, {LiveLoopLater, false, true}, {LiveLoopAlways, true, true}} {
		if c.m.liveLoop(false) != c.first || c.m.liveLoop(true) != c.second {
			t.Errorf("%v: fed without a call mean %v, with %v; want %v, %v", c.m, c.m.liveLoop(false), c.m.liveLoop(true), c.first, c.second)
		}
	}
}
