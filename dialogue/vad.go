package dialogue

import (
	"time"

	"github.com/duplex-ai/duplex/vad"
)

// VADDetector adapts a vad.Detector to the engine's Detector.
type VADDetector struct {
	d   *vad.Detector
	evs []TurnEvent
}

// NewVADDetector wraps d.
func NewVADDetector(d *vad.Detector) *VADDetector { return &VADDetector{d: d} }

// Push implements Detector.
func (a *VADDetector) Push(pcm []int16, at time.Duration) []TurnEvent {
	a.evs = a.evs[:0]
	for _, ev := range a.d.Push(pcm, at) {
		k := SpeechStarted
		if ev.Type == vad.SpeechEnded {
			k = SpeechEnded
		}
		a.evs = append(a.evs, TurnEvent{Kind: k, At: ev.At, DecidedAt: ev.DecidedAt, Duration: ev.Duration, Capped: ev.Capped})
	}
	return a.evs
}

// PreRoll implements Detector.
func (a *VADDetector) PreRoll() []int16 {
	pcm, _ := a.d.PreRoll()
	return pcm
}

// Reset implements Detector.
func (a *VADDetector) Reset() { a.d.Reset() }
