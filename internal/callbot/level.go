package callbot

import "math"

const (
	// speechDBFS: a sent frame louder than this counts as speech.
	speechDBFS = -40.0
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
