package callbot

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/media"
)

// botConfig selects what the toneBot sends besides its state events.
type botConfig struct {
	// transcripts: transcript.final, reply.delta, reply.done and
	// turn.metrics with turn ids, like the assistant pipeline. Without it
	// only state events (and reply.interrupted) go out, like the echo
	// pipeline would.
	transcripts bool
}

const (
	botStartFrames = 2   // loud frames that start an utterance (40 ms)
	botEndFrames   = 15  // quiet frames that end it (300 ms)
	botDelayFrames = 10  // from the end of an utterance to the reply (200 ms)
	botReplyFrames = 150 // a reply is a 3 s tone
	botReplyText   = "beep beep"
	botHeard       = "beep"
)

// toneBot is a tiny dialogue server for the tests: it detects each burst
// of the caller's audio by energy (state user_speaking, then thinking),
// answers 200 ms after the burst with a 1 s tone (state speaking, then
// listening) and, when the caller speaks over the tone, stops it at once
// and sends reply.interrupted.
type toneBot struct {
	cfg   botConfig
	call  *echoCall
	track *webrtc.TrackLocalStaticSample
	done  chan struct{}
	once  sync.Once

	mu            sync.Mutex
	talking       bool // the caller, by energy
	loud, quiet   int  // consecutive loud / quiet frames heard
	turnID        int
	replyID       int
	delay         int // frames until the pending reply starts; 0 = none
	left          int // tone frames left; 0 = not replying
	phase         float64
	heardUser     int // utterances detected
	interruptions int // replies cut by the caller
}

func newToneBot(pc *webrtc.PeerConnection, cfg botConfig, c *echoCall) (*toneBot, error) {
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "tonebot")
	if err != nil {
		return nil, err
	}
	if _, err := pc.AddTrack(track); err != nil {
		return nil, err
	}
	b := &toneBot{cfg: cfg, call: c, track: track, done: make(chan struct{})}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateClosed || s == webrtc.PeerConnectionStateFailed {
			b.once.Do(func() { close(b.done) })
		}
	})
	return b, nil
}

// stop ends run when the connection never closes by itself.
func (b *toneBot) stop() { b.once.Do(func() { close(b.done) }) }

// listen decodes the caller's audio and feeds the energy detector.
func (b *toneBot) listen(tr *webrtc.TrackRemote) {
	dec, err := media.NewOpusDecoder(media.OpusSampleRate, 1)
	if err != nil {
		return
	}
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		pcm, err := dec.Decode(pkt.Payload)
		if err != nil {
			continue
		}
		b.hear(dbfs(pcm) > speechDBFS)
	}
}

func (b *toneBot) hear(loud bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if loud {
		b.loud, b.quiet = b.loud+1, 0
	} else {
		b.quiet, b.loud = b.quiet+1, 0
	}
	switch {
	case !b.talking && b.loud >= botStartFrames:
		b.talking = true
		b.heardUser++
		evs := []events.Event{{Type: events.TypeState, State: events.StateUserSpeaking}}
		if b.left > 0 || b.delay > 0 { // barge-in: stop at once
			b.left, b.delay = 0, 0
			b.interruptions++
			evs = append(evs, events.Event{Type: events.TypeReplyInterrupted, TurnID: b.replyID, Heard: botHeard, Text: botReplyText})
		}
		b.call.send(evs...)
	case b.talking && b.quiet >= botEndFrames:
		b.talking = false
		b.turnID++
		b.replyID, b.delay = b.turnID, botDelayFrames
		b.call.send(events.Event{Type: events.TypeState, State: events.StateThinking})
		if b.cfg.transcripts {
			b.call.send(events.Event{Type: events.TypeTranscriptFinal, TurnID: b.turnID, Text: fmt.Sprintf("utterance %d", b.turnID)})
		}
	}
}

// step advances the reply by one frame and fills pcm with the frame to send.
func (b *toneBot) step(pcm []int16) {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(pcm)
	if b.delay > 0 {
		if b.delay--; b.delay == 0 {
			b.left = botReplyFrames
			b.call.send(events.Event{Type: events.TypeState, State: events.StateSpeaking})
			if b.cfg.transcripts {
				b.call.send(
					events.Event{Type: events.TypeReplyDelta, TurnID: b.replyID, Text: botReplyText},
					events.Event{Type: events.TypeTurnMetrics, TurnID: b.replyID, Metrics: &events.TurnMetrics{LatencyMS: 500}},
				)
			}
		}
	}
	if b.left == 0 {
		return
	}
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(b.phase))
		b.phase += 2 * math.Pi * 440 / sampleRate
	}
	b.phase = math.Mod(b.phase, 2*math.Pi)
	if b.left--; b.left == 0 {
		if b.cfg.transcripts {
			b.call.send(events.Event{Type: events.TypeReplyDone, TurnID: b.replyID, Text: botReplyText})
		}
		if !b.talking {
			b.call.send(events.Event{Type: events.TypeState, State: events.StateListening})
		}
	}
}

// run sends a 20 ms frame (tone or silence) every 20 ms until the call
// closes.
func (b *toneBot) run() {
	enc, err := media.NewOpusEncoder(media.OpusSampleRate, 1, media.EncoderOptions{Bitrate: 32000, Application: "audio"})
	if err != nil {
		return
	}
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	pcm := make([]int16, frameSamples)
	for {
		select {
		case <-b.done:
			return
		case <-tick.C:
		}
		b.step(pcm)
		payload, err := enc.Encode(pcm)
		if err != nil {
			return
		}
		_ = b.track.WriteSample(pmedia.Sample{Data: payload, Duration: media.FrameDuration})
	}
}

func (b *toneBot) counts() (heard, interruptions int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.heardUser, b.interruptions
}
