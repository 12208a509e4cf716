package callbot

import "math"

const (
	// speechDBFS: a sent frame louder than this counts as speech.
	speechDBFS = -40.0
	// speechBelowPeak: a frame of a quiet recording also counts as speech
	// when it lies within this many dB of the recording's loudest frame
	// (FSDD's theo peaks near -40 dBFS: his last digits never pass it).
	speechBelowPeak = 25.0
	// voicedDBFS: a received frame louder than this counts as reply audio.
	voicedDBFS = -45.0
)

// dbfs is the RMS level of pcm relative to full scale; -inf for silence.
func dbfs(pcm []int16) float64 {
	if len(pcm) == 0 {
		return math.Inf(-1)
	}
	var sum float64
	for _, s := range pcm {
		f := float64(s)
		sum += f * f
	}
	rms := math.Sqrt(sum / float64(len(pcm)))
	if rms == 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(rms/32768)
}

// speechLevel is the level above which a 20 ms frame of pcm (48 kHz,
// whole frames) counts as speech: speechDBFS, or speechBelowPeak under
// the loudest frame when that is lower (a quietly recorded caller).
func speechLevel(pcm []int16) float64 {
	peak := math.Inf(-1)
	for i := 0; i+frameSamples <= len(pcm); i += frameSamples {
		peak = max(peak, dbfs(pcm[i:i+frameSamples]))
	}
	return min(speechDBFS, peak-speechBelowPeak)
}
