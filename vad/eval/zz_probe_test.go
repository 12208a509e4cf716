package eval

import (
	"context"
	"math"
	"testing"

	"github.com/duplex-ai/duplex/vad"
)

func TestZZProbe(t *testing.T) {
	rc := DefaultRealConfig()
	rc.Strings = 20
	items, err := DigitStrings("/work/shared/corpus/fsdd", rc)
	if err != nil {
		t.Skip(err)
	}
	cfg := DefaultConfig()
	cfg.Talkers, cfg.NoiseOnly = 0, 0
	c, _ := BuildReal(context.Background(), cfg, items)
	for _, snr := range []float64{math.Inf(1), 20} {
		_, speech, _, _ := runDetector(c.Mix(White, snr), Contenders()[0].New, vad.TurnOptions{})
		hist := map[int][2]int{}
		var edgeFN, intFN, fpEdge, fpFar int
		for f := range c.Labels {
			if f >= len(speech) {
				break
			}
			// distance to nearest label change
			d := 0
			for d < 10 && f-d-1 >= 0 && f+d+1 < len(c.Labels) && c.Labels[f-d-1] == c.Labels[f] && c.Labels[f+d+1] == c.Labels[f] {
				d++
			}
			if c.Labels[f] && !speech[f] {
				if d < 3 {
					edgeFN++
				} else {
					intFN++
				}
				// level rel. to utterance peak
				var pk float64
				for _, u := range c.Utts {
					if f >= int(u.Start/FrameTime) && f < int(u.End/FrameTime) {
						for g := int(u.Start / FrameTime); g < int(u.End/FrameTime); g++ {
							pk = max(pk, framePower(c.Clean, g))
						}
					}
				}
				db := int(10*math.Log10(framePower(c.Clean, f)/pk+1e-12)) / 5 * 5
				h := hist[db]
				h[0]++
				hist[db] = h
			}
			if !c.Labels[f] && speech[f] {
				if d < 5 {
					fpEdge++
				} else {
					fpFar++
				}
			}
		}
		t.Logf("snr %v: FN edge(<3 frames) %d interior %d; FP near(<5) %d far %d; FN by dB rel peak %v", snr, edgeFN, intFN, fpEdge, fpFar, hist)
	}
}
