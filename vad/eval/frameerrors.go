package eval

import (
	"fmt"
	"math"
	"strings"

	"github.com/duplex-ai/duplex/vad"
)

// EdgeFrames is how near (in 20 ms frames, 100 ms) to the start or end of
// a run of labelled speech a frame error counts as at that edge.
const EdgeFrames = 5

// OracleMarginsDB are the margins of FrameErrors.OracleF1: the oracle
// calls a frame speech when its clean energy is above the noise's in that
// frame less the margin.
var OracleMarginsDB = []float64{0, 5, 10}

// FrameErrors says where a detector's frame errors lie against a corpus's
// labels in one condition, beside what an oracle that hears the clean
// speech and the noise apart could do against the same labels.
type FrameErrors struct {
	Cond   Condition
	Speech int // labelled speech frames
	Runs   int // runs of labelled speech (a digit string has one per digit or so)
	F1     float64
	FP, FN int
	// FP split: within EdgeFrames after a labelled run's end (nearer it
	// than the next run's start), within EdgeFrames before a start; the
	// rest lie further out.
	FPAfterEnd, FPBeforeStart int
	// FN split: labelled speech only as a bridged gap (silent in the
	// clean signal); else within EdgeFrames of a run's start or end,
	// whichever is nearer; the rest lie inside runs.
	FNBridged, FNOnset, FNOffset int
	// UnderNoise counts the labelled speech frames (bridged ones left
	// out) whose clean energy is below the noise's in the same frame.
	UnderNoise int
	OracleF1   []float64 // per OracleMarginsDB
}

// MeasureFrameErrors runs mk under a default detector over c mixed with
// each condition (not clean speech) and splits its frame errors.
func MeasureFrameErrors(c *Corpus, conds []Condition, mk NewClassifier) ([]FrameErrors, error) {
	var out []FrameErrors
	for _, cd := range conds {
		if math.IsInf(cd.SNR, 1) {
			return nil, fmt.Errorf("eval: frame errors need a noise, not clean speech")
		}
		_, speech, _, err := runDetector(c.Mix(cd.Kind, cd.SNR), mk, vad.TurnOptions{})
		if err != nil {
			return nil, err
		}
		n := min(len(speech), len(c.Labels))
		noise := c.noise(cd.Kind, len(c.Clean), 0)
		g2 := c.noiseGain(cd.SNR) * c.noiseGain(cd.SNR)
		noisePow := make([]float64, n)
		for f := range n {
			noisePow[f] = g2 * framePower(noise, f)
		}
		out = append(out, splitErrors(cd, c.Labels[:n], c.Bridged[:n], speech[:n], func(f int) (float64, float64) {
			return framePower(c.Clean, f), noisePow[f]
		}))
	}
	return out, nil
}

// splitErrors scores got against labels; power gives a frame's clean and
// noise energy.
func splitErrors(cd Condition, labels, bridged, got []bool, power func(int) (float64, float64)) FrameErrors {
	e := FrameErrors{Cond: cd}
	n := len(labels)
	// Distance to the previous labelled frame and to the next one.
	prev, next := make([]int, n), make([]int, n)
	last := -1 << 30
	for f := range n {
		prev[f] = f - last
		if labels[f] {
			last = f
		}
	}
	last = 1 << 30
	for f := n - 1; f >= 0; f-- {
		next[f] = last - f
		if labels[f] {
			last = f
		}
	}
	// For speech frames: how far into their run and how far from its end.
	into, left := make([]int, n), make([]int, n)
	for f := range n {
		if labels[f] && f > 0 && labels[f-1] {
			into[f] = into[f-1] + 1
		}
	}
	for f := n - 1; f >= 0; f-- {
		if labels[f] && f+1 < n && labels[f+1] {
			left[f] = left[f+1] + 1
		}
	}
	tp := 0
	oracleTP := make([]int, len(OracleMarginsDB))
	oracleFP := make([]int, len(OracleMarginsDB))
	for f := range n {
		cl, no := power(f)
		for i, m := range OracleMarginsDB {
			if cl > no*math.Pow(10, -m/10) {
				if labels[f] {
					oracleTP[i]++
				} else {
					oracleFP[i]++
				}
			}
		}
		if labels[f] {
			if f == 0 || !labels[f-1] {
				e.Runs++
			}
			e.Speech++
			if !bridged[f] && cl < no {
				e.UnderNoise++
			}
		}
		switch {
		case got[f] && labels[f]:
			tp++
		case got[f]:
			e.FP++
			switch {
			case prev[f] <= EdgeFrames && prev[f] <= next[f]:
				e.FPAfterEnd++
			case next[f] <= EdgeFrames:
				e.FPBeforeStart++
			}
		case labels[f]:
			e.FN++
			switch {
			case bridged[f]:
				e.FNBridged++
			case into[f] < EdgeFrames && into[f] <= left[f]:
				e.FNOnset++
			case left[f] < EdgeFrames:
				e.FNOffset++
			}
		}
	}
	e.F1 = f1(tp, e.FP, e.FN)
	for i := range OracleMarginsDB {
		e.OracleF1 = append(e.OracleF1, f1(oracleTP[i], oracleFP[i], e.Speech-oracleTP[i]))
	}
	return e
}

func f1(tp, fp, fn int) float64 {
	if tp == 0 {
		return 0
	}
	return 2 * float64(tp) / float64(2*tp+fp+fn)
}

// FrameErrorsMarkdown renders one table row per corpus and condition.
func FrameErrorsMarkdown(names []string, errs [][]FrameErrors, vadName string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Where the %s VAD's frame errors lie (%d ms from a labelled run's edge counts as at it; labelled speech frames "+
		"under the noise: clean energy below the noise's in that frame, bridged gaps left out). Oracle: speech exactly where the "+
		"frame's clean energy is above the noise's, or above it less 5 or 10 dB (it knows both tracks; no detector does):\n\n",
		vadName, EdgeFrames*int(FrameTime.Milliseconds()))
	b.WriteString("| speech | noise | SNR dB | labelled runs | false speech | ≤100 ms after an end (frames per end) | ≤100 ms before a start | missed speech | bridged gaps " +
		"| first 100 ms of a run | last 100 ms | labelled speech under the noise | VAD F1 | oracle F1: > noise / > −5 dB / > −10 dB |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	pct := func(k, of int) string { return fmt.Sprintf("%d (%.0f %%)", k, 100*float64(k)/float64(max(of, 1))) }
	for i, name := range names {
		for _, e := range errs[i] {
			fmt.Fprintf(&b, "| %s | %s | %.0f | %d | %d | %s, %.1f | %s | %d | %s | %s | %s | %s | %.3f | %.3f / %.3f / %.3f |\n",
				name, e.Cond.Kind, e.Cond.SNR, e.Runs, e.FP, pct(e.FPAfterEnd, e.FP), float64(e.FPAfterEnd)/float64(max(e.Runs, 1)), pct(e.FPBeforeStart, e.FP), e.FN,
				pct(e.FNBridged, e.FN), pct(e.FNOnset, e.FN), pct(e.FNOffset, e.FN), pct(e.UnderNoise, e.Speech), e.F1,
				e.OracleF1[0], e.OracleF1[1], e.OracleF1[2])
		}
	}
	return b.String()
}
