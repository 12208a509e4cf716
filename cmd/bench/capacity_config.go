package main

// Configuration of the capacity scenario: its targets and flags.

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/internal/callbot"
)

// Targets from the issue.
const (
	targetCalls       = 100     // concurrent calls with < 1 % reply-audio gaps
	targetRatio       = 5.0     // ours ÷ aiortc
	targetIdleRSS     = 2 << 20 // bytes per idle call
	holdMaxGap        = 0.01    // gap and late fractions a step may have
	holdMaxP95        = 1000.0  // ms
	holdMaxNoReply    = 0.01    // turns without reply
	disturbedCores    = 0.3     // busy cores under which the machine counts as quiet
	capacityUtterance = "what time is it"
	// capacityReply is also what cmd/duplex's -pipeline canned says.
	capacityReply = "Sure. Here is a short answer to your question."
)

// capOpt holds the capacity flags; registered here so that main.go needs
// no more than the runScenarios hook.
var capOpt struct {
	only      string
	hold      time.Duration
	budget    time.Duration
	ours      string
	peer      string
	oursRamp  float64
	peerRamp  float64
	oursIdle  int
	peerIdle  int
	peerPath  string
	quietWait time.Duration
	camera    string
	micro     bool
}

func init() {
	flag.StringVar(&capOpt.only, "only", "", "run only this part: dialogue (scenarios A–C), realtime (-pipeline realtime against the fake model), echo (barge-in over a speakerphone echo), models (OpenAI-compatible fakes with hosted delays, preemptive replies on and off) or capacity; empty runs all")
	flag.DurationVar(&capOpt.hold, "capacity-hold", 15*time.Second, "capacity: measured time of each step, once all its calls are connected")
	flag.DurationVar(&capOpt.budget, "capacity-budget", 6*time.Minute, "capacity: time for the whole scenario (micro-benchmarks, quiet wait, steps); steps that would not fit are skipped")
	flag.StringVar(&capOpt.ours, "capacity-steps", "25,50,75,100,125,150,200,250,300,400", "capacity: concurrent calls per step on our server, ascending; it stops at the first step that does not hold")
	flag.StringVar(&capOpt.peer, "peer-steps", "5,10,15,20,30,40,60,80", "capacity: the same on the aiortc peer")
	flag.Float64Var(&capOpt.oursRamp, "capacity-ramp", 25, "capacity: new calls per second on our server")
	flag.Float64Var(&capOpt.peerRamp, "peer-ramp", 10, "capacity: new calls per second on the aiortc peer")
	flag.IntVar(&capOpt.oursIdle, "capacity-idle", 100, "capacity: idle calls for the RSS-per-idle-call step on our server")
	flag.IntVar(&capOpt.peerIdle, "peer-idle", 20, "capacity: idle calls on the aiortc peer")
	flag.StringVar(&capOpt.peerPath, "peer-script", "bench/peer/server.py", "capacity: the aiortc peer server (run with /usr/bin/python3; empty skips the peer)")
	flag.BoolVar(&capOpt.micro, "capacity-micro", true, "capacity: run the Go micro-benchmarks first (false: skip them, e.g. for a quick camera step)")
	flag.StringVar(&capOpt.camera, "capacity-camera", "", "capacity: a camera clip (IVF VP8/VP9 or H.264 Annex-B, e.g. 720p) every caller of our server sends, looping; the aiortc peer is not run and the report goes to its own section (capacity-camera-bench)")
	flag.DurationVar(&capOpt.quietWait, "capacity-quiet-wait", 45*time.Second, "capacity: wait up to this long (part of the budget) for other processes to leave the CPU before the steps")
}

func parseSteps(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > callbot.MaxLoadCalls || len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("steps %q: want ascending call counts 1..%d", s, callbot.MaxLoadCalls)
		}
		out = append(out, n)
	}
	return out, nil
}

// serverFlags returns the flags for our server: the canned pipeline, no
// call cap in the way, pprof on, no per-address limits (all load comes from
// 127.0.0.1), no idle timeout and no transcripts.
func serverFlags(bin, addr string) []string {
	return []string{bin, "-addr", addr, "-log-format", "json", "-log-level", "warn",
		"-pipeline", "canned", "-max-calls", "2000", "-pprof",
		"-max-calls-per-ip=0", "-rate-limit=0", "-data-dir=", "-idle-timeout=0"}
}

// serverArgs is serverFlags with every camera decoded when the callers
// send one.
func serverArgs(bin, addr string) []string {
	args := serverFlags(bin, addr)
	if capOpt.camera != "" {
		args = append(args, "-max-video-calls=0")
	}
	return args
}
