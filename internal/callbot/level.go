package callbot

import (
	"math"
	"sort"
)

const (
	// speechDBFS: a sent frame louder than this counts as speech.
	speechDBFS = -40.0
	// quietTalkerRange: for a recording whose loudest frame is under -20
	// dBFS, frames down to this far under it are speech too (FSDD's theo
	// peaks near -40 dBFS: his last digits never pass it).
	quietTalkerRange = 20.0
	// roomMargin: a speech frame is at least this far above the level of
	// the recording's quietest tenth of frames (its room tone).
	roomMargin = 10.0
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
// whole frames) counts as speech: speechDBFS, or lower for a quiet
// recording (quietTalkerRange under its loudest frame, but roomMargin over
// its room tone), so that a quiet last word is not left out of the speech.
func speechLevel(pcm []int16) float64 {
	var levels []float64
	for i := 0; i+frameSamples <= len(pcm); i += frameSamples {
		levels = append(levels, dbfs(pcm[i:i+frameSamples])) // -inf: digital silence
	}
	if len(levels) == 0 {
		return speechDBFS
	}
	sort.Float64s(levels)
	peak, room := levels[len(levels)-1], levels[len(levels)/10]
	return min(speechDBFS, max(peak-quietTalkerRange, room+roomMargin))
}
