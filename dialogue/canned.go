package dialogue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/tts"
	"github.com/duplex-ai/duplex/vad"
)

const (
	// MaxCannedReply bounds the canned reply.
	MaxCannedReply = 30 * time.Second
	// cannedChunk is how much reply audio is handed to the paced writer at
	// a time; the writer is kept cannedAhead ahead of what it has played,
	// so a call holds a few hundred ms of reply audio, not all of it.
	cannedChunk = 200 * time.Millisecond
	cannedAhead = 400 * time.Millisecond
)

// CannedOptions configures NewCanned.
type CannedOptions struct {
	// Reply is the answer to every turn: mono PCM at ReplyRate. Required.
	// It is resampled to 48 kHz once, then shared read-only by every call.
	Reply     []int16
	ReplyRate int
	// NewDetector returns a fresh turn detector for one call. Required.
	NewDetector func() Detector
	// TTS names what synthesized Reply, for session.ready; default "cached".
	TTS string
}

// Canned is the capacity pipeline ("-pipeline canned"): echo-free media
// load with a trivial brain. The turn detector runs on every caller frame,
// and at the end of each user turn the same cached reply (synthesized once
// when the server starts) is played through the call's paced writer, which
// encodes Opus per call. Nothing else runs during a call, so a load test of
// it measures what every call pays whatever the brain: Opus decode and
// encode, resampling, VAD, pacing, SRTP and signaling.
//
// Events: state listening → user_speaking → thinking (end of the turn) →
// speaking (first reply frame written) → listening (reply played). A turn
// that ends while the reply is still playing restarts it; response.cancel
// stops it; other commands get an unsupported error.
type Canned struct {
	reply       []int16 // 48 kHz mono, read-only
	newDetector func() Detector
	tts         string
}

// NewCanned checks opt and prepares the shared reply.
func NewCanned(opt CannedOptions) (*Canned, error) {
	if opt.NewDetector == nil {
		return nil, errors.New("dialogue: canned: NewDetector is required")
	}
	if len(opt.Reply) == 0 || opt.ReplyRate <= 0 {
		return nil, errors.New("dialogue: canned: the reply audio and its rate are required")
	}
	if d := time.Duration(len(opt.Reply)) * time.Second / time.Duration(opt.ReplyRate); d > MaxCannedReply {
		return nil, fmt.Errorf("dialogue: canned: the reply is %s long, more than %s", d.Round(time.Millisecond), MaxCannedReply)
	}
	reply := opt.Reply
	if opt.ReplyRate != media.OpusSampleRate {
		var err error
		if reply, err = media.Resample(opt.Reply, opt.ReplyRate, media.OpusSampleRate); err != nil {
			return nil, fmt.Errorf("dialogue: canned: %w", err)
		}
	} else {
		reply = append([]int16(nil), reply...)
	}
	name := opt.TTS
	if name == "" {
		name = "cached"
	}
	return &Canned{reply: reply, newDetector: opt.NewDetector, tts: name}, nil
}

// ReplyDuration is the length of the canned reply.
func (c *Canned) ReplyDuration() time.Duration {
	return time.Duration(len(c.reply)) * time.Second / media.OpusSampleRate
}

// Name implements pipeline.Pipeline.
func (*Canned) Name() string { return "canned" }

// Engines implements pipeline.Pipeline.
func (c *Canned) Engines() map[string]string {
	return map[string]string{"stt": "none", "llm": "canned", "tts": c.tts + " (cached)"}
}

// Run implements pipeline.Pipeline.
func (c *Canned) Run(ctx context.Context, io *pipeline.IO) error {
	plays := newPlayouts(nil)
	io.Out.SetOnPlayout(plays.report)
	defer io.Out.SetOnPlayout(nil)

	det := c.newDetector()
	var (
		speaking bool
		id       int  // current reply
		playing  bool // reply id is queued or playing
		pos      int  // samples of reply id handed to the writer
		state    = pipeline.StateListening
	)
	io.Emit(pipeline.StateChanged{State: state})
	setState := func(s pipeline.State) {
		if s != state {
			state = s
			io.Emit(pipeline.StateChanged{State: s})
		}
	}
	chunk := int(cannedChunk * media.OpusSampleRate / time.Second)
	// feed keeps the writer cannedAhead ahead of played.
	feed := func(played time.Duration) error {
		ahead := int((played + cannedAhead) * media.OpusSampleRate / time.Second)
		for pos < len(c.reply) && pos < ahead {
			end := min(pos+chunk, len(c.reply))
			if err := io.Out.Enqueue(id, c.reply[pos:end], media.OpusSampleRate); err != nil {
				return err
			}
			pos = end
			if pos == len(c.reply) {
				io.Out.EndUtterance(id)
			}
		}
		return nil
	}
	stop := func() {
		if playing {
			io.Out.ClearQueue()
			playing = false
		}
	}
	onPlay := func(p playMsg) error {
		if !playing || p.id != id {
			return nil
		}
		if p.done {
			playing = false
			if !speaking {
				setState(pipeline.StateListening)
			}
			return nil
		}
		if !speaking {
			setState(pipeline.StateSpeaking)
		}
		return feed(p.played)
	}
	var buf []playMsg
	for {
		select {
		case <-ctx.Done():
			return nil
		case f := <-io.Frames:
			for _, ev := range det.Push(f.PCM, f.At) {
				switch ev.Type {
				case vad.SpeechStarted:
					speaking = true
					setState(pipeline.StateUserSpeaking)
				case vad.SpeechEnded:
					speaking = false
					stop()
					id++
					playing, pos = true, 0
					if err := feed(0); err != nil {
						return err
					}
					setState(pipeline.StateThinking)
				}
			}
		case <-plays.C():
			buf = plays.take(buf)
			for _, p := range buf {
				if err := onPlay(p); err != nil {
					return err
				}
			}
		case cmd := <-io.Commands:
			if cmd.Kind == pipeline.CmdResponseCancel {
				stop()
				if !speaking {
					setState(pipeline.StateListening)
				}
				continue
			}
			io.Emit(pipeline.Error{Code: pipeline.CodeUnsupported, Message: "the canned pipeline answers every turn with the same recorded reply; " + string(cmd.Kind) + " has no effect"})
		}
	}
}

// SynthesizeAll speaks text with engine and returns all of its audio (mono,
// at the rate of the first chunk; later chunks at another rate are
// resampled to it). It is how the canned reply is made, once.
func SynthesizeAll(ctx context.Context, engine tts.Engine, text string, opt tts.Options) ([]int16, int, error) {
	s, err := engine.Synthesize(ctx, text, opt)
	if err != nil {
		return nil, 0, err
	}
	defer s.Close()
	var (
		pcm  []int16
		rate int
	)
	for {
		ch, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		if len(ch.PCM) == 0 {
			continue
		}
		if rate == 0 {
			rate = ch.SampleRate
		}
		data := ch.PCM
		if ch.SampleRate != rate {
			if data, err = media.Resample(ch.PCM, ch.SampleRate, rate); err != nil {
				return nil, 0, err
			}
		}
		pcm = append(pcm, data...)
		if time.Duration(len(pcm))*time.Second/time.Duration(rate) > MaxCannedReply {
			return nil, 0, fmt.Errorf("dialogue: the synthesized reply is longer than %s", MaxCannedReply)
		}
	}
	if len(pcm) == 0 || rate <= 0 {
		return nil, 0, fmt.Errorf("dialogue: %s produced no audio for %q", engine.Name(), text)
	}
	return pcm, rate, nil
}
