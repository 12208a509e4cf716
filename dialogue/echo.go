// Package dialogue holds the pipelines a call can run: the echo diagnostic
// and the full-duplex dialogue engine.
package dialogue

import (
	"context"
	"time"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/session"
)

// Echo returns the caller's audio to them Delay later. It proves the media
// path (decode, resample, encode, pacing) without any speech engine.
type Echo struct {
	// Delay between hearing and playing back; default 1 s.
	Delay time.Duration
}

// Name implements session.Pipeline.
func (Echo) Name() string { return "echo" }

// Engines implements session.Pipeline.
func (Echo) Engines() map[string]string {
	return map[string]string{"stt": "none", "llm": "none", "tts": "none"}
}

// Run implements session.Pipeline. Frames are queued on the paced writer;
// whenever less than half the delay is queued (at the start, or after the
// caller went quiet and the queue drained) silence is inserted first, so
// the echo keeps its delay.
func (e Echo) Run(ctx context.Context, io *session.IO) error {
	delay := e.Delay
	if delay <= 0 {
		delay = time.Second
	}
	silence := make([]int16, int(delay/media.FrameDuration)*media.FrameSamples)
	io.Send(events.Event{Type: events.TypeState, State: events.StateListening})
	for {
		select {
		case <-ctx.Done():
			return nil
		case f := <-io.Frames:
			if q := io.Out.Queued(); q < delay/2 {
				n := int((delay-q)/media.FrameDuration) * media.FrameSamples
				if err := io.Out.Enqueue(0, silence[:n], media.PipelineSampleRate); err != nil {
					return err
				}
			}
			if err := io.Out.Enqueue(0, f.PCM, media.PipelineSampleRate); err != nil {
				return err
			}
		case cmd := <-io.Commands:
			if cmd.Type == events.TypeResponseCancel {
				io.Out.ClearQueue()
				continue
			}
			io.Send(events.Event{Type: events.TypeError, Code: events.CodeUnsupported, Message: "the echo pipeline only echoes audio; " + cmd.Type + " has no effect"})
		}
	}
}
