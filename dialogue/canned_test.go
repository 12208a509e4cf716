package dialogue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/events"
	dmedia "github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/tts"
)

// newCannedHarness runs a Canned pipeline with a reply of replyMS of a
// constant 16 kHz signal, the fake detector and a fake-clock writer.
func newCannedHarness(t *testing.T, replyMS int) (*harness, *Canned) {
	t.Helper()
	reply := make([]int16, 16*replyMS)
	for i := range reply {
		reply[i] = 1000
	}
	c, err := NewCanned(CannedOptions{Reply: reply, ReplyRate: 16000, NewDetector: func() Detector { return &fakeDetector{} }})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		t: t, clock: newFakeClock(), rec: &recorder{},
		frames: make(chan dmedia.Frame), cmds: make(chan pipeline.Command),
		evs: make(chan events.Event, 4096),
	}
	out, err := dmedia.NewPacedWriter(h.rec, dmedia.PacedWriterOptions{Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	h.out = out
	io := h.io(out)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, io) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		_ = out.Close()
	})
	h.waitFor("initial listening", isState(events.StateListening))
	return h, c
}

func TestCannedOptions(t *testing.T) {
	det := func() Detector { return &fakeDetector{} }
	for name, opt := range map[string]CannedOptions{
		"no detector": {Reply: []int16{1}, ReplyRate: 16000},
		"no reply":    {ReplyRate: 16000, NewDetector: det},
		"no rate":     {Reply: []int16{1}, NewDetector: det},
		"too long":    {Reply: make([]int16, 8000*31), ReplyRate: 8000, NewDetector: det},
	} {
		if _, err := NewCanned(opt); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := NewCanned(CannedOptions{Reply: make([]int16, 22050), ReplyRate: 22050, NewDetector: det, TTS: "espeak"})
	if err != nil {
		t.Fatal(err)
	}
	if d := c.ReplyDuration(); d < 990*time.Millisecond || d > 1010*time.Millisecond {
		t.Errorf("ReplyDuration %v, want 1 s", d)
	}
	if c.Name() != "canned" || c.Engines()["tts"] != "espeak (cached)" || c.Engines()["stt"] != "none" {
		t.Errorf("name %q engines %v", c.Name(), c.Engines())
	}
}

// TestCannedTurns: each end of turn plays the whole cached reply, with the
// usual state events, while the writer never holds more than
// cannedAhead + cannedChunk of it; response.cancel stops a reply.
func TestCannedTurns(t *testing.T) {
	h, c := newCannedHarness(t, 1000)
	frames := int((c.ReplyDuration() + dmedia.FrameDuration - 1) / dmedia.FrameDuration)
	if frames < 49 || frames > 51 {
		t.Fatalf("a 1 s reply makes %d frames", frames)
	}

	for turn := 1; turn <= 2; turn++ {
		before := h.rec.count()
		h.speech(20)
		h.waitFor("user_speaking", isState(events.StateUserSpeaking))
		h.silence(fdEnd)
		h.waitFor("thinking", isState(events.StateThinking))
		if q := h.out.Queued(); q <= 0 || q > cannedAhead+cannedChunk {
			t.Fatalf("turn %d: %v queued at the start of the reply", turn, q)
		}
		h.waitPlaying("speaking", isState(events.StateSpeaking))
		maxQueued := time.Duration(0)
		deadline := time.After(10 * time.Second)
	play:
		for {
			select {
			case ev := <-h.evs:
				h.seen = append(h.seen, ev)
				if ev.Type == events.TypeState && ev.State == events.StateListening {
					break play
				}
			case <-deadline:
				t.Fatalf("turn %d: the reply never ended; saw %s", turn, h.trace())
			case <-time.After(time.Millisecond):
				h.tick(1)
				maxQueued = max(maxQueued, h.out.Queued())
			}
		}
		if got := h.rec.count() - before; got != frames {
			t.Errorf("turn %d: %d frames written, want %d", turn, got, frames)
		}
		if maxQueued > cannedAhead+cannedChunk {
			t.Errorf("turn %d: up to %v of the reply queued", turn, maxQueued)
		}
	}

	// response.cancel stops the third reply.
	h.speech(20)
	h.silence(fdEnd)
	h.waitFor("thinking", isState(events.StateThinking))
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.tick(5)
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCancel}
	h.waitFor("listening after cancel", isState(events.StateListening))
	n := h.rec.count()
	h.tick(20)
	if got := h.rec.count() - n; got > 1 {
		t.Errorf("%d frames written after response.cancel", got)
	}

	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputText, Text: "hi"}
	if ev := h.waitFor("error", isType(events.TypeError)); ev.Code != events.CodeUnsupported {
		t.Errorf("input.text: %+v", ev)
	}
}

// TestCannedRestart: a turn that ends during the reply restarts it.
func TestCannedRestart(t *testing.T) {
	h, c := newCannedHarness(t, 1000)
	frames := int((c.ReplyDuration() + dmedia.FrameDuration - 1) / dmedia.FrameDuration)
	h.speech(20)
	h.silence(fdEnd)
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.tick(10)
	h.speech(20)
	h.waitFor("user_speaking", isState(events.StateUserSpeaking))
	h.silence(fdEnd)
	h.waitFor("thinking", isState(events.StateThinking))
	start := h.rec.count()
	h.waitPlaying("listening", isState(events.StateListening))
	if got := h.rec.count() - start; got < frames-1 || got > frames+1 {
		t.Errorf("the restarted reply wrote %d frames, want about %d", got, frames)
	}
}

func TestSynthesizeAll(t *testing.T) {
	pcm, rate, err := SynthesizeAll(context.Background(), &fakeTTS{}, "hello", tts.Options{})
	if err != nil || rate != 16000 || len(pcm) != 5*160 {
		t.Fatalf("%d samples at %d Hz, %v", len(pcm), rate, err)
	}
	boom := errors.New("boom")
	if _, _, err := SynthesizeAll(context.Background(), &fakeTTS{err: boom}, "hello", tts.Options{}); !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
}
