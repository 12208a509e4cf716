package eval

import (
	"fmt"
	"math"
	"os/exec"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/internal/benchmd"
	"github.com/duplex-ai/duplex/vad"
)

// Contender is a named classifier factory.
type Contender struct {
	Name string
	New  NewClassifier
}

// Contenders returns the production classifier and the energy baseline.
func Contenders() []Contender {
	return []Contender{
		{"spectral", func() (vad.Classifier, error) { return vad.NewClassifier(vad.Options{}) }},
		{"energy", func() (vad.Classifier, error) { return vad.NewEnergyVAD(vad.Options{}, 0) }},
	}
}

// Row is one line of the accuracy table.
type Row struct {
	Noise       string
	SNR         float64 // +Inf for clean
	VAD         string
	Result      Result
	FalsePerMin float64 // NaN when not measured (clean)
	NoiseInTurn float64 // share of the noise-only audio inside turns
	// Default, when measured, is the same mixture under the server's
	// default end of turn (adaptive, with the live recogniser's partials:
	// EvaluatePartials).
	Default *Result
}

// SweepRow is one line of the MinSilence sweep.
type SweepRow struct {
	MinSilence   time.Duration
	Utts, Splits int
	SplitUtts    int // utterances that started more than one turn
	EndMedian    time.Duration
	EndP95       time.Duration
}

// Matrix runs every contender over clean speech and every noise and SNR.
func Matrix(c *Corpus, snrs []float64, topt vad.TurnOptions, cs []Contender) ([]Row, error) {
	var rows []Row
	conds := []Condition{{White, math.Inf(1)}}
	for _, k := range NoiseKinds {
		for _, s := range snrs {
			conds = append(conds, Condition{k, s})
		}
	}
	for _, cd := range conds {
		pcm, noise := c.Mixes(cd)
		label := cd.Kind.String()
		if math.IsInf(cd.SNR, 1) {
			label = "clean"
		}
		for _, ct := range cs {
			res, err := Evaluate(c, pcm, ct.New, topt)
			if err != nil {
				return nil, err
			}
			row := Row{Noise: label, SNR: cd.SNR, VAD: ct.Name, Result: res, FalsePerMin: math.NaN()}
			if len(noise) > 0 {
				if row.FalsePerMin, row.NoiseInTurn, err = FalseStarts(noise, ct.New, topt); err != nil {
					return nil, err
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// SweepMinSilence measures turn splitting and end delay of the spectral VAD
// for several MinSilence values, on clean speech and on the given noisy
// mixtures pooled together.
func SweepMinSilence(c *Corpus, values []time.Duration, mixes [][]int16, mk NewClassifier) ([]SweepRow, error) {
	var out []SweepRow
	for _, ms := range values {
		row := SweepRow{MinSilence: ms}
		var ends []time.Duration
		for _, pcm := range mixes {
			r, err := Evaluate(c, pcm, mk, vad.TurnOptions{MinSilence: ms})
			if err != nil {
				return nil, err
			}
			row.Utts += r.Utts
			row.Splits += r.Splits
			row.SplitUtts += r.SplitUtts
			ends = append(ends, r.EndExtra...)
		}
		row.EndMedian, row.EndP95 = Percentile(ends, 50), Percentile(ends, 95)
		out = append(out, row)
	}
	return out, nil
}

func msf(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond)) }

// endMS is msf for end-of-turn delays: "open" for a turn that had not
// ended when the audio ran out.
func endMS(d time.Duration) string {
	if d >= notEnded/2 {
		return "open"
	}
	return msf(d)
}

// CorpusMarkdown describes the corpus and how it was labelled.
func CorpusMarkdown(c *Corpus) string {
	var b strings.Builder
	var voices []string
	for _, v := range c.Config.Voices {
		voices = append(voices, "`"+v.Name+"`")
	}
	var speech time.Duration
	for f, l := range c.Labels {
		_ = f
		if l {
			speech += FrameTime
		}
	}
	fmt.Fprintf(&b, "Corpus: %d utterances (%s of audio, %s labelled speech), espeak-ng %s, voices %s, %v wpm, "+
		"English and Mandarin; pauses %v–%v; seed %d. Each utterance is normalised to %.0f dBFS ±%.0f dB active level. "+
		"Labels: a 20 ms frame is speech when its clean energy is within %.0f dB of its utterance's loudest frame, "+
		"gaps up to %v bridged. SNR = active speech level / noise power. Babble = %d espeak talkers summed. "+
		"False starts are counted on %v of noise-only audio per condition (same noise level as the mixture), "+
		"the mean of runs started %s into it (in babble the detector's path depends on where it starts).\n",
		len(c.Utts), c.Duration().Round(time.Second), speech.Round(time.Second), espeakVersion(), strings.Join(voices, ", "),
		c.Config.Speeds, c.Config.PauseMin, c.Config.PauseMax, c.Config.Seed, speechLevel, levelSpread,
		-LabelFloorDB, LabelBridge, c.Config.Talkers, c.Config.NoiseOnly, offsetList())
	return b.String()
}

func espeakVersion() string {
	out, err := exec.Command("espeak-ng", "--version").Output()
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(out))
	for i, w := range f {
		if strings.HasSuffix(w, ":") && i+1 < len(f) {
			return f[i+1]
		}
	}
	return strings.TrimSpace(string(out))
}

// TableMarkdown renders the accuracy matrix.
func TableMarkdown(rows []Row, topt vad.TurnOptions) string {
	var b strings.Builder
	ms, msp := topt.MinSilence, topt.MinSpeech
	if ms == 0 {
		ms = vad.DefaultMinSilence
	}
	if msp == 0 {
		msp = vad.DefaultMinSpeech
	}
	fmt.Fprintf(&b, "Turn detector defaults (MinSpeech %v, MinSilence %v). A frame is speech when the detector counts it as "+
		"speech (Detector.LastIsSpeech: probability at or above Threshold, or FluctuatingThreshold while the classifier "+
		"reports a fluctuating background). Onset = SpeechStarted.At − labelled onset; "+
		"decision = SpeechStarted.DecidedAt − labelled onset (≈ onset + MinSpeech); "+
		"EOT extra = SpeechEnded.DecidedAt − labelled end − MinSilence. Delays in ms, median/p95. "+
		"Missed = utterances with no turn of their own; \"in a turn\": of those, how many began while an earlier turn "+
		"(the previous utterance's, run on, or one the noise started) was still open, the rest started none.\n\n", msp, ms)
	b.WriteString("| noise | SNR dB | VAD | precision | recall | F1 | onset | decision | EOT extra | missed | splits | false starts/min, time in turns (noise only) |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		snr := "—"
		if !math.IsInf(r.SNR, 1) {
			snr = fmt.Sprintf("%.0f", r.SNR)
		}
		fp := "—"
		if !math.IsNaN(r.FalsePerMin) {
			fp = fmt.Sprintf("%.1f, %.0f %%", r.FalsePerMin, 100*r.NoiseInTurn)
		}
		x := r.Result
		fmt.Fprintf(&b, "| %s | %s | %s | %.3f | %.3f | **%.3f** | %s/%s | %s | %s/%s | %s | %d | %s |\n",
			r.Noise, snr, r.VAD, x.Precision, x.Recall, x.F1,
			msf(Percentile(x.Onset, 50)), msf(Percentile(x.Onset, 95)), msf(Percentile(x.Decision, 50)),
			endMS(Percentile(x.EndExtra, 50)), endMS(Percentile(x.EndExtra, 95)),
			missedCell(x), x.Splits, fp)
	}
	return b.String()
}

// missedCell is "missed/utterances", with how many of the missed began
// inside a turn still open.
func missedCell(x Result) string {
	if x.MissedOpen == 0 {
		return fmt.Sprintf("%d/%d", x.Missed, x.Utts)
	}
	return fmt.Sprintf("%d/%d (%d in a turn)", x.Missed, x.Utts, x.MissedOpen)
}

// SweepMarkdown renders the MinSilence sweep.
func SweepMarkdown(rows []SweepRow, what string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "MinSilence sweep, spectral VAD, %s:\n\n", what)
	b.WriteString("| MinSilence ms | utterances | split (turn ended inside an utterance) | EOT extra median/p95 ms |\n|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %d (%.1f %%) | %s/%s |\n", msf(r.MinSilence), r.Utts, r.Splits,
			100*float64(r.Splits)/float64(max(r.Utts, 1)), msf(r.EndMedian), msf(r.EndP95))
	}
	return b.String()
}

// Machine describes the CPU this runs on.
func Machine() string {
	model, cores := benchmd.CPU()
	return fmt.Sprintf("%s, %d logical cores", model, cores)
}

// Section markers in BENCHMARKS.md.
const (
	BeginMarker = "<!-- vad-eval:begin -->"
	EndMarker   = "<!-- vad-eval:end -->"
)

// WriteSection replaces the text between BeginMarker and EndMarker in path
// with body, appending a new section (or creating the file) when absent.
func WriteSection(path, body string) error {
	if err := benchmd.WriteSection(path, "vad-eval", "## Voice activity detection (`make vad-eval`)", body); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}

// VerdictMarkdown checks the rows of the spectral VAD against the targets of
// the VAD issue and says, target by target, whether they are met.
func VerdictMarkdown(rows []Row, vadName string) string {
	find := func(noise string, snr float64, name string) (Row, bool) {
		for _, r := range rows {
			if r.Noise == noise && r.SNR == snr && r.VAD == name {
				return r, true
			}
		}
		return Row{}, false
	}
	var b strings.Builder
	b.WriteString("Targets (" + vadName + " VAD):\n\n")
	line := func(target string, ok bool, got []string) {
		verdict := "**met**"
		if !ok {
			verdict = "**missed**"
		}
		fmt.Fprintf(&b, "- %s: %s (%s)\n", target, verdict, strings.Join(got, ", "))
	}
	f1 := func(target string, noises []string, snr, want float64) {
		ok, got := true, []string(nil)
		for _, n := range noises {
			if r, found := find(n, snr, vadName); found {
				ok = ok && r.Result.F1 >= want
				got = append(got, fmt.Sprintf("%s %.3f", n, r.Result.F1))
			}
		}
		line(target, ok, got)
	}
	f1("frame F1 ≥ 0.95 at 20 dB, white and pink", []string{"white", "pink"}, 20, 0.95)
	f1("frame F1 ≥ 0.90 at 10 dB, white and pink", []string{"white", "pink"}, 10, 0.90)
	f1("frame F1 ≥ 0.85 at 10 dB babble", []string{"babble"}, 10, 0.85)
	ok, got := true, []string(nil)
	closest, margin := "", math.Inf(1)
	for _, r := range rows {
		if r.VAD != vadName || math.IsInf(r.SNR, 1) || r.SNR > 10 {
			continue
		}
		for _, o := range rows {
			if o.VAD == vadName || o.Noise != r.Noise || o.SNR != r.SNR {
				continue
			}
			cell := fmt.Sprintf("%s %.0f dB %.3f vs %.3f", r.Noise, r.SNR, r.Result.F1, o.Result.F1)
			if r.Result.F1 <= o.Result.F1 {
				ok = false
				got = append(got, cell)
			}
			if d := r.Result.F1 - o.Result.F1; d < margin {
				closest, margin = cell, d
			}
		}
	}
	if ok {
		got = []string{"every noise at 10, 5 and 0 dB; closest " + closest}
	}
	line("F1 above the energy baseline at 10 dB and below", ok, got)
	each := func(target string, minSNR float64, pass func(Row) bool, show func(Row) string) {
		ok, got := true, []string(nil)
		for _, r := range rows {
			if r.VAD != vadName || (!math.IsInf(r.SNR, 1) && r.SNR < minSNR) {
				continue
			}
			if !pass(r) {
				ok = false
				got = append(got, fmt.Sprintf("%s %s: %s", r.Noise, snrLabel(r.SNR), show(r)))
			}
		}
		if ok {
			got = []string{fmt.Sprintf("every condition at %.0f dB and above", minSNR)}
		}
		line(target, ok, got)
	}
	each("onset delay median ≤ 60 ms", 10,
		func(r Row) bool {
			return len(r.Result.Onset) > 0 && Percentile(r.Result.Onset, 50) <= 60*time.Millisecond
		},
		func(r Row) string { return durOrNone(r.Result.Onset) })
	each("end of turn decided within MinSilence + 30 ms (median)", 10,
		func(r Row) bool {
			return len(r.Result.EndExtra) > 0 && Percentile(r.Result.EndExtra, 50) <= 30*time.Millisecond
		},
		func(r Row) string { return durOrNone(r.Result.EndExtra) })
	each("≤ 1 false turn start per minute of noise-only audio at 10 dB", 10,
		func(r Row) bool { return r.SNR != 10 || math.IsNaN(r.FalsePerMin) || r.FalsePerMin <= 1 },
		func(r Row) string { return fmt.Sprintf("%.1f/min", r.FalsePerMin) })
	return b.String()
}

// offsetList is FalseStartOffsets as "0s, 700ms and 1.9s".
func offsetList() string {
	var parts []string
	for _, o := range FalseStartOffsets {
		parts = append(parts, o.String())
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func durOrNone(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no turn"
	}
	return fmt.Sprintf("%d ms", Percentile(ds, 50).Milliseconds())
}

func snrLabel(snr float64) string {
	if math.IsInf(snr, 1) {
		return "clean"
	}
	return fmt.Sprintf("%.0f dB", snr)
}
