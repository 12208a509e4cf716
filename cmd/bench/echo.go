package main

// The echo section: calls whose microphone picks the reply up again, as a
// speakerphone without echo cancellation does (callbot's EchoPath: a gain,
// a delay and a 300 ms room tail), against the offline assistant with
// -echo-cancel auto and off. It counts the turns the reply's own echo
// started and measures the barge-in stop of a question spoken over the
// echo (by espeak-ng, and in the real rows by a real recording), and
// writes them between <!-- echo-bench:begin/end -->.

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/internal/benchmd"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/dsp"
	"github.com/duplex-ai/duplex/vad/eval"
)

const echoHeading = "## Echo: barge-in over a speakerphone's echo (`go run ./cmd/bench -only echo`)"

var echoOpt struct {
	only, real string
}

func init() {
	flag.StringVar(&echoOpt.only, "echo-only", "", "echo: run only the rows whose label (e.g. auto/-20dB/300ms/espeak) contains each comma-separated part")
	flag.StringVar(&echoOpt.real, "echo-real", "/usr/share/pocketsphinx/test/data/goforward.raw", "echo: a real recording (16 kHz mono 16-bit raw) spoken as the barge-in of the real-voice rows (absent: those rows are left out)")
}

// echoRealText is what the real barge-in (pocketsphinx-testdata's
// goforward.raw) says.
const echoRealText = "go forward ten meters"

type echoCase struct {
	cancel string
	gainDB float64 // 0: no echo
	delay  time.Duration
	real   bool // the barge-in is the real recording, not espeak-ng
}

type echoResult struct {
	echoCase
	helpCut   bool // the first reply was interrupted
	extra     int  // turns beyond the three spoken: echo, or a split question
	stopped   bool
	stopMS    float64
	answered  bool
	errors    []string
	userTurns []string
}

// echoCases are the rows: espeak-ng's barge-in at every echo with the gate
// and at 150 ms without it; the real recording's at 150 and 300 ms with it
// (the delays where the gate has most to learn; 50 ms costs a row each).
func echoCases() []echoCase {
	var cs []echoCase
	for _, cancel := range []string{"auto", "off"} {
		for _, real := range []bool{false, true} {
			if real && cancel == "off" {
				continue
			}
			cs = append(cs, echoCase{cancel: cancel, real: real})
			for _, g := range []float64{-10, -20, -30} {
				delays := []time.Duration{50 * time.Millisecond, 150 * time.Millisecond, 300 * time.Millisecond}
				switch {
				case cancel == "off":
					delays = delays[1:2]
				case real:
					delays = delays[1:]
				}
				for _, d := range delays {
					cs = append(cs, echoCase{cancel: cancel, gainDB: g, delay: d, real: real})
				}
			}
		}
	}
	return cs
}

// voice names the barge-in's voice in the table and labels.
func (ec echoCase) voice() string {
	if ec.real {
		return "real"
	}
	return "espeak"
}

// readRealBargeIn reads a 16 kHz raw recording and cuts its leading
// silence to 100 ms, so the voice starts when the barge-in is due.
func readRealBargeIn(path string) ([]int16, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 2*eval.Rate/10 || len(b)%2 != 0 {
		return nil, fmt.Errorf("%s: not 16-bit raw audio of at least 100 ms", path)
	}
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	const frame = eval.Rate / 50
	for k := 0; (k+1)*frame <= len(pcm); k++ {
		var e float64
		for _, v := range pcm[k*frame : (k+1)*frame] {
			e += float64(v) * float64(v)
		}
		if 10*math.Log10(e/frame+1e-9)-20*math.Log10(32768) > -40 {
			return pcm[max(0, k-5)*frame:], nil
		}
	}
	return nil, fmt.Errorf("%s: no speech above −40 dBFS", path)
}

// label names a row for -echo-only: cancel/gain/delay/voice.
func (ec echoCase) label() string {
	if ec.gainDB == 0 {
		return ec.cancel + "/none/" + ec.voice()
	}
	return fmt.Sprintf("%s/%.0fdB/%v/%s", ec.cancel, ec.gainDB, ec.delay, ec.voice())
}

// selected says whether -echo-only keeps a row.
func selected(label string) bool {
	for _, part := range strings.Split(echoOpt.only, ",") {
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
	// The real rows: the same two espeak-ng turns at 16 kHz (callbot sends
	// one rate), then the recording, played as recorded.
	var realTurns [2][]int16
	realBarge, realErr := readRealBargeIn(echoOpt.real)
	if realErr == nil {
		for i := range realTurns {
			if realTurns[i], err = dsp.Resample(turns[i].pcm, turns[i].rate, eval.Rate); err != nil {
				return err
			}
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
		if !selected(ec.label()) || (ec.real && realErr != nil) {
			continue
		}
		srv := servers[ec.cancel]
		if srv == nil {
			if srv, err = startServerArgs(ctx, bin, "-echo-cancel", ec.cancel); err != nil {
				return err
			}
			servers[ec.cancel] = srv
		}
		logf("echo: %s…", ec.label())
		opt := callbot.Options{Server: srv.base, Turns: [][]int16{turns[0].pcm, turns[1].pcm}, AudioRate: turns[0].rate,
			BargeIn: turns[2].pcm, BargeInAfter: 2 * time.Second, TurnTimeout: 30 * time.Second, Tail: 6 * time.Second, Log: zerolog.Nop()}
		if ec.real {
			opt.Turns, opt.AudioRate, opt.BargeIn = realTurns[:], eval.Rate, realBarge
		}
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
	b.WriteString("Each row is one call (callbot, espeak-ng `en-us`): \"what can you do\" (a 9 s reply), then \"tell me a story\" interrupted 2 s into the reply by \"what time is it\". The microphone adds the received reply back at the echo gain, after the delay, with a 300 ms room tail (a feedback comb); the server hears it through Opus and the network like the caller's voice. *Help cut* = the first reply was interrupted; *extra turns* = user turns beyond the three spoken: the assistant's own voice taken for the caller's, or one question heard as two (then both halves are the caller's words); *stop* = callbot's `barge_in_stop_ms` of the question over the story.\n\n")
	fmt.Fprintf(&b, "The *real* rows speak the barge-in with a real recording instead: pocketsphinx-testdata's `goforward.raw` (a man, \"%s\", 16 kHz, played as recorded, its loudest 20 ms about 7 dB below espeak-ng's question's), after the same two espeak-ng turns resampled to 16 kHz.\n\n", echoRealText)
	if realErr != nil {
		fmt.Fprintf(&b, "Real rows left out: %v.\n\n", realErr)
	}
	b.WriteString("| -echo-cancel | barge-in voice | echo | delay | help cut | extra turns | barge-in stopped | stop (ms) | user turns heard |\n|---|---|---:|---:|---|---:|---|---:|---|\n")
	for _, r := range results {
		echo, delay := "none", "–"
		if r.gainDB != 0 {
			echo, delay = fmt.Sprintf("%.0f dB", r.gainDB), r.delay.String()
		}
		stop := "–"
		if r.stopped {
			stop = fmt.Sprintf("%.0f", r.stopMS)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %s | %s | %s |\n", r.cancel, r.voice(), echo, delay, yesNo(r.helpCut), r.extra, yesNo(r.stopped), stop,
			mdCell(strings.Join(r.userTurns, " / "), 120))
	}
	for _, r := range results {
		for _, e := range first(r.errors, 2) {
			fmt.Fprintf(&b, "\n- %s: %s", r.label(), mdCell(e, 200))
		}
	}
	b.WriteString("\n")
	fmt.Print(b.String())
	if c.out == "" {
		return nil
	}
	return benchmd.WriteSection(c.out, "echo-bench", echoHeading, b.String())
}
