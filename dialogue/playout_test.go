package dialogue

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/events"
	dmedia "github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
)

// captureOut is an AudioOut that plays nothing: the test reports playout
// through the callback the pipeline registered.
type captureOut struct {
	mu sync.Mutex
	fn func(id int, played time.Duration, done bool)
}

func (o *captureOut) Enqueue(int, []int16, int) error { return nil }
func (o *captureOut) EndUtterance(int)                {}
func (o *captureOut) ClearQueue() time.Duration       { return 0 }
func (o *captureOut) Pause()                          {}
func (o *captureOut) Resume()                         {}
func (o *captureOut) Played(int) time.Duration        { return 0 }
func (o *captureOut) Queued() time.Duration           { return 0 }
func (o *captureOut) SetOnPlayout(fn func(id int, played time.Duration, done bool)) {
	o.mu.Lock()
	o.fn = fn
	o.mu.Unlock()
}

func (o *captureOut) play(id int, played time.Duration, done bool) {
	o.mu.Lock()
	fn := o.fn
	o.mu.Unlock()
	if fn != nil {
		fn(id, played, done)
	}
}

// testEndOfPlayoutNeverLost runs p, ends one utterance, and while the
// pipeline's loop is held up (its sink blocks on "speaking") floods the
// playout callback, then reports the end of the utterance. The end must
// reach the loop: the state goes back to listening.
func testEndOfPlayoutNeverLost(t *testing.T, p pipeline.Pipeline) {
	out := &captureOut{}
	gate := make(chan struct{})
	evs := make(chan events.Event, 1024)
	frames := make(chan dmedia.Frame)
	io := &pipeline.IO{
		CallID: "test", Frames: frames, Commands: make(chan pipeline.Command), Out: out, Log: zerolog.Nop(),
		Events: pipeline.SinkFunc(func(ev pipeline.Event) {
			if w, ok := events.Wire(ev); ok {
				evs <- w
			}
			if s, ok := ev.(pipeline.StateChanged); ok && s.State == pipeline.StateSpeaking {
				<-gate // the loop is busy elsewhere
			}
		}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, io) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	wait := func(s string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case ev := <-evs:
				if ev.Type == events.TypeState && ev.State == s {
					return
				}
			case <-deadline:
				t.Fatalf("no state %s", s)
			}
		}
	}
	var at time.Duration
	push := func(v int16, n int) {
		for range n {
			pcm := make([]int16, dmedia.FrameSamples)
			for i := range pcm {
				pcm[i] = v
			}
			frames <- dmedia.Frame{PCM: pcm, At: at}
			at += dmedia.FrameDuration
		}
	}
	wait("listening")
	push(1000, 10)
	push(0, fdEnd)
	wait("thinking")
	out.play(1, dmedia.FrameDuration, false)
	wait("speaking") // the loop now waits on the gate
	for range 200 {
		out.play(1, dmedia.FrameDuration, false)
	}
	out.play(1, 0, true)
	close(gate)
	wait("listening")
}

func TestEchoEndOfPlayoutNeverLost(t *testing.T) {
	testEndOfPlayoutNeverLost(t, Echo{NewDetector: func() Detector { return &fakeDetector{} }})
}

func TestCannedEndOfPlayoutNeverLost(t *testing.T) {
	reply := make([]int16, 16*500)
	c, err := NewCanned(CannedOptions{Reply: reply, ReplyRate: 16000, NewDetector: func() Detector { return &fakeDetector{} }})
	if err != nil {
		t.Fatal(err)
	}
	testEndOfPlayoutNeverLost(t, c)
}
