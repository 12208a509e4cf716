package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/duplex-ai/duplex/vad"
	"github.com/duplex-ai/duplex/vad/eval"
)

// tryVariants are end-of-turn rules -try-endpoint compares with the
// server default on cached partials (for tuning them: -split tuning).
var tryVariants = map[string]struct {
	opt  vad.EndpointOptions
	comb func(grammar, lm string) vad.Hint
}{
	"default":       {},
	"before":        {opt: vad.EndpointOptions{PauseHold: -1}},
	"ph-words":      {opt: vad.EndpointOptions{WordsMaybeRun: true}},
	"words-only":    {opt: vad.EndpointOptions{PauseHold: -1, WordsMaybeRun: true}},
	"greeting-only": {vad.EndpointOptions{PauseHold: -1}, eval.CombineGreetingWords},
	"all-three":     {vad.EndpointOptions{WordsMaybeRun: true}, eval.CombineGreetingWords},
	"c":             {opt: vad.EndpointOptions{PauseHoldComplete: true}},
	"ph2":           {opt: vad.EndpointOptions{PauseHold: 2}},
	"ph1":           {opt: vad.EndpointOptions{PauseHold: 1}},
}

// tryEndpoint prints, per set and -recogniser-conds mixture, how many
// utterances each named variant splits, and nothing else.
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
				line = append(line, fmt.Sprintf("%s %d", n, res.SplitUtts))
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
