// Package dialogue holds the pipelines a call can run: the echo diagnostic
// and the full-duplex dialogue engine.
package dialogue

import (
	"context"
	"time"

	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/vad"
)

// Echo returns the caller's audio to them. It proves the media path
// (decode, resample, encode, pacing) and, with a detector, turn detection:
// each utterance is played back once it ends.
type Echo struct {
	// NewDetector, when set, makes the echo turn-based: each detected
	// utterance (with its pre-roll) is played back as soon as it ends, with
	// state events user_speaking → speaking → listening.
	NewDetector func() Detector
	// Delay is used without a detector: everything heard is played back
	// Delay later; default 1 s.
	Delay time.Duration
}

// Name implements pipeline.Pipeline.
func (Echo) Name() string { return "echo" }

// Engines implements pipeline.Pipeline.
func (Echo) Engines() map[string]string {
	return map[string]string{"stt": "none", "llm": "none", "tts": "none"}
}

// Run implements pipeline.Pipeline.
func (e Echo) Run(ctx context.Context, io *pipeline.IO) error {
	io.Emit(pipeline.StateChanged{State: pipeline.StateListening})
	if e.NewDetector == nil {
		return e.runDelayed(ctx, io)
	}
	return e.runTurns(ctx, io)
}

// runDelayed queues frames on the paced writer; whenever less than half the
// delay is queued (at the start, or after the caller went quiet and the
// queue drained) silence is inserted first, so the echo keeps its delay.
func (e Echo) runDelayed(ctx context.Context, io *pipeline.IO) error {
	delay := e.Delay
	if delay <= 0 {
		delay = time.Second
	}
	silence := make([]int16, int(delay/media.FrameDuration)*media.FrameSamples)
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
			echoCommand(io, cmd)
		}
	}
}

// runTurns plays back each utterance as soon as the detector ends it.
func (e Echo) runTurns(ctx context.Context, io *pipeline.IO) error {
	det := e.NewDetector()
	plays := newPlayouts(firstFrame)
	io.Out.SetOnPlayout(plays.report)
	defer io.Out.SetOnPlayout(nil)
	var (
		utt      []int16
		speaking bool
		id       int
		playing  = map[int]bool{}
		state    = pipeline.StateListening
	)
	setState := func(s pipeline.State) {
		if s != state {
			state = s
			io.Emit(pipeline.StateChanged{State: s})
		}
	}
	onPlay := func(p playMsg) {
		if !playing[p.id] {
			return
		}
		if p.done {
			delete(playing, p.id)
			if len(playing) == 0 && !speaking {
				setState(pipeline.StateListening)
			}
		} else if !speaking {
			setState(pipeline.StateSpeaking)
		}
	}
	var buf []playMsg
	for {
		select {
		case <-ctx.Done():
			return nil
		case f := <-io.Frames:
			evs := det.Push(f.PCM, f.At)
			if speaking && len(evs) == 0 {
				utt = append(utt, f.PCM...)
			}
			for _, ev := range evs {
				switch ev.Type {
				case vad.SpeechStarted:
					speaking = true
					utt = append(utt[:0], det.PreRoll()...)
					setState(pipeline.StateUserSpeaking)
				case vad.SpeechEnded:
					speaking = false
					id++
					if err := io.Out.Enqueue(id, utt, media.PipelineSampleRate); err != nil {
						return err
					}
					io.Out.EndUtterance(id)
					playing[id] = true
					utt = utt[:0]
					setState(pipeline.StateThinking)
				}
			}
		case <-plays.C():
			buf = plays.take(buf)
			for _, p := range buf {
				onPlay(p)
			}
		case cmd := <-io.Commands:
			echoCommand(io, cmd)
			if cmd.Kind == pipeline.CmdResponseCancel {
				clear(playing)
				if !speaking {
					setState(pipeline.StateListening)
				}
			}
		}
	}
}

func echoCommand(io *pipeline.IO, cmd pipeline.Command) {
	if cmd.Kind == pipeline.CmdResponseCancel {
		io.Out.ClearQueue()
		return
	}
	io.Emit(pipeline.Error{Code: pipeline.CodeUnsupported, Message: "the echo pipeline only echoes audio; " + string(cmd.Kind) + " has no effect"})
}
