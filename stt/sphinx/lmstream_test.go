package sphinx

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/internal/testtier"
	"github.com/duplex-ai/duplex/stt"
)

// librivox0880 is a real read sentence: "he was not an ill disposed young
// man", 3.4 s.
const librivox0880 = testdataDir + "/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"

func librivoxSentence(t *testing.T) []int16 {
	t.Helper()
	if _, err := os.Stat(librivox0880); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pocketsphinx-testdata is missing: run scripts/deps.sh")
		}
		t.Skip("pocketsphinx-testdata is missing")
	}
	return soxPCM(t, librivox0880)
}

// pcmFrom runs a shell pipeline printing 16 kHz mono s16 PCM (benchmarks).
func pcmFrom(b *testing.B, pipeline string, args ...string) []int16 {
	b.Helper()
	out, err := exec.Command("sh", append([]string{"-c", pipeline, "sh"}, args...)...).Output()
	if err != nil || len(out) < 3200 {
		b.Skipf("%s: %v (needs espeak-ng, sox, pocketsphinx-testdata)", pipeline, err)
	}
	pcm := make([]int16, len(out)/2)
	for i := range pcm {
		pcm[i] = int16(uint16(out[2*i]) | uint16(out[2*i+1])<<8)
	}
	pad := make([]int16, stt.SampleRate*3/10)
	return append(append(append([]int16(nil), pad...), pcm...), pad...)
}

// decodeStream writes pcm to a new stream in 20 ms writes and finishes it.
func decodeStream(t *testing.T, e *Engine, pcm []int16) (*stream, stt.Result) {
	t.Helper()
	st, err := e.NewStream(t.Context(), stt.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	writeAll(t, st, pcm)
	r, err := st.Finish(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st.(*stream), r
}

// A real sentence the grammar rejects gets the general LM's transcript
// from the decoder that streamed it: no full pass after the turn, and the
// same words as one decode of the whole utterance on the same decoder
// configuration, so streaming changes when the result is ready, not what
// it is.
func TestLMStreamedNoSecondPass(t *testing.T) {
	requireTools(t, false)
	pcm := librivoxSentence(t)
	e := newTestEngine(t, Options{PoolSize: 1})
	s, r := decodeStream(t, e, pcm)
	if !r.NotUnderstood || r.Text == "" {
		t.Fatalf("librivox sentence → %q understood=%v, want a not-understood transcript", r.Text, !r.NotUnderstood)
	}
	if n, full := s.lmStats.streamed.Load(), s.lmStats.full.Load(); n != 1 || full != 0 {
		t.Fatalf("%d streamed results and %d full general-LM passes, want 1 and 0", n, full)
	}
	// Once its result is in, the streaming decoder is back in its pool.
	if created, idle := e.lmPool.stats(); created != 1 || idle != 1 {
		t.Fatalf("LM pool: created %d idle %d, want 1 and 1", created, idle)
	}

	lmOpt := e.opt
	lmOpt.extraArgs = lmArgs
	d, err := newDecoder(lmOpt)
	if err != nil {
		t.Fatal(err)
	}
	defer d.free()
	utt := s.utterance()
	for _, pass := range []struct {
		search string
		pcm    []int16
	}{{searchPhones, utt[:lmStartAfter]}, {searchLM, utt}} {
		// The first utterance of a call: the mean of its first second.
		var mean []float32
		if pass.search == searchLM {
			mean = d.cmnMean()
		}
		if err := d.startLive(pass.search); err != nil {
			t.Fatal(err)
		}
		if err := d.processFull(pass.pcm, mean); err != nil {
			t.Fatal(err)
		}
		if err := d.end(); err != nil {
			t.Fatal(err)
		}
	}
	hyp, _ := d.hyp()
	if want := strings.Join(cleanWords(hyp), " "); r.Text != want {
		t.Fatalf("streamed %q, one decode of the utterance %q", r.Text, want)
	}
	t.Logf("streamed %q (%.2f)", r.Text, r.Confidence)
}

// Options.NoLMStream, the behaviour before streaming: the same verdict,
// from a full pass after the turn.
func TestNoLMStreamFullPass(t *testing.T) {
	testtier.Slow(t, "a pocketsphinx general-LM decode")
	requireTools(t, false)
	e := newTestEngine(t, Options{PoolSize: 1, NoLMStream: true})
	s, r := decodeStream(t, e, librivoxSentence(t))
	if !r.NotUnderstood || r.Text == "" || s.lmStats.full.Load() != 1 {
		t.Fatalf("without streaming: %q understood=%v, %d full passes", r.Text, !r.NotUnderstood, s.lmStats.full.Load())
	}
	t.Logf("after the turn %q (%.2f)", r.Text, r.Confidence)
}

// With every streaming decoder busy a stream still gets its result, from
// a full pass after the turn: the LM pool stays bounded.
func TestLMStreamFallsBackWhenPoolBusy(t *testing.T) {
	requireTools(t, false)
	pcm := librivoxSentence(t)
	e := newTestEngine(t, Options{PoolSize: 1})
	d, ok, err := e.lmPool.tryAcquire()
	if err != nil || !ok {
		t.Fatalf("tryAcquire: %v %v", ok, err)
	}
	if _, ok, _ := e.lmPool.tryAcquire(); ok {
		t.Fatal("a second LM decoder from a pool of 1")
	}
	s, r := decodeStream(t, e, pcm)
	e.lmPool.release(d, false)
	if !r.NotUnderstood || r.Text == "" {
		t.Fatalf("→ %q understood=%v", r.Text, !r.NotUnderstood)
	}
	if n, full := s.lmStats.streamed.Load(), s.lmStats.full.Load(); n != 0 || full != 1 {
		t.Fatalf("%d streamed, %d full passes; want 0 and 1", n, full)
	}
	if created, idle := e.lmPool.stats(); created != 1 || idle != 1 {
		t.Fatalf("LM pool: created %d idle %d, want 1 and 1", created, idle)
	}
}

// A skill phrase the grammar accepts does not wait for the general LM,
// and its decoder goes back to the pool.
func TestLMStreamStoppedWhenGrammarAccepts(t *testing.T) {
	requireTools(t, true)
	e := newTestEngine(t, Options{PoolSize: 1})
	s, r := decodeStream(t, e, speak(t, "en-us", "tell me a story"))
	if r.NotUnderstood || r.Text != "tell me a story" {
		t.Fatalf("→ %q understood=%v", r.Text, !r.NotUnderstood)
	}
	if n, full := s.lmStats.streamed.Load(), s.lmStats.full.Load(); n != 0 || full != 0 {
		t.Fatalf("%d streamed, %d full general-LM results for a skill phrase", n, full)
	}
	_ = s.Close() // joins the pass, which gives its decoder back
	if created, idle := e.lmPool.stats(); created != idle {
		t.Fatalf("LM decoder not back in the pool (created %d, idle %d)", created, idle)
	}
}

// A turn cancelled mid-sentence (barge-in, the call ending) or closed
// without Finish gives both its decoders back; goleak (TestMain) checks
// that their goroutines have exited.
func TestLMStreamReleasedOnCancelAndClose(t *testing.T) {
	// Past lmStartAfter: the streaming pass takes its decoder.
	testReleasedMidTurn(t, Options{PoolSize: 1}, "LM", func(e *Engine) *pool { return e.lmPool })
}

// testReleasedMidTurn cancels, then closes, a turn half way through a
// librivox sentence, once the pass under test has taken a decoder from
// side (its pool), and checks that every decoder went back.
func testReleasedMidTurn(t *testing.T, opt Options, what string, side func(*Engine) *pool) {
	t.Helper()
	requireTools(t, false)
	pcm := librivoxSentence(t)
	e := newTestEngine(t, opt)
	for _, how := range []string{"cancel", "close"} {
		ctx, cancel := context.WithCancel(t.Context())
		st, err := e.NewStream(ctx, stt.StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		writeAll(t, st, pcm[:len(pcm)/2])
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if created, idle := side(e).stats(); created == 1 && idle == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the %s pass took no decoder", how, what)
			}
		}
		if how == "cancel" {
			cancel()
			if _, err := st.Finish(t.Context()); !errors.Is(err, context.Canceled) && !errors.Is(err, stt.ErrClosed) {
				t.Fatalf("Finish after cancel: %v", err)
			}
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		cancel()
		if _, idle := e.pool.stats(); idle != 1 {
			t.Fatalf("%s: decoder not returned", how)
		}
		if created, idle := side(e).stats(); created != 1 || idle != 1 {
			t.Fatalf("%s: %s pool created %d idle %d, want 1 and 1", how, what, created, idle)
		}
	}
}

// BenchmarkStreamCPU: CPU time (both cores' worth: user+system of the
// process) per second of audio, for a skill phrase and a real sentence,
// with the general LM streamed and decoded after the turn, and the wait in
// Finish. The audio is written in real time, 20 ms at a time, as in a call.
func BenchmarkStreamCPU(b *testing.B) {
	const raw = "-r 16000 -c 1 -b 16 -e signed-integer -t raw -"
	phrase := pcmFrom(b, `espeak-ng -v en-us --stdout "$1" | sox -R -t wav - `+raw, "what is one hundred divided by five")
	sentence := pcmFrom(b, `sox -R "$1" `+raw, librivox0880)
	for _, mode := range []struct {
		name string
		opt  Options
	}{{"streamed", Options{PoolSize: 1}}, {"after-turn", Options{PoolSize: 1, NoLMStream: true}}} {
		e, err := NewEngine(mode.opt)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Warm(b.Context()); err != nil {
			b.Fatal(err)
		}
		for _, in := range []struct {
			name string
			pcm  []int16
		}{{"skill-phrase", phrase}, {"librivox", sentence}} {
			b.Run(mode.name+"/"+in.name, func(b *testing.B) {
				var audio float64
				var finish time.Duration
				cpu0 := cpuTime()
				for b.Loop() {
					st, err := e.NewStream(b.Context(), stt.StreamOptions{})
					if err != nil {
						b.Fatal(err)
					}
					tick := time.NewTicker(20 * time.Millisecond)
					for off := 0; off < len(in.pcm); off += frameSamples {
						_ = st.Write(in.pcm[off:min(off+frameSamples, len(in.pcm))])
						<-tick.C
					}
					tick.Stop()
					t0 := time.Now()
					if _, err := st.Finish(b.Context()); err != nil {
						b.Fatal(err)
					}
					finish += time.Since(t0)
					_ = st.Close()
					audio += float64(len(in.pcm)) / stt.SampleRate
				}
				b.ReportMetric((cpuTime()-cpu0).Seconds()/audio, "cpu-s/audio-s")
				b.ReportMetric(float64(finish.Milliseconds())/float64(b.N), "finish-ms")
			})
		}
		_ = e.Close()
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
