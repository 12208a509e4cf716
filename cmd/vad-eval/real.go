package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/vad"
	"github.com/duplex-ai/duplex/vad/eval"
)

// realOpt holds the real section's flags.
var realOpt struct {
	recogniser bool
	conds      string
	cache      string
	strings    int
	tuning     bool
	explain    bool
	try        string
}

// runReal builds the real-speech corpora (each one left out, and said so,
// when its folder is absent), scores both contenders on them and writes the
// real-speech section.
func runReal(out, fsddDir, librivoxDir string) error {
	start := time.Now()
	ctx := context.Background()
	rcfg := eval.DefaultRealConfig()
	if realOpt.strings > 0 {
		rcfg.Strings = realOpt.strings
	}
	cfg := eval.DefaultConfig()
	cfg.Seed, cfg.NoiseOnly = rcfg.Seed, 0
	var sets []eval.RealSet
	var notes, how []string
	// The FSDD speakers vad-train may learn from are never evaluated, so
	// the figures keep their meaning whichever weights are committed; the
	// others say as many strings as the four would.
	var held []string
	for _, sp := range rcfg.Speakers {
		if !slices.Contains(eval.TrainFSDDSpeakers, sp) && !slices.Contains(vad.ModelFSDDSpeakers, sp) {
			held = append(held, sp)
		}
	}
	if len(held) == 0 {
		return fmt.Errorf("every FSDD speaker is in the learnt score's training set")
	}
	// -split tuning: the speakers and librivox sentences the end-of-turn
	// rules are tuned on (turn-eval's tuning split), never reported as
	// the held-out figures; names differ so cached partials stay apart.
	digitName, sentName := "FSDD digit strings", "librivox sentences"
	if realOpt.tuning {
		held = eval.TrainFSDDSpeakers
		digitName, sentName = digitName+" (tuning)", sentName+" (tuning)"
	}
	rcfg.Strings = rcfg.Strings * len(rcfg.Speakers) / len(held)
	rcfg.Speakers = held
	split := fmt.Sprintf("the spectral VAD's learnt score was trained on espeak-ng speech only: none of these recordings was seen "+
		"in training; the FSDD strings are of %s only (%s are kept for training, `vad-train -fsdd`)",
		strings.Join(held, "/"), strings.Join(eval.TrainFSDDSpeakers, "/"))
	if len(vad.ModelFSDDSpeakers) > 0 {
		split = fmt.Sprintf("the spectral VAD's learnt score was trained on espeak-ng speech and on FSDD digit strings of %s "+
			"(`make vad-train`, other strings, gains and noise); the FSDD strings here are of %s only, and the librivox "+
			"reader was never seen in training",
			strings.Join(vad.ModelFSDDSpeakers, "/"), strings.Join(held, "/"))
	}
	if realOpt.tuning {
		split = fmt.Sprintf("TUNING split, not a held-out figure: the FSDD strings are of %s and the librivox sentences %s, "+
			"the end-of-turn rules' tuning speakers and sentences (turn-eval's tuning split)",
			strings.Join(held, "/"), strings.Join(eval.DefaultTurnConfig().TuneLibrivox, ", "))
	}
	digits, err := eval.DigitStrings(fsddDir, rcfg)
	switch {
	case errors.Is(err, eval.ErrNoRecordings):
		notes = append(notes, fmt.Sprintf("FSDD digit strings left out: %v.", err))
	case err != nil:
		return err
	default:
		c, err := eval.BuildReal(ctx, cfg, digits)
		if err != nil {
			return err
		}
		sets = append(sets, eval.RealSet{Name: digitName, Corpus: c})
		how = append(how, eval.RealCorpusMarkdown(digitName, c, fmt.Sprintf(
			"%d–%d digits per string, one speaker per string, %v–%v of silence between digits; 8 kHz recordings resampled to 16 kHz "+
				"(the corpus's rate; the same windowed-sinc resampler as the synthetic corpus's rate paths).",
			rcfg.DigitsMin, rcfg.DigitsMax, rcfg.GapMin, rcfg.GapMax)))
	}
	sent, err := eval.Sentences(librivoxDir)
	switch {
	case errors.Is(err, eval.ErrNoRecordings) || errors.Is(err, os.ErrNotExist):
		notes = append(notes, fmt.Sprintf("librivox sentences left out: %v.", err))
	case err != nil:
		return err
	default:
		if realOpt.tuning {
			sent = slices.DeleteFunc(sent, func(s eval.Spoken) bool {
				return !slices.Contains(eval.DefaultTurnConfig().TuneLibrivox, s.Speaker)
			})
		}
		var items []eval.Spoken
		for range rcfg.SentenceRepeats {
			items = append(items, sent...)
		}
		lcfg := cfg
		lcfg.Seed++
		c, err := eval.BuildReal(ctx, lcfg, items)
		if err != nil {
			return err
		}
		sets = append(sets, eval.RealSet{Name: sentName, Corpus: c})
		how = append(how, eval.RealCorpusMarkdown(sentName, c, fmt.Sprintf(
			"The %d read sentences of pocketsphinx-testdata (16 kHz, one reader), each placed %d times, with the recordings' own "+
				"leading and trailing room tone.", len(sent), rcfg.SentenceRepeats)))
	}
	if len(sets) == 0 {
		return fmt.Errorf("no real speech found: %s", strings.Join(notes, " "))
	}
	var rec *liveRecogniser
	if realOpt.recogniser {
		if rec, err = newLiveRecogniser(realOpt.cache); err != nil {
			return err
		}
		defer func() {
			if err := rec.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "vad-eval: partials cache:", err)
			}
		}()
	}
	if realOpt.try != "" {
		if rec == nil {
			return fmt.Errorf("-try-endpoint needs the recogniser")
		}
		return tryEndpoint(rec, sets, realOpt.try)
	}
	topt := vad.TurnOptions{}
	sweepVals := []time.Duration{300 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond, 600 * time.Millisecond}
	for i := range sets {
		c := sets[i].Corpus
		rows, err := eval.Matrix(c, eval.RealSNRs(), topt, eval.Contenders())
		if err != nil {
			return err
		}
		sets[i].Rows = rows
		if rec != nil {
			if err := defaultTurns(rec, sets[i].Name, c, rows); err != nil {
				return err
			}
		}
		alt, err := c.Relabel(eval.AltFloorDB)
		if err != nil {
			return err
		}
		if sets[i].AltRows, err = eval.Matrix(alt, eval.RealSNRs(), topt, eval.Contenders()); err != nil {
			return err
		}
		mixes := [][]int16{c.Mix(eval.White, math.Inf(1)), c.Mix(eval.White, 20), c.Mix(eval.Pink, 20), c.Mix(eval.Babble, 20),
			c.Mix(eval.White, 10), c.Mix(eval.Pink, 10), c.Mix(eval.Babble, 10)}
		if sets[i].Sweep, err = eval.SweepMinSilence(c, sweepVals, mixes, eval.Contenders()[0].New); err != nil {
			return err
		}
	}

	sepConds := []eval.Condition{{Kind: eval.White, SNR: 20}, {Kind: eval.Pink, SNR: 20}, {Kind: eval.White, SNR: 10}, {Kind: eval.Pink, SNR: 10}}
	var sepNames []string
	var seps [][]eval.Separability
	for _, s := range sets {
		sp, err := eval.MeasureSeparability(s.Corpus, sepConds, eval.Contenders()[0].New)
		if err != nil {
			return err
		}
		sepNames, seps = append(sepNames, s.Name), append(seps, sp)
	}

	// What holding the end of turn after a short run (a digit, a word)
	// does to splits, on real and on the synthetic corpus (no noise-only
	// stretch: false starts are not measured here).
	scfg := eval.DefaultConfig()
	scfg.NoiseOnly = 0
	syn, err := eval.Build(ctx, scfg)
	if err != nil {
		return err
	}
	// Where the frame errors lie, real beside synthetic (same conditions).
	var errNames []string
	var errs [][]eval.FrameErrors
	for _, s := range append(sets, eval.RealSet{Name: "synthetic (espeak-ng)", Corpus: syn}) {
		fe, err := eval.MeasureFrameErrors(s.Corpus, sepConds, eval.Contenders()[0].New)
		if err != nil {
			return err
		}
		errNames, errs = append(errNames, s.Name), append(errs, fe)
	}
	holdCorpora, holdNames := []*eval.Corpus{}, []string{}
	for _, s := range sets {
		holdCorpora, holdNames = append(holdCorpora, s.Corpus), append(holdNames, s.Name)
	}
	holdCorpora, holdNames = append(holdCorpora, syn), append(holdNames, "synthetic (espeak-ng)")
	holdConds := []eval.Condition{{Kind: eval.White, SNR: math.Inf(1)}, {Kind: eval.White, SNR: 20}, {Kind: eval.Pink, SNR: 20},
		{Kind: eval.Babble, SNR: 20}, {Kind: eval.White, SNR: 10}, {Kind: eval.Pink, SNR: 10}, {Kind: eval.Babble, SNR: 10}}
	ms := time.Millisecond
	holds, err := eval.SweepShortRunHold(holdCorpora, []vad.TurnOptions{{}, {ShortRunHold: 100 * ms}, {ShortRunHold: 200 * ms},
		{ShortRunHold: 300 * ms}, {ShortRunHold: 400 * ms}, {ShortRunHold: 200 * ms, ShortRun: 1000 * ms},
		{ShortRunHold: 300 * ms, ShortRun: 1000 * ms}, {ShortRunHold: 300 * ms, ShortRun: 1500 * ms}}, holdConds, eval.Contenders()[0].New)
	if err != nil {
		return err
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s, %s, %s/%s, by `go run ./cmd/vad-eval -sections real` (part of `make vad-eval`); took %s.\n\n",
		time.Now().UTC().Format("2006-01-02"), eval.Machine(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		time.Since(start).Round(time.Second))
	b.WriteString("Real human recordings under the synthetic section's noises (white, pink, babble of espeak talkers) at the same SNR " +
		"definition, labelled by the same rule (clean-recording frame energy within 40 dB of the utterance's loudest frame, gaps up to " +
		"100 ms bridged; a digit string is one utterance, so its longer gaps are labelled silence but must not end the turn). " +
		"Training and evaluation split: " + split + ".\n\n")
	for _, h := range how {
		b.WriteString(h)
	}
	for _, n := range notes {
		b.WriteString("- " + n + "\n")
	}
	b.WriteString("\n")
	b.WriteString(eval.RealTableMarkdown(sets, topt))
	b.WriteString("\n")
	b.WriteString(eval.RealVerdictMarkdown(sets, eval.Contenders()[0].Name))
	b.WriteString("\n")
	b.WriteString(eval.SeparabilityMarkdown(sepNames, seps, eval.Contenders()[0].Name))
	b.WriteString("\n")
	b.WriteString(eval.FrameErrorsMarkdown(errNames, errs, eval.Contenders()[0].Name))
	for _, s := range sets {
		b.WriteString("\n")
		b.WriteString(eval.RealSweepMarkdown(s.Sweep, s.Name+", clean + white/pink/babble at 20 and 10 dB pooled"))
	}
	b.WriteString("\n")
	b.WriteString(eval.HoldMarkdown(holds, holdNames, "clean + white/pink/babble at 20 and 10 dB pooled; the synthetic corpus is the section above's (seed "+
		fmt.Sprint(scfg.Seed)+")"))
	report := b.String()
	fmt.Print(report)
	if out != "" {
		if err := eval.WriteRealSection(out, report); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "vad-eval: wrote %s\n", out)
	}
	return nil
}

// defaultTurns measures each spectral row of realOpt.conds again under the server's default end of turn, with rec's partials.
func defaultTurns(rec *liveRecogniser, name string, c *eval.Corpus, rows []eval.Row) error {
	start, audio := time.Now(), rec.audio
	spectral := eval.Contenders()[0]
	topt := vad.TurnOptions{Endpointing: &vad.EndpointOptions{}}
	for i := range rows {
		r := &rows[i]
		cond := r.Noise
		if !math.IsInf(r.SNR, 1) {
			cond = fmt.Sprintf("%s:%g", r.Noise, r.SNR)
		}
		if r.VAD != spectral.Name || !slices.Contains(strings.Split(realOpt.conds, ","), cond) {
			continue
		}
		kind, _ := noiseKind(r.Noise)
		key := partialsKey(name, c, kind, r.SNR)
		res, err := eval.EvaluatePartials(c, c.Mix(kind, r.SNR), spectral.New, topt, rec.source(key))
		if err != nil {
			return err
		}
		r.Default = &res
		if realOpt.explain {
			cuts, err := eval.ExplainSplits(c, c.Mix(kind, r.SNR), spectral.New, topt, rec.source(key), nil)
			if err != nil {
				return err
			}
			fmt.Fprintln(os.Stderr, eval.CutsMarkdown(fmt.Sprintf("%s, %s", name, cond), cuts))
		}
		if err := rec.save(); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "vad-eval: %s %s %g dB, server default: %d of %d split (%s, %s of audio decoded)\n", name, r.Noise, r.SNR,
			res.SplitUtts, res.Utts, time.Since(start).Round(time.Second), (rec.audio - audio).Round(time.Second))
	}
	return nil
}

// noiseKind is the eval noise named name (White when none is).
func noiseKind(name string) (eval.NoiseKind, bool) {
	for _, k := range eval.NoiseKinds {
		if k.String() == name {
			return k, true
		}
	}
	return eval.White, false
}

// partialsKey names a mixture's partials in the -partials-cache file.
func partialsKey(set string, c *eval.Corpus, kind eval.NoiseKind, snr float64) string {
	return fmt.Sprintf("%s/%d/%d/%s/%g", set, c.Config.Seed, len(c.Utts), kind, snr)
}
