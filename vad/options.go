package vad

import (
	"fmt"
	"time"
)

// Defaults of [Options].
const (
	DefaultSampleRate    = 16000
	DefaultFrameDuration = 20 * time.Millisecond
	DefaultThreshold     = 0.5
	// DefaultMinLevel is the frame level (RMS, dBFS) below which a frame is
	// never speech. Relative features alone take the faint decaying tail of
	// a voice over digital silence for speech (espeak-ng's female voices
	// leave 200+ ms between −45 and −80 dBFS), which delays the end of turn.
	DefaultMinLevel = -50.0
)

// Options configure a frame classifier. The zero value means all defaults.
type Options struct {
	// SampleRate of the PCM given to Prob: 8000, 16000 or 48000 Hz
	// (default 16000). 48 kHz input is resampled to 16 kHz internally by
	// dsp.Resampler, the media path's filter (delayed by 1 ms).
	SampleRate int
	// FrameDuration is the length of one frame: 10, 20 or 30 ms (default 20 ms).
	// Prob accepts other lengths too (it analyses the stream in 10 ms hops and
	// carries the remainder over), but this fixes the size of its buffers.
	FrameDuration time.Duration
	// Threshold is the speech probability at or above which IsSpeech reports
	// speech (default 0.5). Raising it makes the classifier more aggressive at
	// rejecting noise, lowering it makes it catch quieter speech.
	Threshold float64
	// Sensitivity shifts the classifier's internal decision point, in dB of
	// mean sub-band SNR. 0 is the calibrated default; positive values detect
	// quieter speech (and more noise), negative values are more aggressive.
	// Only SpectralVAD uses it.
	Sensitivity float64
	// MinLevel is the level (RMS of the frame, dBFS) below which a frame is
	// never speech; default DefaultMinLevel; -120 turns the gate off.
	MinLevel float64
}

func (o Options) withDefaults() (Options, error) {
	if o.SampleRate == 0 {
		o.SampleRate = DefaultSampleRate
	}
	if o.FrameDuration == 0 {
		o.FrameDuration = DefaultFrameDuration
	}
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	switch o.SampleRate {
	case 8000, 16000, 48000:
	default:
		return o, fmt.Errorf("%w: %d Hz", ErrSampleRate, o.SampleRate)
	}
	switch o.FrameDuration {
	case 10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond:
	default:
		return o, fmt.Errorf("%w: %v", ErrFrameDuration, o.FrameDuration)
	}
	if o.Threshold < 0 || o.Threshold > 1 {
		return o, fmt.Errorf("%w: Threshold %v outside [0,1]", ErrOption, o.Threshold)
	}
	if o.MinLevel == 0 {
		o.MinLevel = DefaultMinLevel
	}
	if o.MinLevel < -120 || o.MinLevel > -10 {
		return o, fmt.Errorf("%w: MinLevel %v dBFS outside [-120,-10]", ErrOption, o.MinLevel)
	}
	if o.Sensitivity < -20 || o.Sensitivity > 20 {
		return o, fmt.Errorf("%w: Sensitivity %v outside [-20,20] dB", ErrOption, o.Sensitivity)
	}
	return o, nil
}

// FrameSamples is the number of samples in one frame at the options' rate.
func (o Options) FrameSamples() int {
	return int(int64(o.SampleRate) * int64(o.FrameDuration) / int64(time.Second))
}

// BackgroundReporter is implemented by classifiers that can tell a
// fluctuating background (other voices) from a steady one.
type BackgroundReporter interface {
	Fluctuating() bool
}

// Classifier gives the speech probability of one frame of 16-bit mono PCM.
// Implementations keep state across calls (noise floor, smoothing), so a
// Classifier serves one stream and is not safe for concurrent use. Prob does
// not allocate.
type Classifier interface {
	Prob(frame []int16) float64
	// Reset forgets the stream: noise floor, smoothing and buffered samples.
	Reset()
}
