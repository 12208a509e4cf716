// Command stt-eval measures the pocketsphinx backend (stt/sphinx) on skill
// requests spoken by espeak-ng voices (clean and with seeded white noise at
// 20 dB SNR) and festival's HTS voice, on requests outside the skills, and
// on real human recordings (pocketsphinx-testdata, FSDD digit strings):
// rejection (no skill answer for what asked for none) with its ROC, the
// share of requests routed to the right skill, word error rates, and
// decode time; the rejecting recogniser side by side with the grammar
// alone. It calibrates the rejection thresholds on one split and reports
// on the other. It prints a markdown report and writes it into
// BENCHMARKS.md between the <!-- stt-eval:begin --> and
// <!-- stt-eval:end --> markers.
//
//	go run ./cmd/stt-eval [-out BENCHMARKS.md] [-fsdd DIR] [-testdata DIR] [-seed N] [-v] [-only digits] [-live-loop MODE] [-band-check] [-band-digits] [-carry-history]
//	go run ./cmd/stt-eval -calls N [-calls-mode later] [-calls-history-free both|mode|none] [-calls-history-free-all] [-calls-pace real] [-fsdd DIR] [-v]
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
	"time"

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

func main() {
	var c config
	flag.StringVar(&c.out, "out", "BENCHMARKS.md", "file to write the report section into (empty: print only)")
	flag.Uint64Var(&c.seed, "seed", 1, "noise and digit-string seed")
	flag.BoolVar(&c.verbose, "v", false, "print every utterance")
	flag.StringVar(&c.fsdd, "fsdd", "../shared/corpus/fsdd", "Free Spoken Digit Dataset folder (read in place, never copied)")
	flag.StringVar(&c.testdata, "testdata", "/usr/share/pocketsphinx/test/data", "pocketsphinx-testdata folder")
	flag.IntVar(&c.fsddN, "fsdd-strings", 40, "FSDD digit strings per split")
	flag.StringVar(&c.liveLoop, "live-loop", "", "when the rejecting recogniser feeds its phone loop while the audio arrives (sphinx Options.LiveLoop: off, later, always; empty: the default); the fit is on its scores")
	flag.IntVar(&c.calls, "calls", 0, "instead: decode each voice's or speaker's utterances as calls of this many, live loop off against -calls-mode, and print the comparison")
	flag.StringVar(&c.callsMode, "calls-mode", "later", "the live loop mode -calls compares with off")
	flag.StringVar(&c.callsHistoryFree, "calls-history-free", "both", `with -calls: the arms whose check is a function of the audio and the call alone on a call's later utterances (the default; the others stt/sphinx Options.CarryHistory, the older check): "both", "mode" the -calls-mode arm, "none"`)
	flag.BoolVar(&c.carryHistory, "carry-history", false, "decode \"now\" with stt/sphinx Options.CarryHistory (the older check: later utterances depend on what the pooled decoders heard before)")
	flag.BoolVar(&c.callsHistoryFreeAll, "calls-history-free-all", false, "with -calls-history-free: those arms history-free on every utterance, a call's first too (stt/sphinx Options.HistoryFree)")
	flag.StringVar(&c.callsPace, "calls-pace", "real", "with -calls: the sets played in real time, whose Finish times are reported (comma-separated: real, fsdd, fsdd1, espeak, espeak8k, festival)")
	flag.DurationVar(&c.callsEndpoint, "calls-endpoint", 260*time.Millisecond, "with -calls: a paced turn ends this long after its last loud frame (at least 160 ms: the audio the final passes decode)")
	flag.StringVar(&c.only, "only", "", `"digits": only the FSDD strings and the testdata recordings, the digit figures printed (BENCHMARKS.md untouched)`)
	flag.BoolVar(&c.bandCheck, "band-check", false, "decode \"now\" with stt/sphinx Options.BandCheck")
	flag.BoolVar(&c.bandDigits, "band-digits", false, "decode \"now\" with stt/sphinx Options.BandDigits")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "stt-eval:", err)
		os.Exit(1)
	}
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

func countSkill(s string) int {
	n := 0
	for _, p := range phrases {
		if p.skill == s {
			n++
		}
	}
	return n
}
