package dialogue

import (
	"time"

	"github.com/duplex-ai/duplex/vad"
)

// VADDetector adapts a vad.Detector to the engine's Detector.
type VADDetector struct {
	d *vad.Detector
}

// NewVADDetector wraps d.
func NewVADDetector(d *vad.Detector) *VADDetector { return &VADDetector{d: d} }

// Push implements Detector.
func (a *VADDetector) Push(pcm []int16, at time.Duration) []vad.Event { return a.d.Push(pcm, at) }

// PreRoll implements Detector.
func (a *VADDetector) PreRoll() []int16 {
	pcm, _ := a.d.PreRoll()
	return pcm
}

// SetHint implements Hinter.
func (a *VADDetector) SetHint(h vad.Hint) { a.d.SetHint(h) }

// Reset implements Detector.
func (a *VADDetector) Reset() { a.d.Reset() }

// VADFactory checks the turn options once and returns a constructor of
// per-call detectors built on the spectral classifier (the server default).
func VADFactory(opt vad.TurnOptions) (func() Detector, error) {
	build := func() (*vad.Detector, error) {
		c, err := vad.NewClassifier(vad.Options{Threshold: opt.Threshold})
		if err != nil {
			return nil, err
		}
		return vad.NewDetector(c, opt)
	}
	if _, err := build(); err != nil {
		return nil, err // vad errors name their package
	}
	return func() Detector {
		d, _ := build() // the options were checked above
		return NewVADDetector(d)
	}, nil
}
