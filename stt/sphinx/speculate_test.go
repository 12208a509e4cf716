package sphinx

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/internal/testtier"
	"github.com/duplex-ai/duplex/stt"
)

// waitSpeculated waits until the worker has made n speculative passes.
func waitSpeculated(t *testing.T, s *stream, n int32) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for s.speculated.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d speculative passes, want %d", s.speculated.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSpeculativeFinal: during the silence that ends a turn, the worker
// decodes the utterance with the grammar ahead of Finish, and Finish uses
// that result when nothing was said since.
func TestSpeculativeFinal(t *testing.T) {
	requireTools(t, true)
	e := newTestEngine(t, Options{PoolSize: 1, NoRejection: true})
	pcm := speak(t, "en-us", "what time is it") // ends with 300 ms of silence
	st, err := e.NewStream(t.Context(), stt.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*stream)
	writeAll(t, s, pcm)
	waitSpeculated(t, s, 1)
	r, err := s.Finish(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !s.specUsed || r.Text != "what time is it" {
		t.Fatalf("final %q (speculative %v), want the speculative %q", r.Text, s.specUsed, "what time is it")
	}
}

// TestSpeculationDiscardedWhenSpeechResumes: a pause long enough to
// speculate, then more words: the final covers all of them.
func TestSpeculationDiscardedWhenSpeechResumes(t *testing.T) {
	requireTools(t, true)
	e := newTestEngine(t, Options{PoolSize: 1})
	first := speak(t, "en-us+f2", "what is twelve")
	rest := speak(t, "en-us+f2", "times seven")
	st, err := e.NewStream(t.Context(), stt.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*stream)
	writeAll(t, s, first)
	waitSpeculated(t, s, 1)
	writeAll(t, s, rest)
	r, err := s.Finish(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("final %q, speculative result used: %v, passes %d", r.Text, s.specUsed, s.speculated.Load())
	if s.specUsed {
		t.Fatalf("stale speculation used: %q", r.Text)
	}
	// The final pass must have heard the audio after the speculation.
	// Under a loaded CI machine it once decoded "times seventy one" for
	// "times seven" (the exact words are the recogniser's business, tested
	// elsewhere): what matters here is that the second half is there.
	for _, w := range []string{" twelve ", " times ", " seven"} {
		if !strings.Contains(" "+r.Text+" ", w) {
			t.Fatalf("final %q lacks %q", r.Text, strings.TrimSpace(w))
		}
	}
}

// TestOnPartialInMediaTime: fed in 20 ms frames, each kept pace with
// (Consumed), the stream reports its live partials with the samples they
// cover, growing, and one of them holds the spoken words (in the silence
// after them the live pass's best path may fall back to a shorter one);
// the streaming general-LM pass, started after lmStartAfter of audio,
// reports its own, tagged PartialLM, with words (its forward pass alone
// may not hear all of them).
func TestOnPartialInMediaTime(t *testing.T) {
	requireTools(t, true)
	e := newTestEngine(t, Options{PoolSize: 1})
	pcm := speak(t, "en-us", "what time is it")
	pcm = append(pcm, make([]int16, lmStartAfter)...) // the LM pass starts in the quiet and catches up
	st, err := e.NewStream(t.Context(), stt.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*stream)
	type got struct {
		text    string
		samples int
	}
	ch := make(chan got, 200)
	lmCh := make(chan got, 200)
	s.OnPartial(func(src stt.PartialSource, text string, samples int) {
		if src == stt.PartialLM {
			lmCh <- got{text, samples}
		} else {
			ch <- got{text, samples}
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for off := 0; off+frameSamples <= len(pcm); off += frameSamples {
		if err := s.Write(pcm[off : off+frameSamples]); err != nil {
			t.Fatal(err)
		}
		for s.Consumed() < off+frameSamples {
			if time.Now().After(deadline) {
				t.Fatalf("consumed %d of %d samples", s.Consumed(), off+frameSamples)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	close(ch)
	var all []got
	for g := range ch {
		all = append(all, g)
	}
	if len(all) < 3 {
		t.Fatalf("%d partials, want one per 100 ms of speech", len(all))
	}
	growing := func(name string, all []got) {
		for i, g := range all {
			if g.samples%frameSamples != 0 || g.samples > len(pcm) || (i > 0 && g.samples <= all[i-1].samples) {
				t.Fatalf("%s partial %d covers %d samples (before: %v)", name, i, g.samples, all[:i])
			}
		}
	}
	growing("grammar", all)
	// The LM pass catches up on its own goroutine: wait for it to pass the words.
	var lm []got
	heard := false
	for !heard || lm[len(lm)-1].samples < lmStartAfter {
		select {
		case g := <-lmCh:
			lm = append(lm, g)
			heard = heard || g.text != ""
		case <-time.After(time.Until(deadline)):
			t.Fatalf("general-LM partials %v: none with words by %d samples", lm, lmStartAfter)
		}
	}
	growing("general-LM", lm)
	for _, g := range all {
		if g.text == "what time is it" {
			return
		}
	}
	t.Fatalf("no partial %q in %v", "what time is it", all)
}

// TestPartialsAfterADiscardedSpeculation: the live pass ends for a
// speculation in a pause; when speech resumes it hears the utterance
// again from its start, so the partials still cover the words before the
// pause.
func TestPartialsAfterADiscardedSpeculation(t *testing.T) {
	testtier.Slow(t, "pocketsphinx decodes in a paced stream")
	requireTools(t, true)
	e := newTestEngine(t, Options{PoolSize: 1, NoLMStream: true})
	first := speak(t, "en-us+f2", "what is twelve")
	rest := speak(t, "en-us+f2", "times seven")
	st, err := e.NewStream(t.Context(), stt.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*stream)
	var partials []string
	var mu sync.Mutex
	s.OnPartial(func(_ stt.PartialSource, text string, _ int) {
		mu.Lock()
		partials = append(partials, text)
		mu.Unlock()
	})
	writeAll(t, s, first)
	waitSpeculated(t, s, 1)
	mu.Lock()
	before := len(partials)
	mu.Unlock()
	writeAll(t, s, rest)
	waitSpeculated(t, s, 2) // in the quiet after "times seven"
	mu.Lock()
	after := append([]string(nil), partials[before:]...)
	mu.Unlock()
	last := ""
	if len(after) > 0 {
		last = after[len(after)-1]
	}
	if !strings.Contains(" "+last+" ", " twelve ") || !strings.Contains(" "+last+" ", " times ") {
		t.Fatalf("last partial after the pause %q (all after it: %q), want it to hold \"twelve\" and \"times\"", last, after)
	}
}

// TestGrammarAudioSameForAnyClosingQuiet: the grammar's final passes get
// the same audio whether the closing quiet seen so far is the 60 ms a
// speculation has or the longer quiet Finish has, so the result does not
// depend on when the worker ran.
func TestGrammarAudioSameForAnyClosingQuiet(t *testing.T) {
	speech := make([]int16, stt.SampleRate/2)
	for i := range speech {
		speech[i] = int16(3000 * (i%40 - 20) / 20) // a loud sawtooth
	}
	quiet := func(ms int) []int16 {
		q := make([]int16, ms*stt.SampleRate/1000)
		for i := range q {
			q[i] = int16(i%7 - 3)
		}
		return q
	}
	audio := func(ms int) []int16 {
		s := &stream{buf: append(append([]int16(nil), speech...), quiet(ms)...)}
		s.scanLoudness()
		if s.loudEnd != len(speech) {
			t.Fatalf("loud to %d, want %d", s.loudEnd, len(speech))
		}
		return s.grammarAudio()
	}
	want := audio(specStart * 1000 / stt.SampleRate)
	if len(want) != len(speech)+specQuiet {
		t.Fatalf("grammar audio of %d samples, want the speech and %d of quiet", len(want), specQuiet)
	}
	for _, ms := range []int{80, 160, 300, 1000} {
		if got := audio(ms); !slices.Equal(got, want) {
			t.Errorf("%d ms of closing quiet: the grammar audio differs from 60 ms's", ms)
		}
	}
	if got := audio(10); len(got) != len(speech)+len(quiet(10)) {
		t.Errorf("10 ms of closing quiet: %d samples, want the buffer as it is", len(got))
	}
}
