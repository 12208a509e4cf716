package dialogue

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/llm"
	dmedia "github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/vad"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const story = "Once upon a time there was a small robot. It liked to sing songs in the rain. One day it met a cat who could dance. They became friends and travelled far away. " +
	"They crossed rivers and mountains, and every night the robot sang while the cat danced under the stars. " +
	"In the end they built a little house by the sea, and they lived there happily for many years."

type harness struct {
	t      *testing.T
	clock  *fakeClock
	rec    *recorder
	out    *dmedia.PacedWriter
	frames chan dmedia.Frame
	cmds   chan pipeline.Command
	evs    chan events.Event
	seen   []events.Event
	stt    *fakeSTT
	llm    *fakeLLM
	tts    *fakeTTS
	at     time.Duration
	// nothingHeard counts pipeline.NothingHeard (not on the events wire).
	nothingHeard atomic.Int32
	// stop ends Run with a cause and waits for it, once.
	stop func(cause error)
	// replyEvs are the ReplyDone and ReplyInterrupted events, as emitted.
	replyMu  sync.Mutex
	replyEvs []pipeline.Event
}

func newHarness(t *testing.T, mut func(*Options)) *harness {
	t.Helper()
	h := &harness{
		t: t, clock: newFakeClock(), rec: &recorder{},
		frames: make(chan dmedia.Frame), cmds: make(chan pipeline.Command),
		evs: make(chan events.Event, 4096),
		stt: &fakeSTT{}, llm: &fakeLLM{reply: story}, tts: &fakeTTS{},
	}
	out, err := dmedia.NewPacedWriter(h.rec, dmedia.PacedWriterOptions{Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	h.out = out
	opt := Options{
		STT: h.stt, LLM: h.llm, TTS: h.tts,
		NewDetector: func() Detector { return &fakeDetector{} },
		Clock:       h.clock,
		Metrics:     NewMetrics(),
	}
	if mut != nil {
		mut(&opt)
	}
	a, err := NewAssistant(opt)
	if err != nil {
		t.Fatal(err)
	}
	io := h.io(out)
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, io) }()
	var once sync.Once
	h.stop = func(cause error) {
		once.Do(func() {
			cancel(cause)
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		h.stop(nil)
		_ = out.Close()
	})
	h.waitFor("initial listening", isState(events.StateListening))
	return h
}

func (h *harness) frame(v int16) {
	pcm := make([]int16, dmedia.FrameSamples)
	for i := range pcm {
		pcm[i] = v
	}
	h.frames <- dmedia.Frame{PCM: pcm, At: h.at}
	h.at += dmedia.FrameDuration
}

func (h *harness) speech(n int) {
	for range n {
		h.frame(1000)
	}
}

func (h *harness) silence(n int) {
	for range n {
		h.frame(0)
	}
}

func (h *harness) tick(n int) {
	for range n {
		h.clock.tickC <- h.clock.Now()
	}
}

// say speaks an utterance the fake STT will transcribe as text.
func (h *harness) say(text string, frames int) {
	h.stt.say(text)
	h.speech(frames)
	h.silence(fdEnd)
}

func isType(typ string) func(events.Event) bool {
	return func(ev events.Event) bool { return ev.Type == typ }
}

func isState(s string) func(events.Event) bool {
	return func(ev events.Event) bool { return ev.Type == events.TypeState && ev.State == s }
}

// waitFor returns the next event matching pred, ticking the writer while
// waiting so audio keeps flowing.
func (h *harness) waitFor(what string, pred func(events.Event) bool) events.Event {
	h.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-h.evs:
			h.seen = append(h.seen, ev)
			if pred(ev) {
				return ev
			}
		case <-deadline:
			h.t.Fatalf("no %s; saw %s", what, h.trace())
		}
	}
}

// waitFiring waits for pred while firing the clock's timers due within d
// (a timer armed after the first look still fires).
func (h *harness) waitFiring(what string, d time.Duration, pred func(events.Event) bool) events.Event {
	h.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		h.clock.fire(d)
		select {
		case ev := <-h.evs:
			h.seen = append(h.seen, ev)
			if pred(ev) {
				return ev
			}
		case <-time.After(time.Millisecond):
		case <-deadline:
			h.t.Fatalf("no %s; saw %s", what, h.trace())
		}
	}
}

// waitPlaying waits for pred while ticking the writer.
func (h *harness) waitPlaying(what string, pred func(events.Event) bool) events.Event {
	h.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-h.evs:
			h.seen = append(h.seen, ev)
			if pred(ev) {
				return ev
			}
		case <-deadline:
			h.t.Fatalf("no %s while playing; saw %s", what, h.trace())
		case <-time.After(time.Millisecond):
			h.tick(1)
		}
	}
}

// none checks that no event matching pred has arrived so far.
func (h *harness) none(what string, pred func(events.Event) bool) {
	h.t.Helper()
	for {
		select {
		case ev := <-h.evs:
			h.seen = append(h.seen, ev)
			continue
		default:
		}
		break
	}
	for _, ev := range h.seen {
		if pred(ev) {
			h.t.Fatalf("unexpected %s: %+v; saw %s", what, ev, h.trace())
		}
	}
}

// seenCount is how many of the events seen so far match pred.
func (h *harness) seenCount(pred func(events.Event) bool) int {
	n := 0
	for _, ev := range h.seen {
		if pred(ev) {
			n++
		}
	}
	return n
}

// deltas joins the text of the reply.delta events seen so far.
func (h *harness) deltas() string {
	var b strings.Builder
	for _, ev := range h.seen {
		if ev.Type == events.TypeReplyDelta {
			b.WriteString(ev.Text)
		}
	}
	return b.String()
}

func (h *harness) trace() string {
	var b strings.Builder
	for _, ev := range h.seen {
		b.WriteString(ev.Type)
		if ev.State != "" {
			b.WriteString("(" + ev.State + ")")
		}
		b.WriteString(" ")
	}
	return b.String()
}

func TestNormalTurn(t *testing.T) {
	h := newHarness(t, nil)
	h.llm.reply = "It is three o'clock. Anything else?"
	h.say("what time is it", 20)
	if ev := h.waitFor("user_speaking", isState(events.StateUserSpeaking)); ev.TurnID != 0 {
		t.Fatalf("user_speaking before the first turn carries turn_id %d", ev.TurnID)
	}
	h.waitFor("thinking", isState(events.StateThinking))
	fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal))
	if fin.Text != "what time is it" || fin.TurnID != 1 || fin.Understood == nil || !*fin.Understood {
		t.Fatalf("transcript %+v", fin)
	}
	if ev := h.waitPlaying("speaking", isState(events.StateSpeaking)); ev.TurnID != 1 {
		t.Fatalf("speaking carries turn_id %d, want 1", ev.TurnID)
	}
	m := h.waitFor("metrics", isType(events.TypeTurnMetrics))
	if m.Metrics == nil || m.Metrics.EndpointMS != 200 || m.Metrics.LatencyMS < m.Metrics.EndpointMS {
		t.Fatalf("metrics %+v", m.Metrics)
	}
	done := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if done.Text != "It is three o'clock. Anything else?" {
		t.Fatalf("reply.done %q", done.Text)
	}
	if ev := h.waitFor("listening", isState(events.StateListening)); ev.TurnID != 1 {
		t.Fatalf("listening after turn 1 carries turn_id %d", ev.TurnID)
	}
	// All of the reply's audio went out: 35 bytes × 10 ms = 350 ms, plus padding.
	if p := h.out.Played(1); p < 340*time.Millisecond || p > 400*time.Millisecond {
		t.Fatalf("played %v of the reply", p)
	}
	if d := h.deltas(); d != done.Text {
		t.Fatalf("deltas %q != done %q", d, done.Text)
	}
	if h.stt.written < 20*dmedia.FrameSamples {
		t.Fatalf("STT got %d samples, want the whole utterance with pre-roll", h.stt.written)
	}

	// Memory: the second request carries both turns.
	h.say("and the date", 20)
	h.waitPlaying("second reply.done", isType(events.TypeReplyDone))
	reqs := h.llm.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d LLM requests", len(reqs))
	}
	hist := reqs[1].History
	if len(hist) != 3 || hist[0].Text != "what time is it" || hist[1].Role != llm.RoleAssistant || hist[2].Text != "and the date" {
		t.Fatalf("history %+v", hist)
	}
}

// TestUtteranceCap: an utterance that reaches the cap is cut and answered
// without waiting for silence.
func TestUtteranceCap(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.NewDetector = func() Detector { return &fakeDetector{maxFrames: 50} }
	})
	h.llm.reply = "That was a long one."
	h.stt.say("blah blah blah")
	h.speech(80) // 1.6 s of speech, cut at 1 s; no silence follows yet
	fin := h.waitFor("transcript of the capped utterance", isType(events.TypeTranscriptFinal))
	if fin.Text != "blah blah blah" {
		t.Fatalf("%+v", fin)
	}
	h.waitPlaying("reply", isType(events.TypeReplyDone))
}

func TestNoiseDoesNotReply(t *testing.T) {
	h := newHarness(t, nil)
	h.say("", 20) // recognised as nothing
	h.waitFor("thinking", isState(events.StateThinking))
	h.waitFor("listening", isState(events.StateListening))
	h.none("reply", isType(events.TypeTranscriptFinal))
	if n := len(h.llm.requests()); n != 0 {
		t.Fatalf("%d LLM requests for noise", n)
	}
}

// bargeIn lets the story play for offset frames, then interrupts.
func bargeIn(t *testing.T, offset int) (heard string) {
	h := newHarness(t, nil)
	h.say("tell me a story", 20)
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.tick(offset)
	h.stt.say("wait, what about the cat")
	h.speech(fdStart + 2) // 120 ms: the reply pauses (the extra frame waits for the engine)
	h.tick(1)             // and for the writer's tick in flight
	before := h.out.Played(1)
	h.tick(10)
	if after := h.out.Played(1); after != before {
		t.Fatalf("offset %d: audio went on after the onset: %v → %v", offset, before, after)
	}
	h.speech(10)
	h.silence(fdEnd)
	ev := h.waitFor("reply.interrupted", isType(events.TypeReplyInterrupted))
	if ev.TurnID != 1 || !strings.HasPrefix(story, ev.Heard) {
		t.Fatalf("offset %d: heard %q is not a prefix of the story", offset, ev.Heard)
	}
	played := h.out.Played(1)
	h.tick(20)
	if h.out.Played(1) != played {
		t.Fatal("interrupted reply kept playing")
	}
	// The heard part matches the playback position: every heard word
	// started before it, the next one did not (10 ms per byte).
	// (pieces are trimmed, so a heard byte can sit at most a few bytes
	// later in the audio than in the text; the next word must not have started)
	// A word counts as heard once its start was played.
	lastWord := 0
	if f := strings.Fields(ev.Heard); len(f) > 0 {
		lastWord = len(f[len(f)-1])
	}
	if got := time.Duration(len(ev.Heard)-lastWord) * ttsPerByte; got > played+ttsPerByte*8 {
		t.Fatalf("offset %d: heard %d bytes but only %v played", offset, len(ev.Heard), played)
	}
	if rest := strings.TrimPrefix(story, ev.Heard); rest != "" {
		next := strings.Fields(rest)[0]
		if reach := time.Duration(len(ev.Heard)+len(next)+2) * ttsPerByte; reach < played-ttsPerByte*8 {
			t.Fatalf("offset %d: %v played but heard stops at %q, before %q", offset, played, ev.Heard, next)
		}
	}
	h.waitFor("new turn", func(e events.Event) bool { return e.Type == events.TypeTranscriptFinal && e.TurnID == 2 })
	h.waitPlaying("reply to the interruption", func(e events.Event) bool { return e.Type == events.TypeReplyDelta && e.TurnID == 2 })
	reqs := h.llm.requests()
	last := reqs[len(reqs)-1].History
	if ev.Heard != "" {
		a := last[len(last)-2]
		if a.Role != llm.RoleAssistant || a.Text != ev.Heard || !a.Interrupted {
			t.Fatalf("history keeps %+v, want the heard text %q", a, ev.Heard)
		}
	}
	for _, m := range last {
		if m.Role == llm.RoleAssistant && m.Text == story {
			t.Fatal("history kept the unheard story")
		}
	}
	return ev.Heard
}

func TestBargeInAtOffsets(t *testing.T) {
	var heard string
	for _, off := range []int{0, 10, 40, 80, 120} {
		heard = bargeIn(t, off)
		t.Logf("after %d frames heard %q", off, heard)
	}
	if heard == "" {
		t.Fatal("nothing heard even after 2.4 s of the story")
	}
}

func TestCoughDoesNotInterrupt(t *testing.T) {
	h := newHarness(t, nil)
	h.llm.reply = "A short answer for you. With two sentences."
	h.say("hello", 20)
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.speech(4) // 80 ms
	h.silence(3)
	h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	h.none("interruption", isType(events.TypeReplyInterrupted))
}

// TestBackchannelResumes: "mm hmm" over a reply resumes it, on a stream
// with live partials and on one without.
func TestBackchannelResumes(t *testing.T) {
	for name, mut := range map[string]func(*Options){"live partials": nil, "no live partials": noLivePartials} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, mut)
			h.say("tell me a story", 20)
			h.waitPlaying("speaking", isState(events.StateSpeaking))
			h.tick(10)
			h.say("mm hmm", 12)
			h.waitFor("resumed speaking", isState(events.StateSpeaking))
			done := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
			if done.Text != story {
				t.Fatalf("reply.done %q", done.Text)
			}
			h.none("interruption", isType(events.TypeReplyInterrupted))
			if n := len(h.llm.requests()); n != 1 {
				t.Fatalf("backchannel started a new reply (%d requests)", n)
			}
		})
	}
}

func TestFalseInterruptionResumes(t *testing.T) {
	h := newHarness(t, nil)
	h.llm.reply = "A short answer for you. With two sentences."
	h.say("hello", 20)
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.speech(8) // paused now, no words recognised yet
	h.tick(1)
	played := h.out.Played(1)
	h.tick(5)
	if h.out.Played(1) != played {
		t.Fatal("not paused")
	}
	if n := h.clock.fire(1500 * time.Millisecond); n != 1 {
		t.Fatalf("%d timers fired", n)
	}
	// The noise goes on; once the engine takes the timer the reply resumes.
	resumed := false
	for i := 0; i < 50 && !resumed; i++ {
		h.speech(1)
		h.tick(1)
		h.tick(1)
		resumed = h.out.Played(1) > played
	}
	if !resumed {
		t.Fatal("not resumed after the false-interruption timeout")
	}
	h.silence(fdEnd) // the noise ends: nothing recognised
	h.waitFor("speaking again", isState(events.StateSpeaking))
	done := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if done.Text != "A short answer for you. With two sentences." {
		t.Fatalf("reply.done %q", done.Text)
	}
	h.none("interruption", isType(events.TypeReplyInterrupted))
}

func TestHalfDuplexIgnoresSpeechWhileSpeaking(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Mode = pipeline.ModeHalfDuplex })
	h.llm.reply = "A short answer for you. With two sentences."
	h.say("hello", 20)
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.say("this is ignored", 20)
	h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	h.none("interruption", isType(events.TypeReplyInterrupted))
	h.none("user speaking over the reply", func(e events.Event) bool {
		return e.Type == events.TypeTranscriptFinal && e.TurnID == 2
	})
	// Push-to-talk is heard, and cuts the reply.
	h.llm.reply = story
	h.stt.texts = nil
	h.say("tell me a story", 20)
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.stt.say("stop")
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputAudioStart}
	h.waitFor("interrupted by push-to-talk", isType(events.TypeReplyInterrupted))
	h.silence(5)
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputAudioStop}
	fin := h.waitFor("push-to-talk transcript", func(e events.Event) bool { return e.Type == events.TypeTranscriptFinal && e.Text == "stop" })
	_ = fin
}

func TestTextInputAndCancel(t *testing.T) {
	h := newHarness(t, nil)
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputText, Text: "tell me a story"}
	fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal))
	if fin.Text != "tell me a story" {
		t.Fatalf("%+v", fin)
	}
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.tick(30)
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCancel}
	ev := h.waitFor("interrupted", isType(events.TypeReplyInterrupted))
	if !strings.HasPrefix(story, ev.Heard) || ev.Heard == "" {
		t.Fatalf("heard %q", ev.Heard)
	}
	h.waitFor("listening", isState(events.StateListening))
}

func TestStageFailures(t *testing.T) {
	t.Run("stt", func(t *testing.T) {
		h := newHarness(t, nil)
		h.stt.err = errors.New("recognizer crashed")
		h.say("x", 20)
		ev := h.waitFor("error", isType(events.TypeError))
		if ev.Code != events.CodeBackendFailed || !strings.HasPrefix(ev.Message, "stt:") {
			t.Fatalf("%+v", ev)
		}
		done := h.waitPlaying("apology", isType(events.TypeReplyDone))
		if !strings.Contains(done.Text, "Sorry") {
			t.Fatalf("apology %q", done.Text)
		}
		// The next turn works.
		h.stt.err = nil
		h.llm.reply = "Fine."
		h.say("hello", 20)
		if d := h.waitPlaying("next reply", isType(events.TypeReplyDone)); d.Text != "Fine." {
			t.Fatalf("next reply %q", d.Text)
		}
	})
	t.Run("llm", func(t *testing.T) {
		h := newHarness(t, nil)
		h.llm.err = errors.New("500 internal error")
		h.say("hello", 20)
		ev := h.waitFor("error", isType(events.TypeError))
		if !strings.HasPrefix(ev.Message, "llm:") {
			t.Fatalf("%+v", ev)
		}
		done := h.waitPlaying("apology", isType(events.TypeReplyDone))
		if !strings.Contains(done.Text, "Sorry") {
			t.Fatalf("apology %q", done.Text)
		}
		h.waitFor("listening", isState(events.StateListening))
	})
	t.Run("stt stall", func(t *testing.T) {
		h := newHarness(t, func(o *Options) { o.STTTimeout = 2 * time.Second })
		h.stt.mu.Lock()
		h.stt.stall = true
		h.stt.mu.Unlock()
		h.say("hello", 20)
		h.waitFor("thinking", isState(events.StateThinking))
		if n := h.clock.fire(time.Second); n != 0 {
			t.Fatalf("%d timers fired a second into the wait", n)
		}
		ev := h.waitFiring("error", 2*time.Second, isType(events.TypeError))
		if !strings.HasPrefix(ev.Message, "stt: no transcript within 2s") {
			t.Fatalf("%+v", ev)
		}
		h.waitPlaying("apology", isType(events.TypeReplyDone))
	})
	t.Run("llm stall", func(t *testing.T) {
		h := newHarness(t, func(o *Options) { o.LLMTimeout = 50 * time.Millisecond })
		h.llm.stall = true
		h.say("hello", 20)
		ev := h.waitFiring("error", 50*time.Millisecond, isType(events.TypeError))
		if !strings.Contains(ev.Message, "no reply within") {
			t.Fatalf("%+v", ev)
		}
		h.waitPlaying("apology", isType(events.TypeReplyDone))
	})
	t.Run("tts", func(t *testing.T) {
		h := newHarness(t, nil)
		h.tts.err = errors.New("synthesizer gone")
		h.say("hello", 20)
		ev := h.waitFor("error", isType(events.TypeError))
		if !strings.HasPrefix(ev.Message, "tts:") {
			t.Fatalf("%+v", ev)
		}
		h.waitFor("listening", isState(events.StateListening))
		h.tts.err = nil
		h.llm.reply = "Back again."
		h.say("hello", 20)
		if d := h.waitPlaying("next reply", isType(events.TypeReplyDone)); d.Text != "Back again." {
			t.Fatalf("next reply %q", d.Text)
		}
	})
}

func TestHeardText(t *testing.T) {
	pieces := []brain.Piece{
		{Text: "Hello there.", Start: 0, End: 120 * time.Millisecond, Marks: []brain.WordMark{{TextOffset: 0, At: 0}, {TextOffset: 6, At: 60 * time.Millisecond}}},
		{Text: "How are you?", Start: 120 * time.Millisecond, End: 240 * time.Millisecond, Marks: []brain.WordMark{{TextOffset: 0, At: 120 * time.Millisecond}, {TextOffset: 4, At: 160 * time.Millisecond}, {TextOffset: 8, At: 200 * time.Millisecond}}},
		{Text: "No marks here.", Start: 240 * time.Millisecond, End: 400 * time.Millisecond},
	}
	cases := []struct {
		played time.Duration
		want   string
	}{
		{0, ""},
		{30 * time.Millisecond, "Hello"},
		{100 * time.Millisecond, "Hello there."},
		{120 * time.Millisecond, "Hello there."},
		{170 * time.Millisecond, "Hello there. How are"},
		{230 * time.Millisecond, "Hello there. How are you?"},
		{300 * time.Millisecond, "Hello there. How are you?"},
		{400 * time.Millisecond, "Hello there. How are you? No marks here."},
	}
	for _, c := range cases {
		if got := heardText(pieces, c.played); got != c.want {
			t.Errorf("played %v: %q, want %q", c.played, got, c.want)
		}
	}
}

func TestHistoryTrim(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	h := history{window: 5 * time.Minute, max: 3}
	for i, age := range []time.Duration{10 * time.Minute, 6 * time.Minute, 4 * time.Minute, 2 * time.Minute, time.Minute, 0} {
		h.add(llm.Message{Role: llm.RoleUser, Text: string(rune('a' + i)), At: now.Add(-age)})
	}
	h.trim(now)
	var got string
	for _, m := range h.msgs {
		got += m.Text
	}
	if got != "def" {
		t.Fatalf("kept %q, want def", got)
	}
}

func TestIsBackchannel(t *testing.T) {
	for _, s := range []string{"mm hmm", "Yeah.", "okay", "uh huh", "Right!", "嗯"} {
		if !isBackchannel(s) {
			t.Errorf("%q is a backchannel", s)
		}
	}
	for _, s := range []string{"stop", "wait a second", "yeah but what about the cat", ""} {
		if isBackchannel(s) {
			t.Errorf("%q is not a backchannel", s)
		}
	}
}

func TestInstructionsReplaceTheSystemPrompt(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.SystemPrompt = "server default" })
	brief := "Be brief."
	h.cmds <- pipeline.Command{Kind: pipeline.CmdConfigure, Instructions: &brief}
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputText, Text: "hello"}
	h.waitPlaying("reply", isType(events.TypeReplyDone))
	reqs := h.llm.requests()
	if len(reqs) == 0 || reqs[len(reqs)-1].System != "Be brief." {
		t.Fatalf("LLM requests %+v: want system prompt %q", reqs, "Be brief.")
	}
}

func TestTuneUntunableDetector(t *testing.T) {
	h := newHarness(t, nil)
	h.cmds <- pipeline.Command{Kind: pipeline.CmdConfigure, Turn: &pipeline.TurnSettings{Silence: 500 * time.Millisecond}}
	ev := h.waitFor("error", isType(events.TypeError))
	if ev.Code != string(pipeline.CodeUnsupported) {
		t.Fatalf("%+v", ev)
	}
}

func TestVADDetectorTune(t *testing.T) {
	mk, err := VADFactory(vad.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := mk().(*VADDetector)
	before := d.d.Options()
	if err := d.Tune(pipeline.TurnSettings{Threshold: 0.7, PrefixPadding: 200 * time.Millisecond, Silence: 650 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	o := d.d.Options()
	if o.Threshold != 0.7 || o.PreRoll != 200*time.Millisecond || o.MinSilence != 650*time.Millisecond || o.StartThreshold < 0.7 {
		t.Fatalf("tuned options %+v (before %+v)", o, before)
	}
	if o.MinSpeech != before.MinSpeech {
		t.Fatalf("MinSpeech changed: %v → %v", before.MinSpeech, o.MinSpeech)
	}
	if err := d.Tune(pipeline.TurnSettings{Threshold: 1.5}); err == nil {
		t.Fatal("threshold 1.5 accepted")
	}
	if d.d.Options().Threshold != 0.7 {
		t.Fatal("a rejected setting changed the detector")
	}
}

// A spoken turn that ends after a typed one has started replying cuts the
// typed turn's reply (reply.interrupted) before its own transcript, rather
// than taking its place silently.
func TestSpokenTurnAfterTypedCutsItsReply(t *testing.T) {
	h := newHarness(t, nil)
	h.stt.say("what time is it")
	h.speech(fdStart + 5)
	h.waitFor("user_speaking", isState(events.StateUserSpeaking))
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputText, Text: "tell me a story"}
	typed := h.waitFor("typed transcript", isType(events.TypeTranscriptFinal))
	h.speech(5)
	h.silence(fdEnd)
	ev := h.waitFor("the typed reply cut, or the next transcript", func(e events.Event) bool {
		return e.Type == events.TypeReplyInterrupted || e.Type == events.TypeTranscriptFinal
	})
	if ev.Type != events.TypeReplyInterrupted || ev.TurnID != typed.TurnID {
		t.Fatalf("got %+v before the typed turn's reply was cut", ev)
	}
	fin := h.waitFor("spoken transcript", isType(events.TypeTranscriptFinal))
	if fin.Text != "what time is it" || fin.TurnID != typed.TurnID+1 {
		t.Fatalf("spoken transcript %+v", fin)
	}
}
