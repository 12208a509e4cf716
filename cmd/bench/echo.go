package main

// The echo section: calls whose microphone picks the reply up again, as a
// speakerphone without echo cancellation does (callbot's EchoPath: a gain,
// a delay and a 300 ms room tail), against the offline assistant with
// -echo-cancel auto and off. It counts the turns the reply's own echo
// started and measures the barge-in stop of a question spoken over the
// echo, and writes them between <!-- echo-bench:begin/end -->.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/internal/benchmd"
	"github.com/duplex-ai/duplex/internal/callbot"
)

const echoHeading = "## Echo: barge-in over a speakerphone's echo (`go run ./cmd/bench -only echo`)"

var echoOnly string

func init() {
	flag.StringVar(&echoOnly, "echo-only", "", "echo: run only the rows whose label (e.g. auto/-20dB/300ms/espeak) contains each comma-separated part")
}

type echoCase struct {
	cancel string
	gainDB float64 // 0: no echo
	delay  time.Duration
}

type echoResult struct {
	echoCase
	helpCut   bool // the first reply was interrupted
	extra     int  // turns beyond the three spoken: started by the echo
	stopped   bool
	stopMS    float64
	answered  bool
	errors    []string
	userTurns []string
}

func echoCases() []echoCase {
	var cs []echoCase
	for _, cancel := range []string{"auto", "off"} {
		cs = append(cs, echoCase{cancel: cancel})
		for _, g := range []float64{-10, -20, -30} {
			delays := []time.Duration{50 * time.Millisecond, 150 * time.Millisecond, 300 * time.Millisecond}
			if cancel == "off" {
				delays = delays[1:2]
			}
			for _, d := range delays {
				cs = append(cs, echoCase{cancel: cancel, gainDB: g, delay: d})
			}
		}
	}
	return cs
}

// label names a row for -echo-only: cancel/gain/delay/voice.
func (ec echoCase) label() string {
	if ec.gainDB == 0 {
		return ec.cancel + "/none"
	}
	return fmt.Sprintf("%s/%.0fdB/%v", ec.cancel, ec.gainDB, ec.delay)
}

// selected says whether -echo-only keeps a row.
func selected(label string) bool {
	for _, part := range strings.Split(echoOnly, ",") {
		if !strings.Contains(label, part) {
			return false
		}
	}
	return true
}

func runEcho(ctx context.Context, c config) error {
	bin, err := filepath.Abs(c.serverBin)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "duplex-bench-echo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	clips := &clipCache{dir: tmp}
	var turns [3]clip
	for i, text := range []string{"what can you do", "tell me a story", "what time is it"} {
		if turns[i], err = clips.get(ctx, "en-us", text); err != nil {
			return err
		}
	}
	started, load0 := time.Now(), loadAvg()
	servers := map[string]*server{}
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	var results []echoResult
	for _, ec := range echoCases() {
		if !selected(ec.label()) {
			continue
		}
		srv := servers[ec.cancel]
		if srv == nil {
			if srv, err = startServerArgs(ctx, bin, "-echo-cancel", ec.cancel); err != nil {
				return err
			}
			servers[ec.cancel] = srv
		}
		logf("echo: -echo-cancel %s, echo %v dB after %v…", ec.cancel, ec.gainDB, ec.delay)
		opt := callbot.Options{Server: srv.base, Turns: [][]int16{turns[0].pcm, turns[1].pcm}, AudioRate: turns[0].rate,
			BargeIn: turns[2].pcm, BargeInAfter: 2 * time.Second, TurnTimeout: 30 * time.Second, Tail: 6 * time.Second, Log: zerolog.Nop()}
		if ec.gainDB != 0 {
			opt.Echo = &callbot.EchoPath{GainDB: ec.gainDB, Delay: ec.delay, RT60: 300 * time.Millisecond}
		}
		cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		res, err := callbot.Run(cctx, opt)
		cancel()
		if err != nil {
			return err
		}
		r := echoResult{echoCase: ec, errors: res.Errors}
		for _, t := range res.Turns {
			r.userTurns = append(r.userTurns, t.User)
			if t.BargeInStopMS != nil {
				r.stopped, r.stopMS = true, *t.BargeInStopMS
			}
		}
		if len(res.Turns) > 0 {
			r.helpCut = res.Turns[0].Interrupted
		}
		r.extra = max(0, len(res.Turns)-3)
		if n := len(res.Turns); n > 0 && r.stopped {
			r.answered = res.Turns[n-1].Reply != ""
		}
		if c.verbose {
			logf("echo %+v: turns %q", ec, r.userTurns)
		}
		results = append(results, r)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nRun %s on %s (%d cores), load %s → %s, took %v, against the server binary with its defaults and `-echo-cancel` as shown.\n\n",
		started.UTC().Format("2006-01-02 15:04"), benchmd.CPUModel(), runtime.NumCPU(), load0, loadAvg(), time.Since(started).Round(time.Second))
	b.WriteString("Each row is one call (callbot, espeak-ng `en-us`): \"what can you do\" (a 9 s reply), then \"tell me a story\" interrupted 2 s into the reply by \"what time is it\". The microphone adds the received reply back at the echo gain, after the delay, with a 300 ms room tail (a feedback comb); the server hears it through Opus and the network like the caller's voice. *Help cut* = the first reply was interrupted; *echo turns* = user turns beyond the three spoken (each one the assistant's own voice taken for the caller's); *stop* = callbot's `barge_in_stop_ms` of the question over the story.\n\n")
	b.WriteString("| -echo-cancel | echo | delay | help cut | echo turns | barge-in stopped | stop (ms) | user turns heard |\n|---|---:|---:|---|---:|---|---:|---|\n")
	for _, r := range results {
		echo, delay := "none", "–"
		if r.gainDB != 0 {
			echo, delay = fmt.Sprintf("%.0f dB", r.gainDB), r.delay.String()
		}
		stop := "–"
		if r.stopped {
			stop = fmt.Sprintf("%.0f", r.stopMS)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s | %s | %s |\n", r.cancel, echo, delay, yesNo(r.helpCut), r.extra, yesNo(r.stopped), stop,
			mdCell(strings.Join(r.userTurns, " / "), 120))
	}
	for _, r := range results {
		for _, e := range first(r.errors, 2) {
			fmt.Fprintf(&b, "\n- %s %.0f dB: %s", r.cancel, r.gainDB, mdCell(e, 200))
		}
	}
	b.WriteString("\n")
	fmt.Print(b.String())
	if c.out == "" {
		return nil
	}
	return benchmd.WriteSection(c.out, "echo-bench", echoHeading, b.String())
}
