package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/vad"
	"github.com/duplex-ai/duplex/vad/eval"
)

// long300 is the long-turn wait the variants were first tried with.
const long300 = 300 * time.Millisecond

// tryVariants are end-of-turn rules -try-endpoint compares with the
// server default on cached partials (for tuning them: -split tuning).
var tryVariants = map[string]struct {
	opt  vad.EndpointOptions
	comb func(grammar, lm string) vad.Hint
}{
	"default":       {},
	"before":        {opt: vad.EndpointOptions{PauseHold: -1, LongTurn: -1}},
	"ph-words":      {opt: vad.EndpointOptions{WordsMaybeRun: true, LongTurn: -1}},
	"words-only":    {opt: vad.EndpointOptions{PauseHold: -1, WordsMaybeRun: true, LongTurn: -1}},
	"greeting-only": {vad.EndpointOptions{PauseHold: -1, LongTurn: -1}, eval.CombineGreetingWords},
	"all-three":     {vad.EndpointOptions{WordsMaybeRun: true, LongTurn: -1}, eval.CombineGreetingWords},
	"c":             {opt: vad.EndpointOptions{PauseHoldComplete: true, LongTurn: -1}},
	"ph2":           {opt: vad.EndpointOptions{PauseHold: 2, LongTurn: -1}},
	"ph1":           {opt: vad.EndpointOptions{PauseHold: 1, LongTurn: -1}},
	// The pause hold alone: the default before the long-turn wait.
	"no-long": {opt: vad.EndpointOptions{LongTurn: -1}},
	// A long turn waits at least 300 ms (LongTurn, LongWait; the first
	// choice, the default wait is 250 ms); "-c" also
	// after a complete hint (the grammar forces read speech into sums),
	// the others spare it.
	"long1.5":        {opt: vad.EndpointOptions{LongTurn: 1500 * time.Millisecond, LongWait: long300, LongSparesComplete: true}},
	"long2":          {opt: vad.EndpointOptions{LongTurn: 2000 * time.Millisecond, LongWait: long300, LongSparesComplete: true}},
	"long2.5":        {opt: vad.EndpointOptions{LongTurn: 2500 * time.Millisecond, LongWait: long300, LongSparesComplete: true}},
	"long1.5-c":      {opt: vad.EndpointOptions{LongTurn: 1500 * time.Millisecond, LongWait: long300}},
	"long2-c":        {opt: vad.EndpointOptions{LongTurn: 2000 * time.Millisecond, LongWait: long300}},
	"long2.5-c":      {opt: vad.EndpointOptions{LongTurn: 2500 * time.Millisecond, LongWait: long300}},
	"long3-c":        {opt: vad.EndpointOptions{LongTurn: 3000 * time.Millisecond, LongWait: long300}},
	"long3-c-w200":   {opt: vad.EndpointOptions{LongTurn: 3000 * time.Millisecond, LongWait: 200 * time.Millisecond}},
	"long3-c-w250":   {opt: vad.EndpointOptions{LongTurn: 3000 * time.Millisecond, LongWait: 250 * time.Millisecond}},
	"long2.5-c-w200": {opt: vad.EndpointOptions{LongTurn: 2500 * time.Millisecond, LongWait: 200 * time.Millisecond}},
	"long2.5-c-w250": {opt: vad.EndpointOptions{LongTurn: 2500 * time.Millisecond, LongWait: 250 * time.Millisecond}},
	"long3-c-w150":   {opt: vad.EndpointOptions{LongTurn: 3000 * time.Millisecond, LongWait: 150 * time.Millisecond}},
	"long3-c-w170":   {opt: vad.EndpointOptions{LongTurn: 3000 * time.Millisecond, LongWait: 170 * time.Millisecond}},
	"long1-c":        {opt: vad.EndpointOptions{LongTurn: 1000 * time.Millisecond, LongWait: long300}},
}

// tryEndpoint prints, per set and -recogniser-conds mixture, how many
// utterances each named variant splits and its end after the labelled end
// (p50/p95), and nothing else.
func tryEndpoint(rec *liveRecogniser, sets []eval.RealSet, names string) error {
	spectral := eval.Contenders()[0]
	for _, s := range sets {
		c := s.Corpus
		for _, cond := range strings.Split(realOpt.conds, ",") {
			kind, snr := eval.White, math.Inf(1)
			if cond != "clean" {
				k, v, _ := strings.Cut(cond, ":")
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return fmt.Errorf("-recogniser-conds %q: %w", cond, err)
				}
				var ok bool
				if kind, ok = noiseKind(k); !ok {
					return fmt.Errorf("-recogniser-conds %q: unknown noise", cond)
				}
				snr = f
			}
			key := partialsKey(s.Name, c, kind, snr)
			pcm := c.Mix(kind, snr)
			var line []string
			for _, n := range strings.Split(names, ",") {
				v, ok := tryVariants[n]
				if !ok {
					return fmt.Errorf("-try-endpoint: unknown variant %q", n)
				}
				opt := v.opt
				res, err := eval.EvaluatePartialsCombine(c, pcm, spectral.New, vad.TurnOptions{Endpointing: &opt}, rec.source(key), v.comb)
				if err != nil {
					return err
				}
				// The end after the labelled end, as the report's server-default column.
				end := func(p float64) int64 {
					return (eval.Percentile(res.EndExtra, p) + vad.DefaultMinSilence).Milliseconds()
				}
				line = append(line, fmt.Sprintf("%s %d (end %d/%d ms)", n, res.SplitUtts, end(50), end(95)))
				if realOpt.explain {
					cuts, err := eval.ExplainSplits(c, pcm, spectral.New, vad.TurnOptions{Endpointing: &opt}, rec.source(key), v.comb)
					if err != nil {
						return err
					}
					fmt.Fprintln(os.Stderr, eval.CutsMarkdown(fmt.Sprintf("%s, %s, %s", s.Name, cond, n), cuts))
				}
			}
			fmt.Fprintf(os.Stderr, "try %s %s (%d utts): %s\n", s.Name, cond, len(c.Utts), strings.Join(line, " | "))
		}
	}
	return rec.save()
}
