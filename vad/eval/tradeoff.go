package eval

import (
	"fmt"
	"slices"
	"strings"

	"github.com/duplex-ai/duplex/vad"
)

// OperatingPoint is one classifier and turn detector at one frame
// threshold in a fluctuating background (TurnOptions.FluctuatingThreshold:
// the frame decision there, and what keeps a turn going) on one mixture
// and on its noise alone.
type OperatingPoint struct {
	Threshold   float64
	Result      Result
	FalsePerMin float64 // on the noise alone
	NoiseInTurn float64 // share of the noise alone inside turns
}

// Tradeoff is the frame-probability ROC AUC of mk on c mixed with kind at
// snr, and the operating points at the given thresholds. It shows what a
// lower decision point buys in frame F1 and what it costs in turns.
type Tradeoff struct {
	Kind   NoiseKind
	SNR    float64
	AUC    float64
	Points []OperatingPoint
}

// MeasureTradeoff runs mk over c mixed with kind at snr, and over the noise
// alone, once per FluctuatingThreshold in thresholds (the other options at
// their defaults).
func MeasureTradeoff(c *Corpus, kind NoiseKind, snr float64, mk NewClassifier, thresholds []float64) (Tradeoff, error) {
	t := Tradeoff{Kind: kind, SNR: snr}
	pcm, noise := c.Mixes(Condition{kind, snr})
	probs, _, _, err := runDetector(pcm, mk, vad.TurnOptions{})
	if err != nil {
		return t, err
	}
	n := min(len(probs), len(c.Labels))
	t.AUC = AUC(probs[:n], c.Labels[:n])
	for _, thr := range thresholds {
		topt := vad.TurnOptions{FluctuatingThreshold: thr}
		op := OperatingPoint{Threshold: thr}
		if op.Result, err = Evaluate(c, pcm, mk, topt); err != nil {
			return t, err
		}
		if op.FalsePerMin, op.NoiseInTurn, err = FalseStarts(noise, mk, topt); err != nil {
			return t, err
		}
		t.Points = append(t.Points, op)
	}
	return t, nil
}

// AUC is the area under the ROC curve of scores against labels: the chance
// that a random positive scores above a random negative, ties counting
// half. 0.5 when either class is empty.
func AUC(scores []float64, labels []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return 0
	})
	// Walk up the scores in groups of equal value: each negative in a group
	// beats the positives below the group, and ties with half of the
	// group's positives.
	var pos, neg, wins float64
	for i := 0; i < len(idx); {
		j := i
		var gp, gn float64
		for ; j < len(idx) && scores[idx[j]] == scores[idx[i]]; j++ {
			if labels[idx[j]] {
				gp++
			} else {
				gn++
			}
		}
		wins += gp * (neg + gn/2)
		pos, neg = pos+gp, neg+gn
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0.5
	}
	return wins / (pos * neg)
}

// TradeoffMarkdown renders ts, one table each.
func TradeoffMarkdown(ts []Tradeoff, vadName string) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Frame threshold in a fluctuating background (FluctuatingThreshold), %s VAD, %s %s: "+
			"the per-frame speech probability's ROC AUC is %.3f. The threshold is the frame decision there and, in runs of "+
			"MinResume, what keeps a turn going (Threshold stays at 0.5 in a steady background, and the start rules at "+
			"their defaults); default %.2f. The last column is what it costs on the %s alone:\n\n",
			vadName, t.Kind, snrLabel(t.SNR), t.AUC, vad.DefaultFluctuatingThreshold, t.Kind)
		b.WriteString("| threshold | precision | recall | F1 | onset median | missed | EOT extra median | false starts/min, time in turns (noise only) |\n")
		b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, p := range t.Points {
			x := p.Result
			fmt.Fprintf(&b, "| %.2f | %.3f | %.3f | **%.3f** | %s | %s | %s | %.1f, %.0f %% |\n", p.Threshold,
				x.Precision, x.Recall, x.F1, durOrNone(x.Onset), missedCell(x), durOrNone(x.EndExtra), p.FalsePerMin, 100*p.NoiseInTurn)
		}
	}
	return b.String()
}
