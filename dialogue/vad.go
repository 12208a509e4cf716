package dialogue

import (
	"errors"
	"time"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/vad"
)

// VADDetector adapts a vad.Detector to the engine's Detector.
type VADDetector struct {
	d *vad.Detector
	// build makes a detector from options (nil: not tunable).
	build func(vad.TurnOptions) (*vad.Detector, error)
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

// Tentative implements Tentative.
func (a *VADDetector) Tentative(frac float64) bool { return a.d.Tentative(frac) }

// Reset implements Detector.
func (a *VADDetector) Reset() { a.d.Reset() }

// Tune implements Tunable: a new detector with the set fields changed.
func (a *VADDetector) Tune(ts pipeline.TurnSettings) error {
	if a.build == nil {
		return errors.New("this detector cannot be tuned")
	}
	opt := a.d.Options()
	if ts.Threshold != 0 {
		// The thresholds derived from it are derived again.
		opt.Threshold, opt.StartThreshold, opt.FluctuatingThreshold = ts.Threshold, 0, 0
	}
	if ts.PrefixPadding != 0 {
		opt.PreRoll = ts.PrefixPadding
	}
	if ts.Silence != 0 {
		opt.MinSilence = ts.Silence
	}
	d, err := a.build(opt)
	if err != nil {
		return err
	}
	a.d = d
	return nil
}

// VADFactory checks the turn options once and returns a constructor of
// per-call detectors built on the spectral classifier (the server default).
func VADFactory(opt vad.TurnOptions) (func() Detector, error) {
	build := func(opt vad.TurnOptions) (*vad.Detector, error) {
		c, err := vad.NewClassifier(vad.Options{Threshold: opt.Threshold})
		if err != nil {
			return nil, err
		}
		return vad.NewDetector(c, opt)
	}
	if _, err := build(opt); err != nil {
		return nil, err // vad errors name their package
	}
	return func() Detector {
		d, _ := build(opt) // the options were checked above
		return &VADDetector{d: d, build: build}
	}, nil
}
