package eval

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/internal/benchmd"
	"github.com/duplex-ai/duplex/vad"
)

// RealSet is one real-speech corpus and its accuracy rows.
type RealSet struct {
	Name   string // e.g. "FSDD digit strings"
	Corpus *Corpus
	Rows   []Row
	// AltRows are Rows scored against labels at AltFloorDB (Relabel), in
	// the same order.
	AltRows []Row
	Sweep   []SweepRow
}

// AltFloorDB is the label floor of the real-speech section's second F1
// column: frames within 25 dB of the utterance's loudest, above the
// recordings' decays and room tone.
const AltFloorDB = -25.0

// RealSNRs are the SNRs of the real-speech section (Matrix adds clean
// speech): every noise at 20, 10, 5 and 0 dB.
func RealSNRs() []float64 { return []float64{20, 10, 5, 0} }

// SplitRate is the share of utterances that started more than one turn.
func SplitRate(r Result) float64 { return float64(r.SplitUtts) / float64(max(r.Utts, 1)) }

// TurnsPerUtt is the mean number of turns an utterance started (a missed
// one counts 0).
func TurnsPerUtt(r Result) float64 {
	return float64(r.Utts-r.Missed+r.Splits) / float64(max(r.Utts, 1))
}

// RealCorpusMarkdown describes one real-speech corpus.
func RealCorpusMarkdown(name string, c *Corpus, how string) string {
	var speech time.Duration
	for _, l := range c.Labels {
		if l {
			speech += FrameTime
		}
	}
	speakers := map[string]int{}
	var order []string
	for _, u := range c.Utts {
		if speakers[u.Voice] == 0 {
			order = append(order, u.Voice)
		}
		speakers[u.Voice]++
	}
	var who []string
	for _, v := range order {
		who = append(who, fmt.Sprintf("%s ×%d", strings.SplitN(v, ":", 2)[1], speakers[v]))
	}
	if len(who) > 6 {
		who = append(who[:6], "…")
	}
	return fmt.Sprintf("- %s: %d utterances (%s of audio, %s labelled speech; %s). %s Pauses %v–%v between utterances, "+
		"each normalised to %.0f dBFS ±%.0f dB active level, seed %d.\n",
		name, len(c.Utts), c.Duration().Round(time.Second), speech.Round(time.Second), strings.Join(who, ", "), how,
		c.Config.PauseMin, c.Config.PauseMax, speechLevel, levelSpread, c.Config.Seed)
}

// RealTableMarkdown renders the accuracy rows of every set, with turns per
// utterance and the split rate.
func RealTableMarkdown(sets []RealSet, topt vad.TurnOptions) string {
	var b strings.Builder
	ms := topt.MinSilence
	if ms == 0 {
		ms = vad.DefaultMinSilence
	}
	fmt.Fprintf(&b, "Turn detector defaults (MinSilence %v, as `-vad-min-silence`). Columns as in the synthetic table; "+
		"turns/utt = turns started per utterance (missed ones count 0); split = utterances that started more than one turn. \"%.0f dB labels\": "+
		"precision/recall/F1 and onset/EOT against labels at a %.0f dB floor instead of %.0f (the same audio and turns).\n\n", ms, -AltFloorDB, -AltFloorDB, -LabelFloorDB)
	b.WriteString("\"server default\": the same mixture through the server's default end of turn (`-endpointing adaptive`: " +
		"`vad.EndpointOptions{}` hearing `vad.CombinePartials` of the live recogniser's skills-grammar and streaming general-LM " +
		"partials, stt/sphinx as in a call, one stream per utterance; MinSilence then plays no part): utterances split, and the end of turn " +
		"decided after the labelled end (p50/p95 ms); \"–\" where not measured.\n\n")
	fmt.Fprintf(&b, "| speech | noise | SNR dB | VAD | precision | recall | F1 | onset | EOT extra | missed | turns/utt | split | split, server default (end p50/p95) | %.0f dB labels: P / R / F1 | onset, EOT extra |\n", -AltFloorDB)
	b.WriteString("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range sets {
		for i, r := range s.Rows {
			x := r.Result
			alt, altT := "—", "—"
			if i < len(s.AltRows) {
				y := s.AltRows[i].Result
				alt = fmt.Sprintf("%.3f / %.3f / **%.3f**", y.Precision, y.Recall, y.F1)
				altT = fmt.Sprintf("%s/%s, %s/%s", msf(Percentile(y.Onset, 50)), msf(Percentile(y.Onset, 95)),
					endMS(Percentile(y.EndExtra, 50)), endMS(Percentile(y.EndExtra, 95)))
			}
			def := "–"
			if y := r.Default; y != nil {
				def = fmt.Sprintf("%d (%.1f %%), %s/%s", y.SplitUtts, 100*SplitRate(*y),
					endMS(Percentile(y.EndExtra, 50)+vad.DefaultMinSilence), endMS(Percentile(y.EndExtra, 95)+vad.DefaultMinSilence))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %.3f | %.3f | **%.3f** | %s/%s | %s/%s | %s | %.2f | %d (%.1f %%) | %s | %s | %s |\n",
				s.Name, r.Noise, snrCell(r.SNR), r.VAD, x.Precision, x.Recall, x.F1,
				msf(Percentile(x.Onset, 50)), msf(Percentile(x.Onset, 95)),
				endMS(Percentile(x.EndExtra, 50)), endMS(Percentile(x.EndExtra, 95)),
				missedCell(x), TurnsPerUtt(x), x.SplitUtts, 100*SplitRate(x), def, alt, altT)
		}
	}
	return b.String()
}

func snrCell(snr float64) string {
	if math.IsInf(snr, 1) {
		return "—"
	}
	return fmt.Sprintf("%.0f", snr)
}

// RealVerdictMarkdown checks the real-speech targets of issue 21 for vadName:
// frame F1 ≥ 0.95 at 20 dB and ≥ 0.90 at 10 dB for white and pink, and a
// split rate ≤ 5 % in every condition at 10 dB and above, per set.
func RealVerdictMarkdown(sets []RealSet, vadName string) string {
	var b strings.Builder
	b.WriteString("Targets on real speech (" + vadName + " VAD):\n\n")
	for _, s := range sets {
		line := func(target string, ok bool, got []string) {
			v := "**met**"
			if !ok {
				v = "**missed**"
			}
			fmt.Fprintf(&b, "- %s, %s: %s (%s)\n", s.Name, target, v, strings.Join(got, ", "))
		}
		f1 := func(target string, snr, want float64) {
			ok, got, alt := true, []string(nil), []string(nil)
			for i, r := range s.Rows {
				if r.VAD == vadName && r.SNR == snr && (r.Noise == "white" || r.Noise == "pink") {
					ok = ok && r.Result.F1 >= want
					got = append(got, fmt.Sprintf("%s %.3f", r.Noise, r.Result.F1))
					if i < len(s.AltRows) {
						alt = append(alt, fmt.Sprintf("%s %.3f", r.Noise, s.AltRows[i].Result.F1))
					}
				}
			}
			if len(alt) > 0 {
				got = append(got, fmt.Sprintf("against %.0f dB labels: %s", -AltFloorDB, strings.Join(alt, ", ")))
			}
			line(target, ok, got)
		}
		f1("frame F1 ≥ 0.95 at 20 dB, white and pink", 20, 0.95)
		f1("frame F1 ≥ 0.90 at 10 dB, white and pink", 10, 0.90)
		ok, worst, worstRate := true, "", -1.0
		for _, r := range s.Rows {
			if r.VAD != vadName || (!math.IsInf(r.SNR, 1) && r.SNR < 10) {
				continue
			}
			sr := SplitRate(r.Result)
			ok = ok && sr <= 0.05
			if sr > worstRate {
				cond := r.Noise
				if !math.IsInf(r.SNR, 1) {
					cond += " " + snrLabel(r.SNR)
				}
				worst, worstRate = fmt.Sprintf("worst %s %.1f %%", cond, 100*sr), sr
			}
		}
		line(fmt.Sprintf("split rate ≤ 5 %% at 10 dB and above, fixed %d ms (`-endpointing fixed`, the `-vad-min-silence` default)",
			vad.DefaultMinSilence.Milliseconds()),
			ok, []string{worst})
		ok, worst, worstRate, n := true, "", -1.0, 0
		for _, r := range s.Rows {
			if r.VAD != vadName || r.Default == nil || (!math.IsInf(r.SNR, 1) && r.SNR < 10) {
				continue
			}
			n++
			sr := SplitRate(*r.Default)
			ok = ok && sr <= 0.05
			if sr > worstRate {
				cond := r.Noise
				if !math.IsInf(r.SNR, 1) {
					cond += " " + snrLabel(r.SNR)
				}
				worst, worstRate = fmt.Sprintf("worst %s %.1f %% of %d", cond, 100*sr, r.Default.Utts), sr
			}
		}
		if n > 0 {
			line("split rate ≤ 5 % at 10 dB and above, server default (`-endpointing adaptive` with the live partials)", ok, []string{worst})
		}
	}
	return b.String()
}

// WriteRealSection replaces the real-speech section of BENCHMARKS.md.
func WriteRealSection(path, body string) error {
	if err := benchmd.WriteSection(path, "vad-eval-real", "## Voice activity detection on real speech (`make vad-eval`)", body); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}

// HoldRow is one line of the ShortRunHold sweep: turn splitting and end
// delay on real and synthetic speech at one setting.
type HoldRow struct {
	Hold, ShortRun time.Duration
	Sets           []SweepRow // one per corpus, in the order given
}

// SweepShortRunHold measures, per corpus, splits and end-of-turn delay of
// the spectral VAD at each setting (ShortRunHold and ShortRun; the other
// options at their defaults), over the given conditions pooled.
func SweepShortRunHold(cs []*Corpus, settings []vad.TurnOptions, conds []Condition, mk NewClassifier) ([]HoldRow, error) {
	var out []HoldRow
	for _, o := range settings {
		row := HoldRow{Hold: o.ShortRunHold, ShortRun: o.ShortRun}
		for _, c := range cs {
			sr := SweepRow{MinSilence: vad.DefaultMinSilence}
			var ends []time.Duration
			for _, cd := range conds {
				r, err := Evaluate(c, c.Mix(cd.Kind, cd.SNR), mk, vad.TurnOptions{ShortRunHold: o.ShortRunHold, ShortRun: o.ShortRun})
				if err != nil {
					return nil, err
				}
				sr.Utts += r.Utts
				sr.Splits += r.SplitUtts
				ends = append(ends, r.EndExtra...)
			}
			sr.EndMedian, sr.EndP95 = Percentile(ends, 50), Percentile(ends, 95)
			row.Sets = append(row.Sets, sr)
		}
		out = append(out, row)
	}
	return out, nil
}

// HoldMarkdown renders the ShortRunHold sweep; names label the corpora.
func HoldMarkdown(rows []HoldRow, names []string, what string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ShortRunHold sweep (vad.TurnOptions: after a run of speech shorter than ShortRun, default %v, the end of turn waits MinSilence + ShortRunHold; "+
		"off by default), spectral VAD, MinSilence %v, %s. Per corpus: utterances split into more than one turn, and EOT extra "+
		"(end decided − labelled end − MinSilence) median/p95 ms:\n\n", vad.DefaultShortRun, vad.DefaultMinSilence, what)
	b.WriteString("| ShortRunHold ms | ShortRun ms |")
	for _, n := range names {
		fmt.Fprintf(&b, " %s: split | EOT extra |", n)
	}
	b.WriteString("\n|---:|---:|")
	for range names {
		b.WriteString("---:|---:|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		sr := r.ShortRun
		if sr == 0 {
			sr = vad.DefaultShortRun
		}
		fmt.Fprintf(&b, "| %s | %s |", msf(r.Hold), msf(sr))
		for _, s := range r.Sets {
			fmt.Fprintf(&b, " %d/%d (%.1f %%) | %s/%s |", s.Splits, s.Utts, 100*float64(s.Splits)/float64(max(s.Utts, 1)),
				endMS(s.EndMedian), endMS(s.EndP95))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// RealSweepMarkdown renders a MinSilence sweep with the real section's
// split measure (utterances that started more than one turn) beside the
// extra turns.
func RealSweepMarkdown(rows []SweepRow, what string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "MinSilence sweep, spectral VAD, %s:\n\n", what)
	b.WriteString("| MinSilence ms | utterances | split | extra turns | EOT extra median/p95 ms |\n|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %d (%.1f %%) | %d | %s/%s |\n", msf(r.MinSilence), r.Utts, r.SplitUtts,
			100*float64(r.SplitUtts)/float64(max(r.Utts, 1)), r.Splits, msf(r.EndMedian), msf(r.EndP95))
	}
	return b.String()
}

// Separability is how well a classifier's frame probability alone tells
// speech frames from the rest on one mixture: its ROC AUC, and the best
// frame F1 any fixed threshold reaches (chosen on the same audio, so an
// upper bound for the frame decision, not a score to quote).
type Separability struct {
	Cond                    Condition
	AUC, BestF1, BestThresh float64
}

// MeasureSeparability runs mk (under a default detector) over c mixed
// with each condition.
func MeasureSeparability(c *Corpus, conds []Condition, mk NewClassifier) ([]Separability, error) {
	var out []Separability
	for _, cd := range conds {
		probs, _, _, err := runDetector(c.Mix(cd.Kind, cd.SNR), mk, vad.TurnOptions{})
		if err != nil {
			return nil, err
		}
		labels := c.Labels[:min(len(probs), len(c.Labels))]
		probs = probs[:len(labels)]
		f1, th := bestF1(probs, labels)
		out = append(out, Separability{Cond: cd, AUC: AUC(probs, labels), BestF1: f1, BestThresh: th})
	}
	return out, nil
}

// bestF1 is the highest F1 of "score ≥ t" against labels over every t,
// and that t.
func bestF1(scores []float64, labels []bool) (float64, float64) {
	idx := make([]int, len(scores))
	var pos float64
	for i := range idx {
		idx[i] = i
		if labels[i] {
			pos++
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	var tp, fp, best, th float64
	for i := 0; i < len(idx); {
		j := i
		for ; j < len(idx) && scores[idx[j]] == scores[idx[i]]; j++ {
			if labels[idx[j]] {
				tp++
			} else {
				fp++
			}
		}
		if tp > 0 {
			if f := 2 * tp / (tp + fp + pos); f > best {
				best, th = f, scores[idx[i]]
			}
		}
		i = j
	}
	return best, th
}

// SeparabilityMarkdown renders one line per set.
func SeparabilityMarkdown(names []string, seps [][]Separability, vadName string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "What the %s VAD's frame probability alone can do (ROC AUC; best frame F1 of any fixed threshold, chosen on the same audio — an upper bound, not the VAD's figure):\n\n", vadName)
	for i, n := range names {
		var cells []string
		for _, s := range seps[i] {
			cells = append(cells, fmt.Sprintf("%s %.0f dB AUC %.3f, best F1 %.3f at p ≥ %.2f", s.Cond.Kind, s.Cond.SNR, s.AUC, s.BestF1, s.BestThresh))
		}
		fmt.Fprintf(&b, "- %s: %s\n", n, strings.Join(cells, "; "))
	}
	return b.String()
}
