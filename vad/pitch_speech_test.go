package vad_test

import (
	"context"
	"testing"

	"github.com/duplex-ai/duplex/vad"
	"github.com/duplex-ai/duplex/vad/eval"
)

// Utterances of known final contour, rendered by espeak-ng: a yes/no
// question and a clause cut at a comma rise, a statement falls. (A short
// statement such as "It is raining." falls about 1 semitone in its last
// 150 ms: level at the default threshold.)
func TestFinalContourSpeech(t *testing.T) {
	if !eval.EspeakAvailable() {
		t.Skip("espeak-ng not installed")
	}
	for _, voice := range []string{"en-us", "en-us+f2"} { // not the held-out voices
		for _, tc := range []struct {
			text string
			want vad.Contour
		}{
			{"Is it raining?", vad.ContourRising},
			{"Can you hear me?", vad.ContourRising},
			{"When you get there,", vad.ContourRising},
			{"The weather is nice today.", vad.ContourFalling},
			{"And then the cat sat down.", vad.ContourFalling},
			{"Hello.", vad.ContourFalling},
		} {
			pcm, rate, err := eval.Speak(context.Background(), voice, 160, tc.text)
			if err != nil {
				t.Fatal(err)
			}
			c, st := vad.FinalContour(speechOnly(pcm, rate), vad.DefaultSampleRate, vad.DefaultPitchFallST, vad.DefaultPitchRiseST)
			if c != tc.want {
				t.Errorf("%s %q: contour %v (%+.1f st), want %v", voice, tc.text, c, st, tc.want)
			}
		}
	}
}

// speechOnly resamples pcm to 16 kHz and drops its trailing silence, as the
// detector's buffer holds speech frames only.
func speechOnly(pcm []int16, rate int) []int16 {
	x := make([]float64, len(pcm))
	for i, v := range pcm {
		x[i] = float64(v)
	}
	x = eval.Resample(x, rate, vad.DefaultSampleRate)
	n := len(x)
	for n > 320 {
		var s float64
		for _, v := range x[n-320 : n] {
			s += v * v
		}
		if s/320 > 300*300 {
			break
		}
		n -= 320
	}
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(max(-32768, min(32767, x[i])))
	}
	return out
}
