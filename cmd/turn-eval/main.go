// Command turn-eval measures end-of-turn decisions on utterances that end
// and on utterances that pause and go on (FSDD digit strings with pauses
// and fillers, librivox sentences cut at an inner pause, espeak-ng and
// festival requests and comma-cut sentences), clean and at 10 dB white
// noise: latency from the true end of speech to the decision, and the
// false cut-off rate, per detector setting (fixed silence as the baseline
// curve, adaptive endpointing), on the tuning and held-out splits.
//
//	go run ./cmd/turn-eval [-out BENCHMARKS.md] [-fsdd DIR] [-librivox DIR]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/duplex-ai/duplex/internal/benchmd"
	"github.com/duplex-ai/duplex/internal/livepartials"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/stt/sphinx"
	"github.com/duplex-ai/duplex/vad"
	"github.com/duplex-ai/duplex/vad/eval"
)

const ms = time.Millisecond

func main() {
	out := flag.String("out", "BENCHMARKS.md", "file to write the section into (empty: print only)")
	fsdd := flag.String("fsdd", "../shared/corpus/fsdd", "FSDD folder; absent: digit strings left out")
	librivox := flag.String("librivox", "/usr/share/pocketsphinx/test/data/librivox", "librivox sentences; absent: left out")
	real := flag.Bool("recogniser", true, "also run the settings with stt/sphinx's streaming partials")
	flag.StringVar(&cacheFile, "partials-cache", "", "JSON file keeping the recogniser's partials between runs of the same items (empty: none)")
	flag.BoolVar(&withLM, "recogniser-lm", true, "also run the settings with the partials of a general-LM live pass (slower)")
	strs := flag.Int("digit-strings", 0, "FSDD digit strings per speaker (0: the default 30; fewer for a quick look)")
	flag.BoolVar(&verbose, "v", false, "print each item's recogniser partials")
	flag.StringVar(&only, "only", "", "run only the settings whose name contains this (and fixed 300 ms, the baseline); for iterating")
	flag.BoolVar(&tuningOnly, "tuning-only", false, "print the tuning split's tables only (choose there before reading held out); writes nothing")
	flag.IntVar(&pacedStrings, "paced-strings", 15, "FSDD digit strings per speaker with the dialogue bench's 100–400 ms gaps (the pace set; 0: left out)")
	flag.Parse()
	if err := run(*out, *fsdd, *librivox, *real, *strs); err != nil {
		log.Fatal(err)
	}
}

// Settings of the curve: fixed silence (the baseline), fixed with the
// ShortRunHold of the real-voices issue, and adaptive endpointing with its
// base wait varied, audio only, with the oracle partial and with the real
// streaming recogniser's partials (rec; nil: left out).
func settings(rec, recLM, recSrv eval.PartialSource) []eval.TurnSetting {
	var s []eval.TurnSetting
	for _, m := range []time.Duration{120, 200, 300, 400, 500, 600, 800, 1000} {
		s = append(s, eval.TurnSetting{Name: fmt.Sprintf("fixed %d ms", m), Opt: vad.TurnOptions{MinSilence: m * ms}})
	}
	s = append(s, eval.TurnSetting{Name: "fixed 300 ms + hold 300 ms < 1 s",
		Opt: vad.TurnOptions{ShortRunHold: 300 * ms, ShortRun: time.Second}})
	for _, oracle := range []bool{false, true} {
		for _, b := range []time.Duration{100, 150, 200, 250, 300} {
			name := fmt.Sprintf("adaptive base %d ms, audio only", b)
			if oracle {
				name = fmt.Sprintf("adaptive base %d ms + partial", b)
			}
			s = append(s, eval.TurnSetting{Name: name, Oracle: oracle,
				Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{Base: b * ms}}})
		}
	}
	for _, lag := range []time.Duration{200, 400} {
		s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + partial %d ms late", vad.DefaultEndpointBase.Milliseconds(), lag),
			Oracle: true, PartialLag: lag * ms, Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{}}})
	}
	if rec != nil {
		for _, short := range []bool{false, true} {
			for _, b := range []time.Duration{100, 150, 200, 250, 300} {
				name := fmt.Sprintf("adaptive base %d ms + recogniser partial", b)
				if short {
					name += ", digit hold after short runs"
				}
				s = append(s, eval.TurnSetting{Name: name, Recogniser: rec,
					Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{Base: b * ms, DigitsShortOnly: short}}})
			}
		}
	}
	if recLM != nil {
		for _, b := range []time.Duration{100, 150, 200, 250, 300} {
			s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + general-LM partial", b), Recogniser: recLM,
				Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{Base: b * ms}}})
		}
	}
	if recSrv != nil {
		for _, b := range []time.Duration{100, 150, 200, 250, 300} {
			s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + stream's LM partial", b), Recogniser: recSrv,
				Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{Base: b * ms}}})
		}
	}
	// Both partials: the grammar's with the server's streaming general-LM
	// pass's (from lmStartAfter on), and with the whole-utterance live pass
	// on the general LM (as if that pass started at once).
	for _, lm := range []struct {
		src  eval.PartialSource
		name string
	}{{recSrv, "both partials"}, {recLM, "both partials, LM from the start"}} {
		if rec == nil || lm.src == nil {
			continue
		}
		for _, b := range []time.Duration{100, 150, 200, 250, 300} {
			s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + %s", b, lm.name), Recogniser: rec, RecogniserLM: lm.src,
				Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{Base: b * ms}}})
		}
	}
	// The digit hold adapted to the speaker's pace (PauseScale): the
	// default combined setting with k and the floor varied, and off.
	if rec != nil && recSrv != nil {
		b := vad.DefaultEndpointBase.Milliseconds()
		s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, pace off", b), Recogniser: rec, RecogniserLM: recSrv,
			Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{PauseScale: -1}}})
		for _, f := range []time.Duration{300, 500} {
			for _, k := range []float64{1.5, 2, 2.5, 3} {
				s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, pace ×%g floor %d ms, spread off", b, k, f),
					Recogniser: rec, RecogniserLM: recSrv,
					Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{PauseScale: k, PauseFloor: f * ms, PaceSpread: -1}}})
			}
		}
		// The uncorroborated digit hold after runs up to MaybeRun, and
		// the rule as it was before (600 ms, a lone "yeah" unknown).
		s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, before (maybe-digits run 600 ms, \"yeah\" unknown)", b),
			Recogniser: yeahUnknown(rec), RecogniserLM: recSrv, Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{MaybeRun: 600 * ms}}})
		for _, r := range []time.Duration{600, 700, 800, 900, 1000, 1200} {
			s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, maybe-digits run %d ms", b, r),
				Recogniser: rec, RecogniserLM: recSrv, Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{MaybeRun: r * ms}}})
		}
		// The short-run wait also while the turn so far is short
		// (ShortTurn): off is the rule before it; "any words" drops
		// HintWordy (the rule also after a partial of 3 words or more).
		s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, short turn off", b),
			Recogniser: rec, RecogniserLM: recSrv, Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{ShortTurn: -1}}})
		for _, t := range []time.Duration{700, 800, 1000, 1200, 1500} {
			s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, short turn %d ms", b, t),
				Recogniser: rec, RecogniserLM: recSrv, Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{ShortTurn: t * ms}}})
		}
		s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, short turn %d ms, any words", b, vad.DefaultShortTurn.Milliseconds()),
			Recogniser: rec, RecogniserLM: recSrv, Combine: func(g, l string) vad.Hint { return vad.CombinePartials(g, l).Class() },
			Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{}}})
	}
	if rec != nil && recSrv != nil {
		s = append(s, c8Settings(rec, recSrv)...)
		s = append(s, c9Settings(rec, recSrv)...)
		s = append(s, c10Settings(rec, recSrv)...)
		s = append(s, c11Settings(rec, recSrv)...)
		s = append(s, c12Settings(rec, recSrv)...)
	}
	return onlyNamed(s)
}

// onlyNamed keeps the settings whose name holds -only, and the fixed
// 300 ms baseline; all of them without -only.
func onlyNamed(s []eval.TurnSetting) []eval.TurnSetting {
	if only == "" {
		return s
	}
	var kept []eval.TurnSetting
	for _, t := range s {
		if t.Name == "fixed 300 ms" || strings.Contains(t.Name, only) {
			kept = append(kept, t)
		}
	}
	return kept
}

// yeahUnknown gives src's partials with a trailing "yeah" made a word
// ClassifyPartial does not know, as it was before it learnt it: the
// "before" row of the same run.
func yeahUnknown(src eval.PartialSource) eval.PartialSource {
	return func(item int, snr float64, pcm []int16) ([]eval.TimedPartial, error) {
		p, err := src(item, snr, pcm)
		if err != nil {
			return nil, err
		}
		out := make([]eval.TimedPartial, len(p))
		for i, t := range p {
			if strings.HasSuffix(t.Text, "yeah") {
				t.Text += "-"
			}
			out[i] = t
		}
		return out, nil
	}
}

// recogniser runs stt/sphinx's streaming recogniser (the server's offline
// STT, skills grammar live pass) over an item's audio in 20 ms writes,
// each taken up before the next (media time), and keeps the partials it
// emits with the samples they cover. An item's audio at one SNR is the
// same for every setting, so each is decoded once.
type recogniser struct {
	eng   *sphinx.Engine
	lm    bool // the live pass decodes with the general LM (DisableGrammar), not the skills grammar
	cache map[recKey][]eval.TimedPartial
	// srv: the grammar stream's streaming general-LM pass's partials
	// (stt.PartialLM; not with lm).
	srv   map[recKey][]eval.TimedPartial
	audio time.Duration // decoded
	took  time.Duration // wall time decoding it
	cpu   time.Duration // CPU time decoding it (both passes of a grammar stream)
}

type recKey struct {
	item int
	snr  float64
}

// cached is the partials cache on disk: per item count (the items are
// made from a fixed seed), per "item/snr".
type cached map[string][]eval.TimedPartial

func (r *recogniser) load(file string, n int) error {
	if file == "" {
		return nil
	}
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	var all map[int]cached
	if err := json.Unmarshal(b, &all); err != nil {
		return fmt.Errorf("turn-eval: %s: %w", file, err)
	}
	for k, v := range all[n] {
		var key recKey
		m := r.cache
		if rest, ok := strings.CutPrefix(k, "lm:"); ok {
			k, m = rest, r.srv
		}
		if _, err := fmt.Sscanf(k, "%d/%g", &key.item, &key.snr); err != nil {
			return fmt.Errorf("turn-eval: %s: key %q: %w", file, k, err)
		}
		m[key] = v
	}
	return nil
}

func (r *recogniser) save(file string, n int) {
	if file == "" {
		return
	}
	all := map[int]cached{n: {}}
	for k, v := range r.cache {
		all[n][fmt.Sprintf("%d/%g", k.item, k.snr)] = v
	}
	for k, v := range r.srv {
		all[n][fmt.Sprintf("lm:%d/%g", k.item, k.snr)] = v
	}
	b, err := json.Marshal(all)
	if err == nil {
		err = os.WriteFile(file, b, 0o644)
	}
	if err != nil {
		log.Printf("partials cache: %v", err)
	}
}

func (r *recogniser) partials(item int, snr float64, pcm []int16) ([]eval.TimedPartial, error) {
	k := recKey{item, snr}
	if p, ok := r.cache[k]; ok {
		return p, nil
	}
	start, cpu0 := time.Now(), cpuTime()
	out, srv, err := livepartials.Decode(r.eng, pcm, !r.lm)
	if err != nil {
		return nil, fmt.Errorf("turn-eval: %w", err)
	}
	if verbose {
		var b strings.Builder
		last := "\x00"
		for _, p := range out {
			if p.Text != last {
				fmt.Fprintf(&b, " %dms:%q", p.Samples*1000/eval.Rate, p.Text)
				last = p.Text
			}
		}
		if !r.lm {
			b.WriteString(" | LM pass:")
			for _, p := range srv {
				fmt.Fprintf(&b, " %dms:%q", p.Samples*1000/eval.Rate, p.Text)
			}
		}
		log.Printf("item %d snr %v:%s", item, snr, b.String())
	}
	r.cache[k] = out
	if !r.lm {
		r.srv[k] = srv
	}
	r.audio += time.Duration(len(pcm)) * time.Second / eval.Rate
	r.took += time.Since(start)
	r.cpu += cpuTime() - cpu0
	return out, nil
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lmStart and lmRTF model when the server's streaming general-LM pass
// delivers a partial in a real call: it starts after 1 s of the stream's
// audio (sphinx's lmStartAfter) and decodes at lmRTF of real time
// (measured by this tool: BENCHMARKS.md), so it catches up on its first
// second within about half a second. turn-eval feeds the audio at the
// grammar pass's pace, not in real time, so it cannot time this itself.
const (
	lmStart = stt.SampleRate
	lmRTF   = 0.3
)

// srvPartials are the server stream's general-LM pass's partials over the
// item (decoded with the grammar's, by partials), each at the sample it
// would arrive at in a real call: max(what it covers, lmStart + lmRTF × that).
func (r *recogniser) srvPartials(item int, snr float64, pcm []int16) ([]eval.TimedPartial, error) {
	if _, err := r.partials(item, snr, pcm); err != nil {
		return nil, err
	}
	in := r.srv[recKey{item, snr}]
	out := make([]eval.TimedPartial, len(in))
	for i, p := range in {
		p.Samples = max(p.Samples, lmStart+int(lmRTF*float64(p.Samples)))
		out[i] = p
	}
	return out, nil
}

var (
	pacedStrings int
	only         string
	withLM       bool
	verbose      bool
	cacheFile    string
)

func run(out, fsddDir, librivoxDir string, withRec bool, digitStrings int) error {
	start := time.Now()
	ctx := context.Background()
	if _, err := os.Stat(fsddDir); err != nil {
		fsddDir = ""
	}
	if _, err := os.Stat(librivoxDir); err != nil {
		librivoxDir = ""
	}
	cfg := eval.DefaultTurnConfig()
	if digitStrings > 0 {
		cfg.DigitStrings = digitStrings
	}
	items, err := eval.BuildTurnItems(ctx, cfg, fsddDir, librivoxDir)
	if err != nil {
		return err
	}
	if verbose {
		for i, it := range items {
			var segs []string
			for _, sg := range it.Segs {
				segs = append(segs, sg.Text)
			}
			log.Printf("item %d: %s %s tune=%v %q gaps %v", i, it.Set, it.Speaker, it.Tune, segs, it.Gaps)
		}
	}
	mk := eval.Contenders()[0].New
	conds := []float64{math.Inf(1), 10}
	type key struct {
		s    int
		cond int
	}
	res := map[key][]eval.TurnOutcome{}
	var recs []*recogniser // the skills grammar's live pass, then the general LM's
	if withRec {
		for _, lm := range []bool{false, true} {
			if lm && !withLM {
				continue
			}
			eng, err := sphinx.NewEngine(sphinx.Options{PoolSize: 1, DisableGrammar: lm})
			if err != nil {
				return err
			}
			defer eng.Close()
			r := &recogniser{eng: eng, lm: lm, cache: map[recKey][]eval.TimedPartial{}, srv: map[recKey][]eval.TimedPartial{}}
			file := cacheFile
			if lm && file != "" {
				file += ".lm"
			}
			if err := r.load(file, len(items)); err != nil {
				return err
			}
			defer r.save(file, len(items))
			recs = append(recs, r)
		}
	}
	var src, srcLM, srcSrv eval.PartialSource
	for _, r := range recs {
		if r.lm {
			srcLM = r.partials
		} else {
			src = r.partials
			srcSrv = r.srvPartials
		}
	}
	sets := settings(src, srcLM, srcSrv)
	for si, s := range sets {
		for ci, snr := range conds {
			o, err := eval.RunTurns(items, s, snr, mk, cfg.Seed+uint64(ci))
			if err != nil {
				return err
			}
			res[key{si, ci}] = o
		}
		if verbose {
			for ci := range conds {
				for _, o := range res[key{si, ci}] {
					if o.CutPauses > 0 || o.MidCuts > 0 {
						it := items[o.Item]
						log.Printf("cut %s | %s tune=%v item %d snr %v: %d pauses cut, %d mid %q gaps %v", s.Name, it.Set, it.Tune,
							o.Item, conds[ci], o.CutPauses, o.MidCuts, it.Segs[0].Text, it.Gaps)
					}
					if it := items[o.Item]; !it.Paused() && o.Latency > 400*ms {
						log.Printf("slow %s | %s tune=%v item %d snr %v: %v %q%s", s.Name, it.Set, it.Tune, o.Item, conds[ci],
							o.Latency, it.Segs[0].Text, recTail(recs, o.Item, conds[ci]))
					}
				}
			}
		}
		log.Printf("%s done (%s)", s.Name, time.Since(start).Round(time.Second))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s (a machine shared with other engineers' builds), %s, by `make turn-eval` "+
		"(`go run ./cmd/turn-eval`); took %s.\n\n", time.Now().UTC().Format("2006-01-02"), eval.Machine(),
		runtime.Version(), time.Since(start).Round(time.Second))
	b.WriteString(itemsMarkdown(items, cfg))
	condName := []string{"clean", "10 dB white"}
	real := func(it eval.TurnItem) bool { return it.Real }
	synth := func(it eval.TurnItem) bool { return !it.Real }
	for _, split := range []bool{false, true} {
		if tuningOnly && !split {
			continue
		}
		name := "held-out split (FSDD nicolas/theo, librivox 0890/0920/0930, espeak-ng en-gb + festival slt)"
		if split {
			name = "tuning split (FSDD george/jackson, librivox 0870/0880, espeak-ng en-us): the default base was chosen here"
		}
		fmt.Fprintf(&b, "\n#### The curve, %s\n\n", name)
		b.WriteString("Cut-off = pauses (after which the speaker went on) in which the turn was decided to end, of all pauses; " +
			"latency = true end of speech (the last segment's last frame within 30 dB of its loudest) to the end-of-turn decision, " +
			"p50/p95 in ms, over the items that end without a pause (whole sentences, requests), and separately over the paused items' " +
			"final ends. Spectral VAD.\n\n")
		b.WriteString("| setting | noise | real: cut-off | real: ended latency p50/p95 | real: paused-item end p50/p95 | synthetic: cut-off | synthetic: ended latency p50/p95 |\n")
		b.WriteString("|---|---|---:|---:|---:|---:|---:|\n")
		for si, s := range sets {
			for ci := range conds {
				o := res[key{si, ci}]
				in := func(f func(eval.TurnItem) bool) func(eval.TurnItem) bool {
					return func(it eval.TurnItem) bool { return it.Tune == split && f(it) }
				}
				r := eval.Summarise(items, o, in(real))
				rEnded := eval.Summarise(items, o, in(func(it eval.TurnItem) bool { return it.Real && !it.Paused() }))
				rPaused := eval.Summarise(items, o, in(func(it eval.TurnItem) bool { return it.Real && it.Paused() }))
				sy := eval.Summarise(items, o, in(synth))
				syEnded := eval.Summarise(items, o, in(func(it eval.TurnItem) bool { return !it.Real && !it.Paused() }))
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", s.Name, condName[ci],
					pct(r.Cuts, r.Pauses), lat(rEnded), lat(rPaused), pct(sy.Cuts, sy.Pauses), lat(syEnded))
			}
		}
	}
	outcomes := func(si, ci int) []eval.TurnOutcome { return res[key{si, ci}] }
	if tuningOnly {
		b.WriteString("\n#### Per set, tuning split, pitch rows\n\n")
		b.WriteString(perSet(items, sets, true, condName, outcomes, func(name string) bool { return strings.Contains(name, " c12 ") }))
		fmt.Print(b.String())
		return nil
	}
	b.WriteString(verdict(items, sets, outcomes))
	// Per set at the settings that matter, held out.
	b.WriteString("\n#### Per set, held-out split\n\n")
	b.WriteString(perSet(items, sets, false, condName, outcomes, func(name string) bool {
		return (strings.HasPrefix(name, "fixed 300") || strings.Contains(name, "base 150")) && !strings.Contains(name, "pace ×") &&
			!strings.Contains(name, "spread ×") && !strings.Contains(name, "rule only") && !strings.Contains(name, " c9 ")
	}))
	for _, r := range recs {
		b.WriteString(hintsMarkdown(items, r, conds, condName))
		if verbose && !r.lm {
			logHints(items, r, conds)
		}
	}
	if pacedStrings > 0 && fsddDir != "" {
		var grammar *recogniser
		for _, r := range recs {
			if !r.lm {
				grammar = r
			}
		}
		p, err := paced(ctx, cfg, fsddDir, grammar, mk, conds, condName)
		if err != nil {
			return err
		}
		b.WriteString(p)
	}
	fmt.Print(b.String())
	if out == "" {
		return nil
	}
	return benchmd.WriteSection(out, "turn-eval", "## Turn-taking: end of turn on real pauses (`make turn-eval`)", b.String())
}

// verdict compares, on the held-out split, the default adaptive setting
// (base DefaultEndpointBase, with and without the partial) with fixed
// 300 ms on both axes, and checks the goal.
func verdict(items []eval.TurnItem, sets []eval.TurnSetting, res func(si, ci int) []eval.TurnOutcome) string {
	find := func(name string) int {
		for i, s := range sets {
			if s.Name == name {
				return i
			}
		}
		return -1
	}
	base := vad.DefaultEndpointBase.Milliseconds()
	fixed := find("fixed 300 ms")
	var b strings.Builder
	fmt.Fprintf(&b, "\n#### Verdict, held-out split, default base %d ms against fixed 300 ms\n\n", base)
	b.WriteString("| setting | noise | real: cut-off | real: ended p50/p95 | synthetic: cut-off | synthetic: ended p50/p95 | beats fixed 300 ms on both axes (cut-off, p50 and p95) | goal: real cut-off ≤ 5 %, ended p50 ≤ 200 ms |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---|---|\n")
	held := func(f func(eval.TurnItem) bool) func(eval.TurnItem) bool {
		return func(it eval.TurnItem) bool { return !it.Tune && f(it) }
	}
	for _, name := range []string{fmt.Sprintf("adaptive base %d ms, audio only", base), fmt.Sprintf("adaptive base %d ms + partial", base),
		fmt.Sprintf("adaptive base %d ms + partial 200 ms late", base), fmt.Sprintf("adaptive base %d ms + partial 400 ms late", base),
		fmt.Sprintf("adaptive base %d ms + recogniser partial", base),
		fmt.Sprintf("adaptive base %d ms + recogniser partial, digit hold after short runs", base),
		fmt.Sprintf("adaptive base %d ms + general-LM partial", base),
		fmt.Sprintf("adaptive base %d ms + stream's LM partial", base),
		fmt.Sprintf("adaptive base %d ms + both partials, before (maybe-digits run 600 ms, \"yeah\" unknown)", base),
		fmt.Sprintf("adaptive base %d ms + both partials, before c8 (spread off, partial rules off)", base),
		fmt.Sprintf("adaptive base %d ms + both partials, short turn off", base),
		fmt.Sprintf("adaptive base %d ms + both partials, %s", base, prevDefault),
		fmt.Sprintf("adaptive base %d ms + both partials", base),
		fmt.Sprintf("adaptive base %d ms + both partials, LM from the start", base)} {
		si := find(name)
		if si < 0 || fixed < 0 {
			continue
		}
		for ci, cond := range []string{"clean", "10 dB white"} {
			get := func(s int) (eval.TurnStats, eval.TurnStats, eval.TurnStats, eval.TurnStats) {
				o := res(s, ci)
				return eval.Summarise(items, o, held(func(it eval.TurnItem) bool { return it.Real })),
					eval.Summarise(items, o, held(func(it eval.TurnItem) bool { return it.Real && !it.Paused() })),
					eval.Summarise(items, o, held(func(it eval.TurnItem) bool { return !it.Real })),
					eval.Summarise(items, o, held(func(it eval.TurnItem) bool { return !it.Real && !it.Paused() }))
			}
			r, re, sy, sye := get(si)
			fr, fre, fsy, fsye := get(fixed)
			p := func(t eval.TurnStats, q float64) time.Duration { return eval.Percentile(t.Latencies, q) }
			beats := r.CutRate() <= fr.CutRate() && sy.CutRate() <= fsy.CutRate() &&
				p(re, 50) <= p(fre, 50) && p(re, 95) <= p(fre, 95) && p(sye, 50) <= p(fsye, 50) && p(sye, 95) <= p(fsye, 95)
			goal := r.CutRate() <= 0.05 && p(re, 50) <= 200*ms
			yes := func(ok bool) string {
				if ok {
					return "yes"
				}
				return "**no**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", name, cond, pct(r.Cuts, r.Pauses), lat(re),
				pct(sy.Cuts, sy.Pauses), lat(sye), yes(beats), yes(goal))
		}
	}
	return b.String()
}

// hintLook is how long after a segment's end the partial's hint is read
// for hintsMarkdown: about when the adaptive decision would end the turn.
const hintLook = 200 * ms

// hintsMarkdown counts, on the held-out split, what the recogniser's
// partial said hintLook after each segment's end: inside the pauses (the
// speaker goes on) and at the true ends. The grammar recogniser's table is
// followed by its stream's general-LM pass's and by the two combined.
func hintsMarkdown(items []eval.TurnItem, rec *recogniser, conds []float64, condName []string) string {
	var b strings.Builder
	type table struct {
		name string
		hint func(k recKey, at int) vad.Hint
	}
	var tables []table
	if rec.lm {
		tables = append(tables, table{"general-LM live pass from the start (`sphinx.Options.DisableGrammar`)", func(k recKey, at int) vad.Hint {
			return vad.ClassifyPartial(partialAt(rec.cache[k], at)).Class()
		}})
	} else {
		srv := func(k recKey) []eval.TimedPartial {
			p, _ := rec.srvPartials(k.item, k.snr, nil)
			return p
		}
		tables = append(tables, table{"skills-grammar live pass", func(k recKey, at int) vad.Hint {
			return vad.ClassifyPartial(partialAt(rec.cache[k], at)).Class()
		}}, table{"the stream's general-LM pass (from 1 s on)", func(k recKey, at int) vad.Hint {
			return vad.ClassifyPartial(partialAt(srv(k), at)).Class()
		}}, table{"both combined (`vad.CombinePartials`)", func(k recKey, at int) vad.Hint {
			return vad.CombinePartials(partialAt(rec.cache[k], at), partialAt(srv(k), at)).Class()
		}})
	}
	for _, t := range tables {
		fmt.Fprintf(&b, "\n#### What the partial said, %s, held-out split\n\n"+
			"The hint of the last partial the decision had %d ms after each segment's end: in the pauses and at the true ends. "+
			"none / complete / digits / continue / maybe-digits / maybe-words counts.\n\n", t.name, hintLook.Milliseconds())
		b.WriteString("| set | noise | in pauses | at the end |\n|---|---|---|---|\n")
		for _, set := range setNames(items) {
			for ci, snr := range conds {
				var pause, end [6]int
				for i, it := range items {
					if it.Tune || it.Set != set {
						continue
					}
					ends := it.SegmentEnds()
					for k, e := range ends {
						h := t.hint(recKey{i, snr}, e+int(hintLook.Seconds()*eval.Rate))
						if k < len(ends)-1 {
							pause[h]++
						} else {
							end[h]++
						}
					}
				}
				f := func(c [6]int) string {
					return fmt.Sprintf("%d / %d / %d / %d / %d / %d", c[0], c[1], c[2], c[3], c[4], c[5])
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", set, condName[ci], f(pause), f(end))
			}
		}
	}
	if rec.took > 0 {
		fmt.Fprintf(&b, "\nThe recogniser decoded %s of audio in %s of wall time here (%.2f× real time, 20 ms writes) and %s of CPU "+
			"(%.0f ms per second of audio%s).\n",
			rec.audio.Round(time.Second), rec.took.Round(time.Second), rec.took.Seconds()/rec.audio.Seconds(), rec.cpu.Round(time.Second),
			1000*rec.cpu.Seconds()/rec.audio.Seconds(), map[bool]string{false: ", the grammar pass and the streaming general-LM pass with its partials together", true: ""}[rec.lm])
	} else {
		b.WriteString("\nThese partials came from `-partials-cache`: decoded by an earlier run of the same items, not timed here.\n")
	}
	return b.String()
}

// logHints logs, with -v, what both partials said hintLook after each
// segment's end of every item that has words, and the combined hint.
func logHints(items []eval.TurnItem, rec *recogniser, conds []float64) {
	for i, it := range items {
		for _, snr := range conds {
			k := recKey{i, snr}
			srv, _ := rec.srvPartials(i, snr, nil)
			for s, e := range it.SegmentEnds() {
				at := e + int(hintLook.Seconds()*eval.Rate)
				g, l := partialAt(rec.cache[k], at), partialAt(srv, at)
				gap := time.Duration(0)
				if s < len(it.Gaps) {
					gap = it.Gaps[s]
				}
				log.Printf("hint %s tune=%v item %d snr %v seg %d/%d %q (%v, then %v): grammar %q lm %q -> %v", it.Set, it.Tune, i, snr,
					s+1, len(it.Segs), it.Segs[s].Text, time.Duration(len(it.Segs[s].PCM))*time.Second/eval.Rate, gap.Round(ms),
					g, l, vad.CombinePartials(g, l))
			}
		}
	}
}

func setNames(items []eval.TurnItem) []string {
	var names []string
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.Set] {
			seen[it.Set] = true
			names = append(names, it.Set)
		}
	}
	return names
}

func pct(n, of int) string {
	if of == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f %% (%d/%d)", 100*float64(n)/float64(of), n, of)
}

func lat(t eval.TurnStats) string {
	if len(t.Latencies) == 0 {
		return "—"
	}
	return fmt.Sprintf("%d/%d", eval.Percentile(t.Latencies, 50).Milliseconds(), eval.Percentile(t.Latencies, 95).Milliseconds())
}

func itemsMarkdown(items []eval.TurnItem, cfg eval.TurnConfig) string {
	var b strings.Builder
	count := map[string][2]int{}
	for _, it := range items {
		c := count[it.Set]
		if it.Tune {
			c[0]++
		} else {
			c[1]++
		}
		count[it.Set] = c
	}
	b.WriteString("Items, each run alone (300 ms lead-in, 1.6 s tail) through the spectral VAD's turn detector, " +
		"at a random level of −26 ± 4 dBFS, clean and with white noise at 10 dB SNR (tune / held-out counts):\n\n")
	for _, s := range setNames(items) {
		fmt.Fprintf(&b, "- %s: %d / %d\n", s, count[s][0], count[s][1])
	}
	fmt.Fprintf(&b, "\nFSDD digits: 3–7 real digit recordings of one speaker, trimmed to 30 dB below their loudest frame, "+
		"joined by %v–%v pauses; every %d-th string carries a festival (slt) \"um\"/\"uh\" in one pause, itself followed by a pause. "+
		"librivox cut: each pocketsphinx-testdata sentence cut at its longest inner dip (≥ 40 ms, 25 dB down, in its middle 60 %%: "+
		"a phrase or comma pause) stretched to %v–%v; librivox whole: the same sentences unbroken (ended), %d times each. "+
		"Synthetic: %d requests/questions (ended) and %d sentences cut at a comma or before their continuation (paused), "+
		"in espeak-ng en-us (tuning), en-gb and festival slt (held out). \"+ partial\" settings give the decision the true "+
		"words of each segment from its end on (an oracle for the streaming recogniser's partial; the librivox cut halves have none); "+
		"\"audio only\" settings have no words; \"partial N ms late\" gives those words N ms after each segment's end. "+
		"\"+ recogniser partial\" settings give it the partials stt/sphinx's streaming recogniser emits over the item's audio "+
		"(noise included; the skills-grammar live pass the server runs today), fed in 20 ms writes in media time, each reaching "+
		"the decision one frame after the audio it covers (as the engine's pushed partial does); \"stream's LM partial\": the partials of "+
		"the same stream's general-LM pass (it starts after 1 s of audio; each is delivered at the later of its end and 1 s + 0.3 × its end, "+
		"its catching up in a real call); \"both partials\": `vad.CombinePartials` of the two (what the server does); with `-recogniser-lm`, "+
		"\"general-LM partial\" is a live pass on the general LM from the start (`DisableGrammar`), and \"both partials, LM from the start\" "+
		"combines it with the grammar's.\n",
		cfg.GapMin, cfg.GapMax, cfg.FillerEvery, cfg.CommaMin, cfg.CommaMax, cfg.SentenceRepeats, 12, 8)
	return b.String()
}

// paced runs the digit hold's pace settings on a second set of FSDD digit
// strings with the dialogue bench's 100–400 ms gaps (pacedStrings per
// speaker, same tuning/held-out speakers), where each string's pauses are
// shorter than the main set's 300–900 ms, and reports per split the
// cut-offs and the strings' final-end latency. grammar (nil: oracle rows
// only) decodes their partials with its engine, cached apart.
func paced(ctx context.Context, cfg eval.TurnConfig, fsddDir string, grammar *recogniser, mk eval.NewClassifier,
	conds []float64, condName []string) (string, error) {
	cfg.DigitStrings, cfg.GapMin, cfg.GapMax = pacedStrings, 100*ms, 400*ms
	all, err := eval.BuildTurnItems(ctx, cfg, fsddDir, "")
	if err != nil {
		return "", err
	}
	var items []eval.TurnItem
	for _, it := range all {
		if strings.HasPrefix(it.Set, "FSDD") {
			items = append(items, it)
		}
	}
	base := vad.DefaultEndpointBase.Milliseconds()
	sets := []eval.TurnSetting{{Name: "fixed 300 ms", Opt: vad.TurnOptions{MinSilence: 300 * ms}},
		{Name: fmt.Sprintf("adaptive base %d ms + partial, pace off", base), Oracle: true,
			Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{PauseScale: -1}}}}
	for _, k := range []float64{1.5, 2, 2.5, 3} {
		sets = append(sets, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + partial, pace ×%g floor 300 ms, spread off", base, k), Oracle: true,
			Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{PauseScale: k, PauseFloor: 300 * ms, PaceSpread: -1}}})
	}
	var r *recogniser
	if grammar != nil {
		r = &recogniser{eng: grammar.eng, cache: map[recKey][]eval.TimedPartial{}, srv: map[recKey][]eval.TimedPartial{}}
		file := cacheFile
		if file != "" {
			file += ".paced"
		}
		if err := r.load(file, len(items)); err != nil {
			return "", err
		}
		defer r.save(file, len(items))
		sets = append(sets, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, pace off", base), Recogniser: r.partials,
			RecogniserLM: r.srvPartials, Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{PauseScale: -1}}})
		for _, f := range []time.Duration{300, 500} {
			for _, k := range []float64{1.5, 2, 2.5, 3} {
				sets = append(sets, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, pace ×%g floor %d ms, spread off", base, k, f),
					Recogniser: r.partials, RecogniserLM: r.srvPartials,
					Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{PauseScale: k, PauseFloor: f * ms, PaceSpread: -1}}})
			}
		}
	}
	if r != nil {
		both := func(name string, opt vad.EndpointOptions) eval.TurnSetting {
			return eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, %s", base, name), Recogniser: r.partials,
				RecogniserLM: r.srvPartials, Opt: vad.TurnOptions{Endpointing: &opt}}
		}
		sets = append(sets, both("before c8 (spread off, digit-turn rule off)", vad.EndpointOptions{PaceSpread: -1, NoDigitTurn: true,
			PauseHold: -1}),
			both("default (spread, digit-turn rule)", vad.EndpointOptions{}))
		for _, c := range spreads {
			for _, m := range margins {
				sets = append(sets, both(fmt.Sprintf("spread ×%g margin %d ms, digit-turn rule off", c, max(m, 0)),
					vad.EndpointOptions{PaceSpread: c, PaceMargin: m * ms, NoDigitTurn: true}))
			}
		}
	}
	if r != nil {
		sets = append(sets, c9Settings(r.partials, r.srvPartials)...)
		sets = append(sets, c10Settings(r.partials, r.srvPartials)...)
	}
	sets = onlyNamed(sets)
	type key struct{ s, c int }
	res := map[key][]eval.TurnOutcome{}
	for si, s := range sets {
		for ci, snr := range conds {
			o, err := eval.RunTurns(items, s, snr, mk, cfg.Seed+uint64(ci))
			if err != nil {
				return "", err
			}
			res[key{si, ci}] = o
		}
		log.Printf("paced: %s done", s.Name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n#### The digit hold following the speaker's pace: FSDD strings with 100–400 ms pauses\n\n"+
		"A second set of FSDD digit strings made as above but with the dialogue bench's 100–400 ms pauses, %d per speaker "+
		"(same tuning and held-out speakers; every %d-th with a filler), clean and at 10 dB. \"pace ×k floor F\": while a digit "+
		"string is held, the hold is max(F, k × the longest inner pause of the turn so far), never above the hold itself "+
		"(`vad.EndpointOptions.PauseScale`, `PauseFloor`); \"spread ×c margin M\": from the second pause on, also at most the "+
		"longest pause + c × (longest − shortest) / (pauses − 1) + M (`PaceSpread`, `PaceMargin`; the default is ×1, 400 ms); "+
		"\"digit-turn rule\": a non-digit reading after a lone run in a turn that read a lone digit and paused after it holds like a digit "+
		"(`NoDigitTurn` turns it off). Cut-off over the pauses; latency from each string's true end to the "+
		"end-of-turn decision, p50/p95 ms.\n\n", pacedStrings, cfg.FillerEvery)
	b.WriteString("| setting | noise | tuning: cut-off | tuning: string end p50/p95 | held-out: cut-off | held-out: string end p50/p95 |\n|---|---|---:|---:|---:|---:|\n")
	for si, s := range sets {
		for ci := range conds {
			o := res[key{si, ci}]
			t := eval.Summarise(items, o, func(it eval.TurnItem) bool { return it.Tune })
			h := eval.Summarise(items, o, func(it eval.TurnItem) bool { return !it.Tune })
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", s.Name, condName[ci], pct(t.Cuts, t.Pauses), lat(t), pct(h.Cuts, h.Pauses), lat(h))
		}
	}
	return b.String(), nil
}

// recTail is what each recogniser's partials (the grammar's, its stream's
// LM pass's) said last over an item, for -v.
func recTail(recs []*recogniser, item int, snr float64) string {
	var b strings.Builder
	for _, r := range recs {
		k := recKey{item, snr}
		for _, p := range [][]eval.TimedPartial{r.cache[k], r.srv[k]} {
			var seq []string
			last := "\x00"
			for _, t := range p {
				if t.Text != last {
					seq = append(seq, fmt.Sprintf("%dms:%q", t.Samples*1000/eval.Rate, t.Text))
					last = t.Text
				}
			}
			if len(seq) > 4 {
				seq = seq[len(seq)-4:]
			}
			fmt.Fprintf(&b, " | %s", strings.Join(seq, " "))
		}
	}
	return b.String()
}

// partialAt is the last partial a recogniser had given by sample at.
func partialAt(parts []eval.TimedPartial, at int) string {
	t := ""
	for _, p := range parts {
		if p.Samples+eval.FrameLen > at {
			break
		}
		t = p.Text
	}
	return t
}

// c8Settings are the rows of the digit-hold and filler rules: the default
// combined setting as it was before them (spread cap off, the filler and
// function-word rules off), the spread cap of the digit hold with its
// factor and margin varied, and the partial rules on their own.
func c8Settings(rec, recSrv eval.PartialSource) []eval.TurnSetting {
	b := vad.DefaultEndpointBase.Milliseconds()
	both := func(name string, opt vad.EndpointOptions, comb func(g, lm string) vad.Hint) eval.TurnSetting {
		opt.PauseHold, opt.LongTurn = -1, -1 // the c10 and c11 rules off: these rows are c8's
		return eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, %s", b, name), Recogniser: rec, RecogniserLM: recSrv,
			Combine: comb, Opt: vad.TurnOptions{Endpointing: &opt}}
	}
	before := vad.EndpointOptions{PaceSpread: -1, NoDigitTurn: true}
	s := []eval.TurnSetting{both("before c8 (spread off, partial rules off)", before, combineBefore)}
	for _, c := range spreads {
		for _, m := range margins {
			s = append(s, both(fmt.Sprintf("spread ×%g margin %d ms, digit-turn rule off", c, max(m, 0)),
				vad.EndpointOptions{PaceSpread: c, PaceMargin: m * ms, NoDigitTurn: true}, combineBefore))
		}
	}
	for _, c := range spreads {
		for _, m := range margins {
			s = append(s, both(fmt.Sprintf("digit-turn rule, spread ×%g margin %d ms", c, max(m, 0)),
				vad.EndpointOptions{PaceSpread: c, PaceMargin: m * ms}, combineBefore))
		}
	}
	s = append(s, both("digit-turn rule only", vad.EndpointOptions{PaceSpread: -1}, combineBefore),
		both("filler rule only", before, combineFillerOnly),
		both("function-word rule only", before, combineFunctionWord))
	return s
}

// The spread cap's factors and margins (ms; 0 is written -1: none) tried.
var (
	spreads = []float64{1, 2, 3}
	margins = []time.Duration{200, 300, 400}
)

func lastWordOf(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return strings.ToLower(f[len(f)-1])
}

func filler(w string) bool {
	switch w {
	case "um", "uh", "er", "erm", "hmm", "mm", "uhm", "ah":
		return true
	}
	return false
}

// combineBefore is vad.CombinePartials as it was before the filler rule.
func combineBefore(g, lm string) vad.Hint { return vad.CombinePartials(g, lm) }

// combineFillerOnly: a filler last in either partial continues the turn.
func combineFillerOnly(g, lm string) vad.Hint {
	if filler(lastWordOf(g)) || filler(lastWordOf(lm)) {
		return vad.HintContinue
	}
	return vad.CombinePartials(g, lm)
}

// combineFunctionWord: an LM partial ending in a word
// that continues (an article, a preposition, "and") holds the turn where
// the grammar reads other words.
func combineFunctionWord(g, lm string) vad.Hint {
	h := vad.CombinePartials(g, lm)
	if h == vad.HintMaybeWords && vad.ClassifyPartial(lm) == vad.HintContinue {
		return vad.HintContinue
	}
	return h
}

// prevDefault names the default before issue 24's c9 step: spread margin
// 200 ms, the digit-turn rule armed by a digit reading with no pause after.
const prevDefault = "previous default (margin 200 ms, digit-turn rule armed without a pause)"

// c9Settings are the previous default and the candidates for the default of issue 24's cut-off
// step, all on the default options with the spread cap's margin varied:
// the combine rule as it is, with the filler rule, with the LM
// function-word rule for uncorroborated grammar readings, and with both.
func c9Settings(rec, recSrv eval.PartialSource) []eval.TurnSetting {
	b := vad.DefaultEndpointBase.Milliseconds()
	s := []eval.TurnSetting{{Name: fmt.Sprintf("adaptive base %d ms + both partials, %s", b, prevDefault),
		Recogniser: rec, RecogniserLM: recSrv, Combine: vad.CombinePartials,
		Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{PaceMargin: 200 * ms, DigitTurnUnpaused: true, PauseHold: -1, LongTurn: -1}}}}
	for _, r := range []struct {
		name string
		comb func(g, lm string) vad.Hint
	}{{"as is", nil}, {"filler", combineFiller}, {"LM function word", combineLMFunction}, {"filler + LM function word", combineBoth}} {
		for _, m := range margins {
			s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, c9 %s, margin %d ms", b, r.name, m),
				Recogniser: rec, RecogniserLM: recSrv, Combine: r.comb,
				Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{PaceMargin: m * ms}}})
		}
	}
	return s
}

// combineFiller: a filler last in either partial continues the turn (the
// grammar hears "um" as "mm", "hmm").
func combineFiller(g, lm string) vad.Hint {
	h := vad.CombinePartials(g, lm)
	if filler(lastWordOf(g)) || filler(lastWordOf(lm)) {
		return vad.HintContinue | h&vad.HintWordy
	}
	return h
}

// combineLMFunction: where the grammar's reading is uncorroborated (maybe
// words, maybe digits), an LM partial ending in a word that continues
// ("the", "my", "and") holds the turn, unless that word is one the LM
// hears for a digit ("to", "for").
func combineLMFunction(g, lm string) vad.Hint {
	h := vad.CombinePartials(g, lm)
	switch h.Class() {
	case vad.HintMaybeWords, vad.HintMaybeDigits:
		if w := lastWordOf(lm); vad.ClassifyPartial(w).Class() == vad.HintContinue && !lmDigitWord(w) {
			return vad.HintContinue | h&vad.HintWordy
		}
	}
	return h
}

func combineBoth(g, lm string) vad.Hint {
	if h := combineFiller(g, lm); h.Class() == vad.HintContinue {
		return h
	}
	return combineLMFunction(g, lm)
}

// lmDigitWord: what the general LM hears for a digit (vad's numberLike).
func lmDigitWord(w string) bool {
	switch w {
	case "to", "too", "for", "won", "ate", "oh", "no", "know":
		return true
	}
	return false
}

// c10Settings are the candidates of issue 21's split step (vad-eval's
// 100–400 ms digit strings cut where the grammar read a lone digit as a
// greeting or words, or after a run the detector heard as two digits):
// the rule before it, the pause hold (EndpointOptions.PauseHold) with its
// factor varied (×1.5 the default), grammar words held after runs under
// MaybeRun (WordsMaybeRun) and "hey there" no longer complete, alone and
// together (neither taken: a finished short request must not wait).
func c10Settings(rec, recSrv eval.PartialSource) []eval.TurnSetting {
	b := vad.DefaultEndpointBase.Milliseconds()
	before := vad.EndpointOptions{PauseHold: -1}
	var s []eval.TurnSetting
	for _, v := range []struct {
		name string
		opt  vad.EndpointOptions
		comb func(g, lm string) vad.Hint
	}{
		{"before (no pause hold, words held under 600 ms)", before, nil},
		{"pause hold ×1.5 (the step's choice)", vad.EndpointOptions{}, nil},
		{"words held under 800 ms only", vad.EndpointOptions{PauseHold: -1, WordsMaybeRun: true}, nil},
		{"greeting not complete only", before, eval.CombineGreetingWords},
		{"pause hold ×1.5 + words", vad.EndpointOptions{WordsMaybeRun: true}, nil},
		{"all three", vad.EndpointOptions{WordsMaybeRun: true}, eval.CombineGreetingWords},
		{"all three, pause hold ×1", vad.EndpointOptions{PauseHold: 1, WordsMaybeRun: true}, eval.CombineGreetingWords},
		{"all three, pause hold ×2", vad.EndpointOptions{PauseHold: 2, WordsMaybeRun: true}, eval.CombineGreetingWords},
		{"all three, pause hold + complete", vad.EndpointOptions{PauseHoldComplete: true, WordsMaybeRun: true}, eval.CombineGreetingWords},
	} {
		v.opt.LongTurn = -1 // the rules of this step only
		s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, c10 %s", b, v.name),
			Recogniser: rec, RecogniserLM: recSrv, Combine: v.comb, Opt: vad.TurnOptions{Endpointing: &v.opt}})
	}
	return s
}

// c11Settings: the long-turn wait (EndpointOptions.LongTurn): once the turn
// so far has lasted LongTurn, the wait is at least LongWait, unless the
// words are complete ("+ complete": also then), against the default.
func c11Settings(rec, recSrv eval.PartialSource) []eval.TurnSetting {
	b := vad.DefaultEndpointBase.Milliseconds()
	s := []eval.TurnSetting{{Name: fmt.Sprintf("adaptive base %d ms + both partials, c11 before (no long-turn wait)", b),
		Recogniser: rec, RecogniserLM: recSrv, Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{LongTurn: -1}}}}
	for _, complete := range []bool{false, true} {
		for _, t := range []time.Duration{1500, 2000, 2500, 3000} {
			name := fmt.Sprintf("adaptive base %d ms + both partials, c11 long turn %d ms", b, t)
			if complete {
				name += " + complete"
			}
			name += ", wait 300 ms" // the first choice; the default wait is 250 ms
			s = append(s, eval.TurnSetting{Name: name, Recogniser: rec, RecogniserLM: recSrv,
				Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{LongTurn: t * ms, LongWait: 300 * ms, LongSparesComplete: !complete}}})
		}
	}
	for _, t := range []time.Duration{2500, 3000} {
		for _, w := range []time.Duration{150, 200, 250} {
			s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, c11 long turn %d ms + complete, wait %d ms", b, t, w),
				Recogniser: rec, RecogniserLM: recSrv, Opt: vad.TurnOptions{Endpointing: &vad.EndpointOptions{LongTurn: t * ms, LongWait: w * ms}}})
		}
	}
	return s
}

var tuningOnly bool

// perSet is the per-set table of the settings keep names, on the tuning
// split (tune) or held out.
func perSet(items []eval.TurnItem, sets []eval.TurnSetting, tune bool, condName []string,
	res func(si, ci int) []eval.TurnOutcome, keep func(name string) bool) string {
	var b strings.Builder
	b.WriteString("| setting | noise | set | items | cut-off (pauses) | mid-speech ends | split items | turns per item | latency p50/p95 | undecided |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for si, s := range sets {
		if !keep(s.Name) {
			continue
		}
		for ci := range condName {
			for _, set := range setNames(items) {
				t := eval.Summarise(items, res(si, ci), func(it eval.TurnItem) bool { return it.Tune == tune && it.Set == set })
				n := t.Ended + t.Paused
				fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %d | %s | %.2f | %s | %d |\n", s.Name, condName[ci], set, n,
					pct(t.Cuts, t.Pauses), t.MidCuts, pct(t.Split, n), float64(t.Turns)/float64(max(n, 1)), lat(t), t.Undecided)
			}
		}
	}
	return b.String()
}

// c12Settings: the pitch contour (EndpointOptions.Pitch, PitchRise,
// PitchSparesLong) against the default, which reads the energy contour
// only.
func c12Settings(rec, recSrv eval.PartialSource) []eval.TurnSetting {
	b := vad.DefaultEndpointBase.Milliseconds()
	var s []eval.TurnSetting
	for _, v := range []struct {
		name string
		opt  vad.EndpointOptions
	}{
		{"before (energy contour only)", vad.EndpointOptions{}},
		{"pitch cue, fall 1.5 st", vad.EndpointOptions{Pitch: true}},
		{"pitch cue, fall 1 st", vad.EndpointOptions{Pitch: true, PitchFallST: 1}},
		{"pitch cue, fall 2.5 st", vad.EndpointOptions{Pitch: true, PitchFallST: 2.5}},
		{"rise hold 200 ms, rise 1.5 st", vad.EndpointOptions{PitchRise: 200 * ms}},
		{"rise hold 400 ms, rise 1.5 st", vad.EndpointOptions{PitchRise: 400 * ms}},
		{"rise hold 400 ms, rise 1 st", vad.EndpointOptions{PitchRise: 400 * ms, PitchRiseST: 1}},
		{"rise hold 400 ms, rise 2.5 st", vad.EndpointOptions{PitchRise: 400 * ms, PitchRiseST: 2.5}},
		{"fall spares long turn, fall 1.5 st", vad.EndpointOptions{PitchSparesLong: true}},
		{"fall spares long turn, fall 1 st", vad.EndpointOptions{PitchSparesLong: true, PitchFallST: 1}},
		{"fall spares long turn, fall 2.5 st", vad.EndpointOptions{PitchSparesLong: true, PitchFallST: 2.5}},
		{"pitch cue + fall spares long turn", vad.EndpointOptions{Pitch: true, PitchSparesLong: true}},
		{"pitch cue + rise hold 400 ms", vad.EndpointOptions{Pitch: true, PitchRise: 400 * ms}},
		{"all three, rise hold 400 ms", vad.EndpointOptions{Pitch: true, PitchRise: 400 * ms, PitchSparesLong: true}},
	} {
		s = append(s, eval.TurnSetting{Name: fmt.Sprintf("adaptive base %d ms + both partials, c12 %s", b, v.name),
			Recogniser: rec, RecogniserLM: recSrv, Opt: vad.TurnOptions{Endpointing: &v.opt}})
	}
	return s
}
