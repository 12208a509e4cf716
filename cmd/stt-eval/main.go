// Command stt-eval measures the pocketsphinx backend (stt/sphinx) on skill
// requests spoken by several espeak-ng voices, clean and with seeded white
// noise at 20 dB SNR: word accuracy (1 − WER), the share of requests a
// keyword router sends to the right skill (for arithmetic: the right
// numbers and operator too), and the decode cost as a real-time factor.
// It prints a markdown report and writes it into BENCHMARKS.md between the
// <!-- stt-eval:begin --> and <!-- stt-eval:end --> markers.
//
//	go run ./cmd/stt-eval [-out BENCHMARKS.md] [-seed N] [-v]
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/internal/benchmd"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/stt/sphinx"
)

// phrases: each skill request, and a few requests outside the skills
// (skill "none") that exercise the general-model fallback.
var phrases = []struct{ skill, text string }{
	{"greeting", "hello"}, {"greeting", "hello there"}, {"greeting", "good morning"}, {"greeting", "hey there"},
	{"time", "what time is it"}, {"time", "what is the time"},
	{"date", "what is the date today"}, {"date", "what day is it today"},
	{"arithmetic", "what is twelve times seven"}, {"arithmetic", "what is seventy seven plus fifteen"},
	{"arithmetic", "what is nine minus four"}, {"arithmetic", "what is one hundred divided by five"},
	{"arithmetic", "how much is six times eight"}, {"arithmetic", "what is forty two plus thirteen"},
	{"arithmetic", "what is eighty one minus sixty"}, {"arithmetic", "what is three times eleven"},
	{"arithmetic", "what is fifty divided by two"}, {"arithmetic", "what is ninety nine plus one"},
	{"memory", "what did i just say"}, {"memory", "what did i say before"},
	{"story", "tell me a story"}, {"story", "tell me a long story"},
	{"help", "what can you do"}, {"help", "help"},
	{"camera", "what do you see"}, {"camera", "look at this"},
	{"stop", "stop"}, {"stop", "wait"}, {"stop", "yeah"}, {"stop", "okay"}, {"stop", "uh huh"}, {"stop", "mm hmm"},
	{"none", "the weather is nice in paris"}, {"none", "can you book a flight to london"}, {"none", "play some music"},
}

var voices = []string{"en-us", "en-us+m3", "en-us+f2", "en-us+f4", "en+m5"}

type outcome struct {
	voice, cond, skill, ref, hyp string
	conf                         float64
	audio, took                  time.Duration
}

func main() {
	out := flag.String("out", "BENCHMARKS.md", "file to write the report section into (empty: print only)")
	seed := flag.Uint64("seed", 1, "noise seed")
	verbose := flag.Bool("v", false, "print every utterance")
	flag.Parse()
	if err := run(*out, *seed, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "stt-eval:", err)
		os.Exit(1)
	}
}

func run(out string, seed uint64, verbose bool) error {
	start := time.Now()
	eng, err := sphinx.NewEngine(sphinx.Options{PoolSize: 2})
	if err != nil {
		return err
	}
	defer eng.Close()
	ctx := context.Background()
	if err := eng.Warm(ctx); err != nil {
		return err
	}
	type job struct {
		voice, cond, skill, text string
		pcm                      []int16
	}
	var jobs []job
	for vi, v := range voices {
		for pi, p := range phrases {
			pcm, err := render(v, p.text)
			if err != nil {
				return err
			}
			// 300 ms of silence each side, as the turn detector's pre-roll
			// and end-of-turn hangover leave it.
			pad := make([]int16, stt.SampleRate*3/10)
			clean := append(append(append([]int16(nil), pad...), pcm...), pad...)
			jobs = append(jobs, job{v, "clean", p.skill, p.text, clean},
				job{v, "white 20 dB", p.skill, p.text, addNoise(clean, 20, seed+uint64(vi*1000+pi))})
		}
	}
	results := make([]outcome, len(jobs))
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	next := make(chan int)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				r, took, err := decode(ctx, eng, j.pcm)
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					continue
				}
				results[i] = outcome{j.voice, j.cond, j.skill, j.text, r.Text, r.Confidence,
					time.Duration(len(j.pcm)) * time.Second / stt.SampleRate, took}
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if verbose {
		for _, o := range results {
			ok := route(o.hyp) == route(o.ref)
			fmt.Fprintf(os.Stderr, "%-9s %-12s %-5v %.2f %-38q → %q\n", o.voice, o.cond, ok, o.conf, o.ref, o.hyp)
		}
	}
	report := markdown(results, time.Since(start))
	fmt.Print(report)
	if out != "" {
		if err := benchmd.WriteSection(out, "stt-eval", "## Speech-to-text (pocketsphinx, `stt/sphinx`)", report); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "stt-eval: wrote %s\n", out)
	}
	return nil
}

// decode streams pcm in 20 ms writes, as the dialogue engine does, and
// returns the result and the wall time from NewStream to Finish's return.
func decode(ctx context.Context, eng *sphinx.Engine, pcm []int16) (stt.Result, time.Duration, error) {
	t0 := time.Now()
	s, err := eng.NewStream(ctx, stt.StreamOptions{Language: "en"})
	if err != nil {
		return stt.Result{}, 0, err
	}
	defer s.Close()
	for off := 0; off < len(pcm); off += 320 {
		if err := s.Write(pcm[off:min(off+320, len(pcm))]); err != nil {
			return stt.Result{}, 0, err
		}
	}
	r, err := s.Finish(ctx)
	return r, time.Since(t0), err
}

func render(voice, text string) ([]int16, error) {
	cmd := exec.Command("sh", "-c",
		`espeak-ng -v "$1" --stdout "$2" | sox -R -t wav - -r 16000 -c 1 -b 16 -e signed-integer -t raw -`, "sh", voice, text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil || len(raw) < 3200 {
		return nil, fmt.Errorf("render %q with %s: %v %s", text, voice, err, stderr.String())
	}
	pcm := make([]int16, len(raw)/2)
	if err := binary.Read(bytes.NewReader(raw[:len(pcm)*2]), binary.LittleEndian, pcm); err != nil {
		return nil, err
	}
	return pcm, nil
}

// addNoise mixes white Gaussian noise at snr dB relative to the power of
// the speech (the non-silent samples).
func addNoise(pcm []int16, snr float64, seed uint64) []int16 {
	var p float64
	n := 0
	for _, s := range pcm {
		if s != 0 {
			p += float64(s) * float64(s)
			n++
		}
	}
	if n > 0 {
		p /= float64(n)
	}
	sd := math.Sqrt(p / math.Pow(10, snr/10))
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]int16, len(pcm))
	for i, s := range pcm {
		out[i] = int16(max(-32768, min(32767, math.Round(float64(s)+r.NormFloat64()*sd))))
	}
	return out
}

func markdown(rs []outcome, took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s (%d cores), %s, by `go run ./cmd/stt-eval`; took %s.\n\n",
		time.Now().UTC().Format("2006-01-02"), benchmd.CPUModel(), runtime.NumCPU(), runtime.Version(), took.Round(time.Second))
	nSkill := 0
	for _, p := range phrases {
		if p.skill != "none" {
			nSkill++
		}
	}
	fmt.Fprintf(&b, "Method: %d skill requests (%d arithmetic) and %d requests outside the skills, each spoken by %d espeak-ng voices (%s), "+
		"resampled 22.05→16 kHz by sox (its dither seeded, -R, so every run hears the same samples), padded with 300 ms of silence each side, clean and with seeded white Gaussian noise at 20 dB SNR "+
		"(relative to speech power); streamed in 20 ms writes into one stream each (no per-call adaptation: every utterance is decoded on its own, batch CMN), two streams at a time (pool of 2 decoders). "+
		"Word accuracy = 1 − WER (word-level edit distance over all reference words). Routed = the eval's keyword router "+
		"(the skills' key words; for arithmetic the operator and both numbers must match) sends the transcript to the skill of the "+
		"reference. RTF = wall time from NewStream to Finish ÷ audio length, audio written all at once (no real-time pacing).\n\n",
		nSkill, countSkill("arithmetic"), len(phrases)-nSkill, len(voices), strings.Join(voices, ", "))
	conds := []string{"clean", "white 20 dB"}
	b.WriteString("| condition | set | utterances | word accuracy | routed right | mean confidence |\n|---|---|---:|---:|---:|---:|\n")
	for _, c := range conds {
		for _, set := range []string{"skills", "arithmetic", "outside skills"} {
			var sel []outcome
			for _, o := range rs {
				if o.cond != c {
					continue
				}
				switch {
				case set == "skills" && o.skill != "none",
					set == "arithmetic" && o.skill == "arithmetic",
					set == "outside skills" && o.skill == "none":
					sel = append(sel, o)
				}
			}
			errs, words, routed, conf := 0, 0, 0, 0.0
			for _, o := range sel {
				e, n := wordErrors(o.ref, o.hyp)
				errs += e
				words += n
				if route(o.hyp) == route(o.ref) {
					routed++
				}
				conf += o.conf
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %.1f%% | %.1f%% (%d/%d) | %.2f |\n", c, set, len(sel),
				100*(1-float64(errs)/float64(words)), 100*float64(routed)/float64(len(sel)), routed, len(sel), conf/float64(len(sel)))
		}
	}
	b.WriteString("\n")
	// per-voice routing at 20 dB
	b.WriteString("| voice | routed right, clean | routed right, 20 dB |\n|---|---:|---:|\n")
	for _, v := range voices {
		var cells []string
		for _, c := range conds {
			ok, n := 0, 0
			for _, o := range rs {
				if o.voice == v && o.cond == c && o.skill != "none" {
					n++
					if route(o.hyp) == route(o.ref) {
						ok++
					}
				}
			}
			cells = append(cells, fmt.Sprintf("%d/%d", ok, n))
		}
		fmt.Fprintf(&b, "| %s | %s |\n", v, strings.Join(cells, " | "))
	}
	b.WriteString("\n")
	var rtf []float64
	var audio, spent time.Duration
	for _, o := range rs {
		rtf = append(rtf, o.took.Seconds()/o.audio.Seconds())
		audio += o.audio
		spent += o.took
	}
	sort.Float64s(rtf)
	fmt.Fprintf(&b, "Decode cost: RTF over all %d utterances %.2f (median %.2f, p90 %.2f, max %.2f); mean utterance %.2f s.\n\n",
		len(rs), spent.Seconds()/audio.Seconds(), rtf[len(rtf)/2], rtf[len(rtf)*9/10], rtf[len(rtf)-1],
		audio.Seconds()/float64(len(rs)))
	b.WriteString("Misrouted skill requests:\n\n")
	for _, o := range rs {
		if o.skill != "none" && route(o.hyp) != route(o.ref) {
			fmt.Fprintf(&b, "- %s, %s: %q → %q (%.2f)\n", o.voice, o.cond, o.ref, o.hyp, o.conf)
		}
	}
	return b.String()
}

func countSkill(s string) int {
	n := 0
	for _, p := range phrases {
		if p.skill == s {
			n++
		}
	}
	return n
}
