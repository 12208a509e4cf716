package media

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/clock"
)

type sampleRec struct {
	data    []byte
	at      time.Time
	dur     time.Duration
	dropped uint16
}

type recWriter struct {
	mu      sync.Mutex
	samples []sampleRec
	err     error
}

func (w *recWriter) WriteSample(s Sample) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.samples = append(w.samples, sampleRec{append([]byte(nil), s.Data...), s.Timestamp, s.Duration, s.PrevDroppedPackets})
	return nil
}

func (w *recWriter) all() []sampleRec {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]sampleRec(nil), w.samples...)
}

type playout struct {
	id     int
	played time.Duration
	done   bool
}

type pwHarness struct {
	t     *testing.T
	clock *fakeClock
	w     *recWriter
	p     *PacedWriter
	ticks chan struct{}

	mu       sync.Mutex
	playouts []playout
}

func newHarness(t *testing.T, opt PacedWriterOptions) *pwHarness {
	t.Helper()
	h := &pwHarness{t: t, clock: newFakeClock(), w: &recWriter{}, ticks: make(chan struct{})}
	opt.Clock = h.clock
	opt.tickHook = func() { h.ticks <- struct{}{} }
	opt.OnPlayout = func(id int, played time.Duration, done bool) {
		h.mu.Lock()
		h.playouts = append(h.playouts, playout{id, played, done})
		h.mu.Unlock()
	}
	p, err := NewPacedWriter(h.w, opt)
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

// step delivers one tick and waits until the writer has handled it.
func (h *pwHarness) step(n int) {
	h.t.Helper()
	for range n {
		h.clock.Tick(h.t)
		<-h.ticks
	}
}

func (h *pwHarness) getPlayouts() []playout {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]playout(nil), h.playouts...)
}

func TestPacedWriterOneFramePerTick(t *testing.T) {
	h := newHarness(t, PacedWriterOptions{})
	if err := h.p.Enqueue(1, tone(48000, 48000, 440, 8000), 48000); err != nil {
		t.Fatal(err)
	}
	h.p.EndUtterance(1)
	if q := h.p.Queued(); q != time.Second {
		t.Fatalf("Queued %v, want 1s", q)
	}
	dec, err := NewOpusDecoder(48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 50; i++ {
		h.step(1)
		s := h.w.all()
		if len(s) != i {
			t.Fatalf("after tick %d: %d samples written, want %d", i, len(s), i)
		}
		last := s[i-1]
		if last.dur != FrameDuration || last.dropped != 0 {
			t.Fatalf("sample %d: duration %v dropped %d", i, last.dur, last.dropped)
		}
		if i > 1 {
			if d := last.at.Sub(s[i-2].at); d != FrameDuration {
				t.Fatalf("sample %d written %v after the previous, want 20ms", i, d)
			}
		}
		pcm, err := dec.Decode(last.data)
		if err != nil || len(pcm) != opusFrameSamples {
			t.Fatalf("sample %d decodes to %d samples, err %v", i, len(pcm), err)
		}
		if got, want := h.p.Played(1), time.Duration(i)*FrameDuration; got != want {
			t.Fatalf("Played after %d ticks: %v, want %v", i, got, want)
		}
		if got, want := h.p.Queued(), time.Duration(50-i)*FrameDuration; got != want {
			t.Fatalf("Queued after %d ticks: %v, want %v", i, got, want)
		}
	}
	h.step(5)
	if n := len(h.w.all()); n != 50 {
		t.Fatalf("%d samples after the queue ran dry, want 50", n)
	}
	po := h.getPlayouts()
	if len(po) != 50 || po[49] != (playout{1, time.Second, true}) || po[48].done {
		t.Errorf("playout callbacks: %d, last %+v", len(po), po[len(po)-1])
	}
}

func TestPacedWriterPartialFrameWaitsForEnd(t *testing.T) {
	h := newHarness(t, PacedWriterOptions{})
	if err := h.p.Enqueue(7, make([]int16, 1000), 48000); err != nil {
		t.Fatal(err)
	}
	h.step(3)
	if n := len(h.w.all()); n != 1 {
		t.Fatalf("%d samples, want 1 (40 samples wait for more PCM)", n)
	}
	if q := h.p.Queued(); q != samplesToDuration(40, 48000) {
		t.Fatalf("Queued %v", q)
	}
	h.p.EndUtterance(7)
	h.step(2)
	if n := len(h.w.all()); n != 2 {
		t.Fatalf("%d samples after EndUtterance, want 2 (padded)", n)
	}
	if p := h.p.Played(7); p != 40*time.Millisecond {
		t.Errorf("Played %v, want 40ms", p)
	}
}

func TestPacedWriterResamplesStreaming(t *testing.T) {
	h := newHarness(t, PacedWriterOptions{})
	src := tone(22050, 22050, 440, 8000) // 1 s at 22.05 kHz
	for i, k := 0, 0; i < len(src); k++ {
		n := min(len(src)-i, 37+k*101%977)
		if err := h.p.Enqueue(3, src[i:i+n], 22050); err != nil {
			t.Fatal(err)
		}
		i += n
	}
	h.p.EndUtterance(3)
	if q := h.p.Queued(); q != time.Second {
		t.Fatalf("Queued %v after EndUtterance, want 1s", q)
	}
	h.step(52)
	if n := len(h.w.all()); n != 50 {
		t.Fatalf("%d frames, want 50", n)
	}
}

func TestPacedWriterClearQueue(t *testing.T) {
	h := newHarness(t, PacedWriterOptions{})
	if err := h.p.Enqueue(1, make([]int16, 48000), 48000); err != nil {
		t.Fatal(err)
	}
	if err := h.p.Enqueue(2, make([]int16, 4800), 48000); err != nil {
		t.Fatal(err)
	}
	h.step(10)
	if d := h.p.ClearQueue(); d != 900*time.Millisecond {
		t.Fatalf("ClearQueue dropped %v, want 900ms", d)
	}
	h.step(3)
	if n := len(h.w.all()); n != 10 {
		t.Fatalf("%d frames written, want 10: output must stop within one frame", n)
	}
	if p := h.p.Played(1); p != 200*time.Millisecond {
		t.Errorf("Played(1) %v, want 200ms", p)
	}
	if p := h.p.Played(2); p != 0 {
		t.Errorf("Played(2) %v, want 0", p)
	}
	if err := h.p.WaitForPlayout(context.Background()); err != nil {
		t.Errorf("WaitForPlayout after ClearQueue: %v", err)
	}
	// The writer keeps working after a clear.
	if err := h.p.Enqueue(3, make([]int16, 960), 48000); err != nil {
		t.Fatal(err)
	}
	h.p.EndUtterance(3)
	h.step(1)
	if p := h.p.Played(3); p != FrameDuration {
		t.Errorf("Played(3) %v after clear, want 20ms", p)
	}
}

func TestPacedWriterWaitForPlayout(t *testing.T) {
	h := newHarness(t, PacedWriterOptions{})
	if err := h.p.WaitForPlayout(context.Background()); err != nil {
		t.Fatalf("empty writer: %v", err)
	}
	if err := h.p.Enqueue(1, make([]int16, 5*960), 48000); err != nil {
		t.Fatal(err)
	}
	h.p.EndUtterance(1)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.p.WaitForPlayout(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}

	res := make(chan error, 1)
	go func() { res <- h.p.WaitForPlayout(context.Background()) }()
	h.step(4)
	select {
	case err := <-res:
		t.Fatalf("WaitForPlayout returned %v with a frame still queued", err)
	default:
	}
	h.step(1)
	if err := <-res; err != nil {
		t.Fatalf("WaitForPlayout: %v", err)
	}
	if p := h.p.Played(1); p != 100*time.Millisecond {
		t.Errorf("Played %v, want 100ms", p)
	}
}

func TestPacedWriterIdleTicksAdvanceTimestamp(t *testing.T) {
	for _, tc := range []struct{ maxIdle, idle, want int }{{0, 7, 7}, {3, 7, 3}} {
		h := newHarness(t, PacedWriterOptions{MaxIdleSkip: tc.maxIdle})
		h.step(4) // idle before the first write: nothing to skip
		if err := h.p.Enqueue(1, make([]int16, 2*960), 48000); err != nil {
			t.Fatal(err)
		}
		h.p.EndUtterance(1)
		h.step(2 + tc.idle)
		if err := h.p.Enqueue(2, make([]int16, 960), 48000); err != nil {
			t.Fatal(err)
		}
		h.p.EndUtterance(2)
		h.step(2)
		s := h.w.all()
		if len(s) != 3 {
			t.Fatalf("%d samples, want 3", len(s))
		}
		if s[0].dropped != 0 || s[1].dropped != 0 {
			t.Errorf("first samples dropped %d, %d; want 0", s[0].dropped, s[1].dropped)
		}
		if int(s[2].dropped) != tc.want {
			t.Errorf("maxIdle %d: PrevDroppedPackets %d, want %d", tc.maxIdle, s[2].dropped, tc.want)
		}
		if d := s[2].at.Sub(s[1].at); d != time.Duration(tc.idle+1)*FrameDuration {
			t.Errorf("gap %v, want %v", d, time.Duration(tc.idle+1)*FrameDuration)
		}
	}
}

func TestPacedWriterUtterancesAndPlayout(t *testing.T) {
	h := newHarness(t, PacedWriterOptions{})
	// id 1: 2.5 frames, ended implicitly when id 2 starts.
	if err := h.p.Enqueue(1, make([]int16, 2400), 48000); err != nil {
		t.Fatal(err)
	}
	if err := h.p.Enqueue(2, make([]int16, 1920), 48000); err != nil {
		t.Fatal(err)
	}
	h.p.EndUtterance(2)
	if err := h.p.Enqueue(3, nil, 16000); err != nil { // ended without audio
		t.Fatal(err)
	}
	h.p.EndUtterance(3)
	h.step(7)
	want := []playout{
		{1, 20 * time.Millisecond, false}, {1, 40 * time.Millisecond, false}, {1, 60 * time.Millisecond, true},
		{2, 20 * time.Millisecond, false}, {2, 40 * time.Millisecond, true},
		{3, 0, true},
	}
	got := h.getPlayouts()
	if len(got) != len(want) {
		t.Fatalf("playouts %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("playout %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestPacedWriterStereoAndErrors(t *testing.T) {
	h := newHarness(t, PacedWriterOptions{Channels: 2})
	if err := h.p.Enqueue(1, tone(960, 48000, 440, 8000), 48000); err != nil {
		t.Fatal(err)
	}
	h.step(1)
	dec, err := NewOpusDecoder(48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	s := h.w.all()
	if len(s) != 1 {
		t.Fatalf("%d samples", len(s))
	}
	if pcm, err := dec.Decode(s[0].data); err != nil || len(pcm) != 2*960 {
		t.Fatalf("stereo frame: %d samples, %v", len(pcm), err)
	}
	if err := h.p.Enqueue(1, nil, 0); !errors.Is(err, ErrInvalidSampleRate) {
		t.Errorf("rate 0: %v", err)
	}
	// A failing track: frames are not counted as played.
	h.w.mu.Lock()
	h.w.err = errors.New("closed")
	h.w.mu.Unlock()
	if err := h.p.Enqueue(1, make([]int16, 960), 48000); err != nil {
		t.Fatal(err)
	}
	h.step(1)
	if p := h.p.Played(1); p != FrameDuration {
		t.Errorf("Played %v after a failed write, want 20ms", p)
	}
	if _, err := NewPacedWriter(nil, PacedWriterOptions{}); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("nil writer: %v", err)
	}
	if _, err := NewPacedWriter(h.w, PacedWriterOptions{MaxIdleSkip: 40000}); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("MaxIdleSkip 40000: %v", err)
	}
}

func TestPacedWriterClose(t *testing.T) {
	p, err := NewPacedWriter(&recWriter{}, PacedWriterOptions{}) // real clock
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Enqueue(1, make([]int16, 48000), 48000); err != nil {
		t.Fatal(err)
	}
	res := make(chan error, 1)
	go func() { res <- p.WaitForPlayout(context.Background()) }()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := <-res; !errors.Is(err, ErrClosed) {
		t.Errorf("WaitForPlayout across Close: %v", err)
	}
	if err := p.Enqueue(1, make([]int16, 960), 48000); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Close: %v", err)
	}
	// goleak (TestMain) checks the writer goroutine is gone.
}

func TestPacedWriterPauseResume(t *testing.T) {
	h := newHarness(t, PacedWriterOptions{})
	if err := h.p.Enqueue(1, make([]int16, 48000/5), 48000); err != nil { // 200 ms
		t.Fatal(err)
	}
	h.p.EndUtterance(1)
	h.step(3)
	h.p.Pause()
	if !h.p.Paused() {
		t.Fatal("not paused")
	}
	h.step(5)
	if n := len(h.w.all()); n != 3 {
		t.Fatalf("%d frames written while paused, want 3", n)
	}
	if q := h.p.Queued(); q != 140*time.Millisecond {
		t.Fatalf("pause dropped audio: queued %v", q)
	}
	h.p.Resume()
	h.step(7)
	s := h.w.all()
	if len(s) != 10 || h.p.Played(1) != 200*time.Millisecond {
		t.Fatalf("after resume: %d frames, played %v", len(s), h.p.Played(1))
	}
	if s[3].dropped != 5 {
		t.Fatalf("first frame after the pause reports %d idle ticks, want 5", s[3].dropped)
	}
}

func TestPacedWriterSetOnPlayout(t *testing.T) {
	h := newHarness(t, PacedWriterOptions{})
	var got []time.Duration
	h.p.SetOnPlayout(func(id int, played time.Duration, done bool) { got = append(got, played) })
	if err := h.p.Enqueue(2, make([]int16, 960*2), 48000); err != nil {
		t.Fatal(err)
	}
	h.p.EndUtterance(2)
	h.step(3)
	if len(got) != 2 || got[1] != 40*time.Millisecond {
		t.Fatalf("callback saw %v", got)
	}
	if po := h.getPlayouts(); len(po) != 0 {
		t.Fatalf("replaced callback still called: %v", po)
	}
}

// resetClock is a fakeClock whose ticker can be reset (like time.Ticker),
// which lets the writer send the first frame of a talk spurt at once.
type resetClock struct {
	*fakeClock
	resets chan time.Duration
}

type resetTicker struct {
	*fakeTicker
	resets chan time.Duration
}

func (t resetTicker) Reset(d time.Duration) { t.resets <- d }

func (c resetClock) NewTicker(d time.Duration) clock.Ticker {
	return resetTicker{c.fakeClock.NewTicker(d).(*fakeTicker), c.resets}
}

// waitFrames waits until the writer has written n frames.
func waitFrames(t *testing.T, w *recWriter, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(w.all()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d frames written, want %d", len(w.all()), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPacedWriterStartsTalkSpurtAtOnce(t *testing.T) {
	h := &pwHarness{t: t, clock: newFakeClock(), w: &recWriter{}, ticks: make(chan struct{})}
	rc := resetClock{h.clock, make(chan time.Duration, 8)}
	p, err := NewPacedWriter(h.w, PacedWriterOptions{Clock: rc, tickHook: func() { h.ticks <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	h.p = p

	// Idle writer: the first frame goes out without waiting for a tick,
	// and the ticker restarts from it.
	if err := p.Enqueue(1, tone(4800, 48000, 440, 8000), 48000); err != nil { // 5 frames
		t.Fatal(err)
	}
	p.EndUtterance(1)
	waitFrames(t, h.w, 1)
	if d := <-rc.resets; d != FrameDuration {
		t.Fatalf("ticker reset to %v", d)
	}
	// The rest follow one per tick.
	for i := 2; i <= 5; i++ {
		h.step(1)
		if n := len(h.w.all()); n != i {
			t.Fatalf("after tick %d: %d frames", i-1, n)
		}
	}
	h.step(1) // the tick that finds the queue empty
	// A new utterance less than a period after the last frame waits for
	// the tick: never two frames within 20 ms.
	h.clock.mu.Lock() // as if the last frame went out less than a period ago
	h.clock.now = h.clock.now.Add(-FrameDuration / 2)
	h.clock.mu.Unlock()
	if err := p.Enqueue(2, tone(1920, 48000, 440, 8000), 48000); err != nil { // 2 frames
		t.Fatal(err)
	}
	p.EndUtterance(2)
	time.Sleep(20 * time.Millisecond) // room for a wrong kick to show
	if n := len(h.w.all()); n != 5 {
		t.Fatalf("%d frames before the next tick, want 5", n)
	}
	h.step(1)
	h.step(1)
	if n := len(h.w.all()); n != 7 {
		t.Fatalf("%d frames, want 7", n)
	}
	select {
	case d := <-rc.resets:
		t.Fatalf("unexpected ticker reset (%v)", d)
	default:
	}
	// After idle ticks, the next utterance starts at once again.
	h.step(3)
	if err := p.Enqueue(3, tone(960, 48000, 440, 8000), 48000); err != nil {
		t.Fatal(err)
	}
	waitFrames(t, h.w, 8)
	<-rc.resets
	if s := h.w.all()[7]; s.dropped == 0 {
		t.Fatalf("first frame after idle ticks reports %d skipped frames", s.dropped)
	}
}

func TestPacedWriterSetOnReference(t *testing.T) {
	h := newHarness(t, PacedWriterOptions{})
	var frames [][]int16
	h.p.SetOnReference(func(pcm []int16, _ time.Time) { frames = append(frames, append([]int16(nil), pcm...)) })
	pcm := make([]int16, 960*2)
	for i := range pcm {
		pcm[i] = int16(i)
	}
	if err := h.p.Enqueue(1, pcm, 48000); err != nil {
		t.Fatal(err)
	}
	h.p.EndUtterance(1)
	h.step(4) // two frames, then idle ticks that report nothing
	if len(frames) != 2 {
		t.Fatalf("reference frames %d, want 2", len(frames))
	}
	if frames[1][0] != 960 || frames[1][959] != 1919 {
		t.Fatalf("second reference frame starts %d ends %d, want the PCM sent", frames[1][0], frames[1][959])
	}
}
