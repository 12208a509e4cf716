package dialogue

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/llm"
	dmedia "github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/tts"
)

// Fixed delays of the overhead benchmark's engines: 330 ms in all.
const (
	ohSTTDelay = 100 * time.Millisecond // stt.Stream.Finish
	ohLLMDelay = 150 * time.Millisecond // llm.Engine.Stream → first token
	ohTTSDelay = 80 * time.Millisecond  // tts.Engine.Synthesize → first chunk
	ohReply    = "It is three o'clock."
)

// ohStages records, for the turn under way, the wall time spent inside the
// STT, LLM and TTS calls that lie on the path to the first reply audio,
// and when the TTS handed out its first chunk.
type ohStages struct {
	mu            sync.Mutex
	stt, llm, tts time.Duration
	chunkAt       time.Time
}

func (s *ohStages) reset() {
	s.mu.Lock()
	s.stt, s.llm, s.tts, s.chunkAt = 0, 0, 0, time.Time{}
	s.mu.Unlock()
}

func (s *ohStages) add(d *time.Duration, v time.Duration) {
	s.mu.Lock()
	*d += v
	s.mu.Unlock()
}

// ohSleep waits d or until ctx ends.
func ohSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ---- STT: Finish takes ohSTTDelay ----

type delayedSTT struct{ st *ohStages }

func (s *delayedSTT) Name() string { return "delayed-stt" }
func (s *delayedSTT) NewStream(context.Context, stt.StreamOptions) (stt.Stream, error) {
	return &delayedSTTStream{st: s.st}, nil
}

type delayedSTTStream struct{ st *ohStages }

func (f *delayedSTTStream) Write([]int16) error { return nil }
func (f *delayedSTTStream) Partial() string     { return "" }
func (f *delayedSTTStream) Finish(ctx context.Context) (stt.Result, error) {
	start := time.Now()
	err := ohSleep(ctx, ohSTTDelay)
	f.st.add(&f.st.stt, time.Since(start))
	if err != nil {
		return stt.Result{}, err
	}
	return stt.Result{Text: "what time is it", Confidence: 1}, nil
}
func (f *delayedSTTStream) Close() error { return nil }

// ---- LLM: the first token comes ohLLMDelay after Stream, the rest at once ----

type delayedLLM struct{ st *ohStages }

func (l *delayedLLM) Name() string { return "delayed-llm" }
func (l *delayedLLM) Stream(ctx context.Context, _ llm.Request) (llm.Stream, error) {
	return &delayedLLMStream{ctx: ctx, st: l.st, start: time.Now(), words: strings.SplitAfter(ohReply, " ")}, nil
}

type delayedLLMStream struct {
	ctx   context.Context
	st    *ohStages
	start time.Time
	first bool
	words []string
}

func (s *delayedLLMStream) Next() (string, error) {
	if !s.first {
		s.first = true
		err := ohSleep(s.ctx, ohLLMDelay-time.Since(s.start))
		s.st.add(&s.st.llm, time.Since(s.start))
		if err != nil {
			return "", err
		}
	}
	if err := s.ctx.Err(); err != nil {
		return "", err
	}
	if len(s.words) == 0 {
		return "", io.EOF
	}
	w := s.words[0]
	s.words = s.words[1:]
	return w, nil
}
func (s *delayedLLMStream) Close() error { return nil }

// ---- TTS: the first chunk comes ohTTSDelay after Synthesize: 100 ms of 16 kHz audio ----

type delayedTTS struct{ st *ohStages }

func (f *delayedTTS) Name() string { return "delayed-tts" }
func (f *delayedTTS) Synthesize(ctx context.Context, text string, _ tts.Options) (tts.Stream, error) {
	pcm := make([]int16, 1600)
	for i := range pcm {
		pcm[i] = 1000
	}
	return &delayedTTSStream{ctx: ctx, st: f.st, start: time.Now(),
		chunk: tts.Chunk{PCM: pcm, SampleRate: 16000, Marks: []tts.Mark{{TextOffset: 0, Sample: 0}}}}, nil
}

type delayedTTSStream struct {
	ctx   context.Context
	st    *ohStages
	start time.Time
	sent  bool
	chunk tts.Chunk
}

func (s *delayedTTSStream) Next() (tts.Chunk, error) {
	if s.sent {
		return tts.Chunk{}, io.EOF
	}
	s.sent = true
	err := ohSleep(s.ctx, ohTTSDelay-time.Since(s.start))
	now := time.Now()
	s.st.mu.Lock()
	if s.st.chunkAt.IsZero() { // only the reply's first piece is on the path
		s.st.tts += now.Sub(s.start)
		s.st.chunkAt = now
	}
	s.st.mu.Unlock()
	if err != nil {
		return tts.Chunk{}, err
	}
	return s.chunk, nil
}
func (s *delayedTTSStream) Close() error { return nil }

// ---- paced writer instrumentation ----

// tickClock is the wall clock for the PacedWriter whose ticker goes
// through a forwarding goroutine that records each tick's time (the value
// time.Ticker sent), so the tick phase can be taken out of the figure.
type tickClock struct {
	clock.Clock
	mu    sync.Mutex
	ticks []time.Time // since the last reset
}

func (c *tickClock) NewTicker(d time.Duration) clock.Ticker {
	t := &fwdTicker{real: time.NewTicker(d), c: make(chan time.Time), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(t.done)
		for {
			select {
			case at := <-t.real.C:
				c.mu.Lock()
				c.ticks = append(c.ticks, at)
				c.mu.Unlock()
				select {
				case t.c <- at:
				case <-t.stop:
					return
				}
			case <-t.stop:
				return
			}
		}
	}()
	return t
}

func (c *tickClock) reset() {
	c.mu.Lock()
	c.ticks = c.ticks[:0]
	c.mu.Unlock()
}

// tickBefore returns the last recorded tick at or before w.
func (c *tickClock) tickBefore(w time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.ticks) - 1; i >= 0; i-- {
		if !c.ticks[i].After(w) {
			return c.ticks[i], true
		}
	}
	return time.Time{}, false
}

type fwdTicker struct {
	real *time.Ticker
	c    chan time.Time
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func (t *fwdTicker) C() <-chan time.Time { return t.c }
func (t *fwdTicker) Stop() {
	t.once.Do(func() {
		t.real.Stop()
		close(t.stop)
		<-t.done
	})
}

// stampWriter is the recording SampleWriter: it notes the wall time of the
// first frame written after arm.
type stampWriter struct {
	mu    sync.Mutex
	armed bool
	first time.Time
}

func (w *stampWriter) WriteSample(dmedia.Sample) error {
	now := time.Now()
	w.mu.Lock()
	if w.armed && w.first.IsZero() {
		w.first = now
	}
	w.mu.Unlock()
	return nil
}

func (w *stampWriter) arm() {
	w.mu.Lock()
	w.armed, w.first = true, time.Time{}
	w.mu.Unlock()
}

func (w *stampWriter) firstWrite() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.first
}

// BenchmarkTurnOverhead measures the dialogue engine's own share of the
// turn latency: from the moment the frame that ends the user's turn
// (SpeechEnded from the fake detector) is handed to the engine, to the
// moment the PacedWriter writes the first reply frame into the recording
// SampleWriter, minus the time spent inside the STT (Finish, 100 ms), LLM
// (Stream → first token, 150 ms) and TTS (Synthesize → first chunk, 80 ms)
// calls, measured per call, and minus the tick phase: from the TTS handing
// out its first chunk to the 20 ms writer tick that wrote it (the audio
// waits for the next tick; 0–20 ms). Real clocks throughout; one engine for
// every turn, one warm-up turn not counted; each turn starts at a seeded
// random point of the tick cycle; caller frames keep coming every 20 ms
// while the reply is under way, as on a call.
//
// Metrics: p50/p95/max-overhead-ms (the engine's share), p50/p95-phase-ms
// (tick phase), p50/p95-raw-ms (first frame − hand-off − the nominal
// 330 ms, i.e. with the phase and the fakes' timer overshoot).
//
//	go test -run '^$' -bench TurnOverhead -benchtime 30x ./dialogue/
func BenchmarkTurnOverhead(b *testing.B) {
	st := &ohStages{}
	tc := &tickClock{Clock: clock.Real()}
	rec := &stampWriter{}
	out, err := dmedia.NewPacedWriter(rec, dmedia.PacedWriterOptions{Clock: tc})
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	a, err := NewAssistant(Options{
		STT: &delayedSTT{st}, LLM: &delayedLLM{st}, TTS: &delayedTTS{st},
		NewDetector: func() Detector { return &fakeDetector{} },
		Clock:       clock.Real(),
	})
	if err != nil {
		b.Fatal(err)
	}
	frames := make(chan dmedia.Frame)
	cmds := make(chan pipeline.Command)
	evs := make(chan events.Event, 4096)
	sio := &pipeline.IO{CallID: "bench", Frames: frames, Commands: cmds, Out: out, Log: zerolog.Nop(),
		Events: pipeline.SinkFunc(func(ev pipeline.Event) {
			w, ok := events.Wire(ev)
			if !ok {
				return
			}
			select {
			case evs <- w:
			default: // never block the engine; the driver drains
			}
		})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, sio) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("Run: %v", err)
		}
	}()

	var at time.Duration
	speech := make([]int16, dmedia.FrameSamples)
	for i := range speech {
		speech[i] = 1000
	}
	silence := make([]int16, dmedia.FrameSamples)
	send := func(pcm []int16) {
		frames <- dmedia.Frame{PCM: pcm, At: at}
		at += dmedia.FrameDuration
	}

	// Each turn starts at a seeded random point of the writer's 20 ms tick
	// cycle, so the raw figure sees every phase and not only the one the
	// previous turn left.
	rng := rand.New(rand.NewPCG(1, 2))
	type sample struct{ overhead, phase, raw time.Duration }
	turn := func() sample {
		time.Sleep(time.Duration(rng.Int64N(int64(dmedia.FrameDuration))))
		st.reset()
		tc.reset()
		rec.arm()
		for range 2 * fdStart {
			send(speech)
		}
		for range fdEnd - 1 {
			send(silence)
		}
		handoff := time.Now()
		send(silence) // the detector ends the turn on this frame
		tick := time.NewTicker(dmedia.FrameDuration)
		defer tick.Stop()
		deadline := time.NewTimer(10 * time.Second)
		defer deadline.Stop()
		replied := false
		for {
			select {
			case <-tick.C:
				send(silence)
				continue
			case ev := <-evs:
				if ev.Type == events.TypeError {
					b.Fatalf("engine error: %s", ev.Message)
				}
				if ev.Type == events.TypeReplyDone {
					replied = true
				}
				if !replied || ev.Type != events.TypeState || ev.State != events.StateListening {
					continue
				}
			case <-deadline.C:
				b.Fatal("no reply.done and listening within 10 s")
			}
			break
		}
		w := rec.firstWrite()
		if w.IsZero() {
			b.Fatal("reply done but no frame written")
		}
		st.mu.Lock()
		inCalls, chunkAt := st.stt+st.llm+st.tts, st.chunkAt
		st.mu.Unlock()
		var phase time.Duration
		if t, ok := tc.tickBefore(w); ok && t.After(chunkAt) {
			phase = t.Sub(chunkAt)
		}
		return sample{
			overhead: w.Sub(handoff) - inCalls - phase,
			phase:    phase,
			raw:      w.Sub(handoff) - (ohSTTDelay + ohLLMDelay + ohTTSDelay),
		}
	}

	turn() // warm-up
	var over, phase, raw []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := turn()
		over = append(over, ohMS(s.overhead))
		phase = append(phase, ohMS(s.phase))
		raw = append(raw, ohMS(s.raw))
	}
	b.StopTimer()
	b.ReportMetric(ohRank(over, 0.50), "p50-overhead-ms")
	b.ReportMetric(ohRank(over, 0.95), "p95-overhead-ms")
	b.ReportMetric(ohRank(over, 1), "max-overhead-ms")
	b.ReportMetric(ohRank(phase, 0.50), "p50-phase-ms")
	b.ReportMetric(ohRank(phase, 0.95), "p95-phase-ms")
	b.ReportMetric(ohRank(raw, 0.50), "p50-raw-ms")
	b.ReportMetric(ohRank(raw, 0.95), "p95-raw-ms")
}

func ohMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ohRank is the nearest-rank percentile p (0..1] of v.
func ohRank(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	k := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(0, min(k, len(s)-1))]
}
