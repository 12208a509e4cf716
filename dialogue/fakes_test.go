package dialogue

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/llm"
	dmedia "github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/tts"
	"github.com/duplex-ai/duplex/vad"
)

// ---- clocks ----

// fakeClock serves both the engine (Clock) and the paced writer
// (media.Clock). Timers fire only when the test says so; the writer's
// ticker ticks only on tick().
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	tickC  chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 28, 15, 4, 0, 0, time.UTC), tickC: make(chan time.Time)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clk: c, c: make(chan time.Time, 1), at: c.now.Add(d), active: true}
	c.timers = append(c.timers, t)
	return t
}

// fire fires every active timer due by now+d.
func (c *fakeClock) fire(d time.Duration) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if t.active && !t.at.After(c.now.Add(d)) {
			t.active = false
			if t.f != nil {
				go t.f()
			} else {
				t.c <- c.now
			}
			n++
		}
	}
	return n
}

func (c *fakeClock) NewTicker(time.Duration) clock.Ticker { return fakeTicker{c.tickC} }

// AfterFunc runs f when fire reaches it.
func (c *fakeClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clk: c, f: f, at: c.now.Add(d), active: true}
	c.timers = append(c.timers, t)
	return t
}

type fakeTimer struct {
	clk    *fakeClock // its mu guards active
	c      chan time.Time
	f      func()
	at     time.Time
	active bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }
func (t *fakeTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := t.active
	t.active = false
	return was
}

type fakeTicker struct{ c chan time.Time }

func (t fakeTicker) C() <-chan time.Time { return t.c }
func (t fakeTicker) Stop()               {}

// ---- sample recorder ----

type recorder struct {
	mu sync.Mutex
	n  int
}

func (r *recorder) WriteSample(dmedia.Sample) error {
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// ---- detector: a frame is speech when its first sample is non-zero ----

type fakeDetector struct {
	// maxFrames, when set, caps an utterance (like vad's MaxUtterance).
	maxFrames       int
	capped          bool
	speech, silence int
	onset           time.Duration
	active          bool
	preroll         []int16
}

const (
	fdStart = 5  // 100 ms of speech starts a turn
	fdEnd   = 10 // 200 ms of silence ends it
)

func (d *fakeDetector) Push(pcm []int16, at time.Duration) []vad.Event {
	if len(pcm) > 0 && pcm[0] != 0 {
		if d.capped {
			return nil // wait for silence after a cut
		}
		if d.maxFrames > 0 && d.active && d.speech+1 >= d.maxFrames {
			d.active, d.capped, d.speech = false, true, 0
			end := at + dmedia.FrameDuration
			return []vad.Event{{Type: vad.SpeechEnded, At: end, Duration: end - d.onset, Capped: true}}
		}
		if d.speech == 0 {
			d.onset = at
		}
		d.speech++
		d.silence = 0
		d.preroll = append(d.preroll, pcm...)
		if !d.active && d.speech >= fdStart {
			d.active = true
			return []vad.Event{{Type: vad.SpeechStarted, At: d.onset}}
		}
		return nil
	}
	d.silence++
	d.capped = false
	if !d.active {
		d.speech = 0
		d.preroll = d.preroll[:0]
		return nil
	}
	if d.silence >= fdEnd {
		d.active = false
		d.speech = 0
		end := at + dmedia.FrameDuration - fdEnd*dmedia.FrameDuration
		return []vad.Event{{Type: vad.SpeechEnded, At: end, Duration: end - d.onset}}
	}
	return nil
}

func (d *fakeDetector) PreRoll() []int16 {
	p := d.preroll
	d.preroll = nil
	return p
}

func (d *fakeDetector) Reset() { *d = fakeDetector{} }

// ---- STT: each Finish pops the next scripted transcript ----

type fakeSTT struct {
	mu      sync.Mutex
	texts   []string
	partial string
	err     error
	written int // samples written to the latest stream
	streams int // streams opened
	// stall makes Finish wait for its context.
	stall bool
	// push: streams report partials through OnPartial (kept in onPartial)
	// as stt/sphinx's do.
	push      bool
	onPartial func(src stt.PartialSource, text string, samples int)
	// hold, when set, makes Finish wait for a value on it.
	hold chan struct{}
	// noLive: the engine says its streams have no live partials (as
	// -stt openai's and the Realtime brain's do not).
	noLive bool
}

// LivePartials implements stt.LivePartialer.
func (s *fakeSTT) LivePartials() bool { return !s.noLive }

// pushPartial calls the newest stream's OnPartial callback, as a
// recogniser's worker does when it decodes a new partial.
func (s *fakeSTT) pushPartial(text string) {
	s.mu.Lock()
	f := s.onPartial
	s.mu.Unlock()
	f(stt.PartialFirst, text, 0)
}

// pushPartialAt is pushPartial from either pass, covering samples of the
// stream's audio.
func (s *fakeSTT) pushPartialAt(src stt.PartialSource, text string, samples int) {
	s.mu.Lock()
	f := s.onPartial
	s.mu.Unlock()
	f(src, text, samples)
}

// pushingStream is a fakeSTTStream that also pushes its partials.
type pushingStream struct{ *fakeSTTStream }

func (p pushingStream) OnPartial(f func(stt.PartialSource, string, int)) {
	p.s.mu.Lock()
	p.s.onPartial = f
	p.s.mu.Unlock()
}

func (s *fakeSTT) Name() string { return "fake-stt" }
func (s *fakeSTT) NewStream(ctx context.Context, _ stt.StreamOptions) (stt.Stream, error) {
	s.mu.Lock()
	s.streams++
	s.written = 0
	push := s.push
	s.mu.Unlock()
	if push {
		return pushingStream{&fakeSTTStream{s: s}}, nil
	}
	return &fakeSTTStream{s: s}, nil
}

func (s *fakeSTT) say(texts ...string) {
	s.mu.Lock()
	s.texts = append(s.texts, texts...)
	s.mu.Unlock()
}

type fakeSTTStream struct {
	s      *fakeSTT
	closed bool
}

func (f *fakeSTTStream) Write(pcm []int16) error {
	if f.closed {
		return stt.ErrClosed
	}
	f.s.mu.Lock()
	f.s.written += len(pcm)
	f.s.mu.Unlock()
	return nil
}
func (f *fakeSTTStream) Partial() string {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	return f.s.partial
}
func (f *fakeSTTStream) Finish(ctx context.Context) (stt.Result, error) {
	f.s.mu.Lock()
	stall, hold := f.s.stall, f.s.hold
	f.s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return stt.Result{}, ctx.Err()
		}
	}
	if stall {
		<-ctx.Done()
		return stt.Result{}, ctx.Err()
	}
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	if f.s.err != nil {
		return stt.Result{}, f.s.err
	}
	if len(f.s.texts) == 0 {
		return stt.Result{Confidence: -1}, nil
	}
	t := f.s.texts[0]
	f.s.texts = f.s.texts[1:]
	return stt.Result{Text: t, Confidence: 1}, nil
}
func (f *fakeSTTStream) Close() error { f.closed = true; return nil }

// ---- LLM: streams a scripted reply word by word; records requests ----

type fakeLLM struct {
	mu    sync.Mutex
	reply string
	err   error
	stall bool
	// stallFirst: the first stallFirst requests stall (a reply in flight);
	// with hold set they wait for it to close instead.
	stallFirst int
	hold       chan struct{}
	reqs       []llm.Request
}

func (l *fakeLLM) Name() string { return "fake-llm" }
func (l *fakeLLM) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, req)
	if l.err != nil {
		return nil, l.err
	}
	words := strings.SplitAfter(l.reply, " ")
	first := len(l.reqs) <= l.stallFirst
	if first && l.hold != nil {
		return &fakeLLMStream{ctx: ctx, words: words, hold: l.hold}, nil
	}
	return &fakeLLMStream{ctx: ctx, words: words, stall: l.stall || first}, nil
}

func (l *fakeLLM) requests() []llm.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]llm.Request(nil), l.reqs...)
}

type fakeLLMStream struct {
	ctx   context.Context
	words []string
	stall bool
	hold  <-chan struct{} // closed: the words come
}

func (s *fakeLLMStream) Next() (string, error) {
	if s.hold != nil {
		select {
		case <-s.hold:
			s.hold = nil
		case <-s.ctx.Done():
			return "", s.ctx.Err()
		}
	}
	if s.stall {
		<-s.ctx.Done()
		return "", s.ctx.Err()
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
func (s *fakeLLMStream) Close() error { return nil }

// ---- TTS: 10 ms of 16 kHz audio per byte of text, a mark per word ----

type fakeTTS struct {
	mu  sync.Mutex
	err error
	// eof, when set, gets a value each time a stream has given all its
	// audio (its chunks went to the reply before).
	eof chan struct{}
}

const ttsPerByte = 10 * time.Millisecond

func (f *fakeTTS) Name() string { return "fake-tts" }
func (f *fakeTTS) Synthesize(ctx context.Context, text string, _ tts.Options) (tts.Stream, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if text == "" {
		return nil, errors.New("empty text")
	}
	perByte := int(ttsPerByte * 16000 / time.Second)
	pcm := make([]int16, len(text)*perByte)
	for i := range pcm {
		pcm[i] = 1000
	}
	var marks []tts.Mark
	for i := 0; i < len(text); i++ {
		if i == 0 || (text[i-1] == ' ' && text[i] != ' ') {
			marks = append(marks, tts.Mark{TextOffset: i, Sample: i * perByte})
		}
	}
	return &fakeTTSStream{ctx: ctx, chunks: []tts.Chunk{{PCM: pcm, SampleRate: 16000, Marks: marks}}, eof: f.eof}, nil
}

type fakeTTSStream struct {
	ctx    context.Context
	chunks []tts.Chunk
	eof    chan struct{}
}

func (s *fakeTTSStream) Next() (tts.Chunk, error) {
	if err := s.ctx.Err(); err != nil {
		return tts.Chunk{}, err
	}
	if len(s.chunks) == 0 {
		if s.eof != nil {
			select {
			case s.eof <- struct{}{}:
			default:
			}
		}
		return tts.Chunk{}, io.EOF
	}
	c := s.chunks[0]
	s.chunks = s.chunks[1:]
	return c, nil
}
func (s *fakeTTSStream) Close() error { return nil }

// io is the pipeline IO of a harness: events reach the test as the events
// protocol's wire messages.
func (h *harness) io(out pipeline.AudioOut) *pipeline.IO {
	return &pipeline.IO{
		CallID: "test", Frames: h.frames, Commands: h.cmds, Out: out, Log: zerolog.Nop(),
		Events: pipeline.SinkFunc(func(ev pipeline.Event) {
			switch ev.(type) {
			case pipeline.NothingHeard:
				h.nothingHeard.Add(1)
			case pipeline.ReplyDone, pipeline.ReplyInterrupted:
				h.replyMu.Lock()
				h.replyEvs = append(h.replyEvs, ev)
				h.replyMu.Unlock()
			}
			if w, ok := events.Wire(ev); ok {
				h.evs <- w
			}
		}),
	}
}
