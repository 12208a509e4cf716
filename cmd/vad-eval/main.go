// Command vad-eval builds the labelled VAD corpus with espeak-ng, scores the
// spectral VAD and the energy baseline on it at several noise types and SNRs,
// measures CPU cost per frame with the testing package's benchmark harness,
// prints the report and writes it into BENCHMARKS.md between the
// <!-- vad-eval:begin --> and <!-- vad-eval:end --> markers. Its real-speech
// section (FSDD digit strings and the librivox sentences under the same
// noises) goes between <!-- vad-eval-real:begin --> and its end marker.
//
//	go run ./cmd/vad-eval [-out BENCHMARKS.md] [-seed N] [-utterances N]
//	    [-sections synthetic,real] [-fsdd DIR] [-librivox DIR]
//	    [-recogniser=false] [-recogniser-conds clean,white:20,...]
//	    [-partials-cache FILE] [-digit-strings N] [-split held-out|tuning]
//	    [-explain-splits] [-try-endpoint NAMES]
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/vad"
	"github.com/duplex-ai/duplex/vad/eval"
)

func main() {
	out := flag.String("out", "BENCHMARKS.md", "file to write the report section into (empty: print only)")
	seed := flag.Uint64("seed", eval.DefaultConfig().Seed, "corpus seed")
	utts := flag.Int("utterances", eval.DefaultConfig().Utterances, "number of utterances")
	sections := flag.String("sections", "synthetic,real", "sections to run: synthetic, real")
	fsdd := flag.String("fsdd", "../shared/corpus/fsdd", "FSDD folder ({digit}_{speaker}_{take}.wav); absent: the digit strings are left out")
	librivox := flag.String("librivox", "/usr/share/pocketsphinx/test/data/librivox", "read sentences (pocketsphinx-testdata); absent: left out")
	flag.BoolVar(&realOpt.recogniser, "recogniser", true, "real section: also measure the server's default end of turn (adaptive, "+
		"with stt/sphinx's live partials) in the -recogniser-conds; false: the fixed 300 ms detector only")
	flag.StringVar(&realOpt.conds, "recogniser-conds", "clean,white:20,pink:20,white:10", "real section: the mixtures decoded for the server "+
		"default, noise:SNR or clean (each costs about a minute of decoding per minute of audio on a loaded machine)")
	flag.StringVar(&realOpt.cache, "partials-cache", "", "real section: JSON file keeping the recogniser's partials between runs (empty: none)")
	flag.IntVar(&realOpt.strings, "digit-strings", 0, "real section: FSDD digit strings per speaker of the four (the held-out pair says as many as the four would; 0: the default 40; fewer for a quick look)")
	flag.BoolVar(&realOpt.explain, "explain-splits", false, "real section: print each turn the server default ended inside an utterance "+
		"(which pause, its length, the partials and the wait) to stderr")
	flag.StringVar(&realOpt.try, "try-endpoint", "", "real section: only print the split utterances of these end-of-turn variants "+
		"(comma-separated names, see try.go) in the -recogniser-conds, and no report; for tuning")
	split := flag.String("split", "held-out", "real section: held-out (FSDD nicolas/theo, all librivox sentences: the reported figures) "+
		"or tuning (FSDD george/jackson, librivox 0870/0880: for tuning the end-of-turn rules; use with -out '' or another file)")
	flag.Parse()
	switch *split {
	case "held-out":
	case "tuning":
		realOpt.tuning = true
		if filepath.Base(*out) == "BENCHMARKS.md" {
			fmt.Fprintln(os.Stderr, "vad-eval: -split tuning reports tuning figures: give -out '' or a scratch file, not BENCHMARKS.md")
			os.Exit(2)
		}
	default:
		fmt.Fprintf(os.Stderr, "vad-eval: -split %q: want held-out or tuning\n", *split)
		os.Exit(2)
	}
	for _, sec := range strings.Split(*sections, ",") {
		var err error
		switch strings.TrimSpace(sec) {
		case "synthetic":
			err = run(*out, *seed, *utts)
		case "real":
			err = runReal(*out, *fsdd, *librivox)
		default:
			err = fmt.Errorf("unknown section %q (synthetic, real)", sec)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "vad-eval:", err)
			os.Exit(1)
		}
	}
}

func run(out string, seed uint64, utts int) error {
	start := time.Now()
	// The CPU benchmarks first, on a small heap: run after the evaluation,
	// with its corpus and 20-minute noise tracks still live, the same code
	// measured 45 % slower than under `go test -bench`.
	bench := benchmarks()
	cfg := eval.DefaultConfig()
	cfg.Seed, cfg.Utterances = seed, utts
	ctx := context.Background()
	c, err := eval.Build(ctx, cfg)
	if err != nil {
		return err
	}
	snrs := []float64{30, 20, 10, 5, 0}
	topt := vad.TurnOptions{}
	rows, err := eval.Matrix(c, snrs, topt, eval.Contenders())
	if err != nil {
		return err
	}
	sweepVals := []time.Duration{150 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond,
		300 * time.Millisecond, 350 * time.Millisecond, 400 * time.Millisecond}
	mixes := [][]int16{c.Mix(eval.White, math.Inf(1)), c.Mix(eval.White, 20), c.Mix(eval.Pink, 20), c.Mix(eval.Babble, 20),
		c.Mix(eval.White, 10), c.Mix(eval.Pink, 10), c.Mix(eval.Babble, 10)}
	sweep, err := eval.SweepMinSilence(c, sweepVals, mixes, eval.Contenders()[0].New)
	if err != nil {
		return err
	}
	// The frame threshold in a fluctuating background: what it buys at
	// babble 0 dB and what it costs at 10 dB.
	var trade []eval.Tradeoff
	for _, snr := range []float64{10, 0} {
		t, err := eval.MeasureTradeoff(c, eval.Babble, snr, eval.Contenders()[0].New, []float64{0.5, 0.4, 0.35, 0.3, 0.25, 0.2})
		if err != nil {
			return err
		}
		trade = append(trade, t)
	}
	rateRows, err := eval.MeasureRates(c, []eval.Channel{{Rate: 8000}, {Rate: 8000, Telephone: true}, {Rate: 16000}, {Rate: 48000}}, []eval.Condition{
		{Kind: eval.White, SNR: math.Inf(1)}, {Kind: eval.White, SNR: 20}, {Kind: eval.White, SNR: 10},
		{Kind: eval.Pink, SNR: 10}, {Kind: eval.Babble, SNR: 20}, {Kind: eval.Babble, SNR: 10}})
	if err != nil {
		return err
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s, %s, %s/%s, by `go run ./cmd/vad-eval` (`make vad-eval`); took %s.\n\n",
		time.Now().UTC().Format("2006-01-02"), eval.Machine(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		time.Since(start).Round(time.Second))
	b.WriteString(eval.CorpusMarkdown(c))
	fmt.Fprintf(&b, "The spectral VAD's learnt score was trained (`make vad-train`) on a corpus built the same way from seed %d "+
		"(%d utterances: other voice, speed, text and pause sequences, other noise)%s; this corpus was not part of it.\n",
		eval.TrainSeed, eval.TrainUtterances, fsddNote())
	b.WriteString("\n")
	b.WriteString(eval.TableMarkdown(rows, topt))
	b.WriteString("\n")
	b.WriteString(eval.VerdictMarkdown(rows, eval.Contenders()[0].Name))
	b.WriteString("\n")
	b.WriteString(eval.TradeoffMarkdown(trade, eval.Contenders()[0].Name))
	b.WriteString("\n")
	b.WriteString(eval.RatesMarkdown(rateRows))
	b.WriteString("\n")
	b.WriteString(eval.SweepMarkdown(sweep, "clean + white/pink/babble at 20 and 10 dB pooled"))
	b.WriteString("\n")
	b.WriteString(bench)
	report := b.String()
	fmt.Print(report)
	if out != "" {
		if err := eval.WriteSection(out, report); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "vad-eval: wrote %s\n", out)
	}
	return nil
}

// benchmarks measures classifier and detector cost per 20 ms frame with
// testing.Benchmark (the harness behind `go test -bench`), on one goroutine.
func benchmarks() string {
	frame := func(rate int) [][]int16 {
		r := rand.New(rand.NewPCG(1, 2))
		n := rate / 50
		fs := make([][]int16, 64)
		for i := range fs {
			fs[i] = make([]int16, n)
			for j := range fs[i] {
				fs[i][j] = int16(r.NormFloat64() * 1000 * float64(1+i%4))
			}
		}
		return fs
	}
	type bc struct {
		name string
		rate int
		mk   func() func([]int16)
	}
	cases := []bc{
		{"SpectralVAD.Prob 16 kHz", 16000, func() func([]int16) {
			v, _ := vad.NewClassifier(vad.Options{})
			return func(f []int16) { v.Prob(f) }
		}},
		{"SpectralVAD.Prob 8 kHz", 8000, func() func([]int16) {
			v, _ := vad.NewClassifier(vad.Options{SampleRate: 8000})
			return func(f []int16) { v.Prob(f) }
		}},
		{"SpectralVAD.Prob 48 kHz", 48000, func() func([]int16) {
			v, _ := vad.NewClassifier(vad.Options{SampleRate: 48000})
			return func(f []int16) { v.Prob(f) }
		}},
		{"EnergyVAD.Prob 16 kHz", 16000, func() func([]int16) {
			v, _ := vad.NewEnergyVAD(vad.Options{}, 0)
			return func(f []int16) { v.Prob(f) }
		}},
		{"Detector.Push (spectral) 16 kHz", 16000, func() func([]int16) {
			v, _ := vad.NewClassifier(vad.Options{})
			d, _ := vad.NewDetector(v, vad.TurnOptions{})
			var at time.Duration
			return func(f []int16) { d.Push(f, at); at += 20 * time.Millisecond }
		}},
	}
	var b strings.Builder
	b.WriteString("CPU cost per 20 ms frame, one goroutine (`testing.Benchmark`; the same numbers come from `go test -run '^$' -bench . -benchmem ./vad/`):\n\n")
	b.WriteString("| benchmark | ns/frame | × real time (one core) | allocs/frame | B/frame |\n|---|---:|---:|---:|---:|\n")
	for _, c := range cases {
		fs := frame(c.rate)
		f := c.mk()
		res := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				f(fs[i&63])
				i++
			}
		})
		ns := float64(res.T.Nanoseconds()) / float64(res.N)
		fmt.Fprintf(&b, "| %s | %.0f | %.0f× | %d | %d |\n", c.name, ns, 20e6/ns, res.AllocsPerOp(), res.AllocedBytesPerOp())
	}
	return b.String()
}

// fsddNote says which real speech the learnt score was trained on beside
// the synthetic corpus.
func fsddNote() string {
	if len(vad.ModelFSDDSpeakers) == 0 {
		return ""
	}
	return fmt.Sprintf(" and on FSDD digit strings of %s under the same noises (the real-speech section evaluates the other speakers)",
		strings.Join(vad.ModelFSDDSpeakers, "/"))
}
