package vad

import (
	"fmt"
	"math"
)

// DefaultEnergyThresholdDBFS is the EnergyVAD decision level: a frame whose RMS
// is at or above −40 dBFS is speech.
const DefaultEnergyThresholdDBFS = -40.0

// EnergyVAD is the baseline: a fixed threshold on frame RMS level, with no
// noise tracking and no smoothing. It exists to be measured against.
type EnergyVAD struct {
	thresholdDB float64
	opt         Options
}

// NewEnergyVAD returns an energy-threshold classifier. thresholdDBFS is the
// decision level in dB relative to full scale (0 means
// DefaultEnergyThresholdDBFS). Prob is a logistic of the level around it
// (3 dB per unit), so 0.5 is exactly the threshold.
func NewEnergyVAD(opt Options, thresholdDBFS float64) (*EnergyVAD, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	if thresholdDBFS == 0 {
		thresholdDBFS = DefaultEnergyThresholdDBFS
	}
	if thresholdDBFS > 0 || thresholdDBFS < -120 {
		return nil, fmt.Errorf("%w: energy threshold %v dBFS", ErrOption, thresholdDBFS)
	}
	return &EnergyVAD{thresholdDB: thresholdDBFS, opt: opt}, nil
}

// Prob returns the logistic of the frame's RMS level around the threshold.
func (e *EnergyVAD) Prob(frame []int16) float64 {
	if len(frame) == 0 {
		return 0
	}
	var s float64
	for _, x := range frame {
		f := float64(x)
		s += f * f
	}
	ms := s / float64(len(frame)) / (32768 * 32768)
	db := 10 * math.Log10(ms+1e-12)
	return 1 / (1 + math.Exp(-(db-e.thresholdDB)/3))
}

// Reset is a no-op: EnergyVAD keeps no state.
func (e *EnergyVAD) Reset() {}

// IsSpeech compares Prob with Options.Threshold.
func (e *EnergyVAD) IsSpeech(frame []int16) bool { return e.Prob(frame) >= e.opt.Threshold }
