package main

// The capacity scenario (issue #6, "sessions per core"): how many
// concurrent calls one server holds on this machine with echo-free media
// load, side by side with a minimal aiortc server doing the same work, plus
// the Go micro-benchmarks of the per-frame media path. It writes its own
// section of BENCHMARKS.md, between <!-- capacity-bench:begin --> and
// <!-- capacity-bench:end -->.
//
//	go run ./cmd/bench -server-bin bin/duplex -only capacity

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/internal/benchmd"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/wav"
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
}

func init() {
	flag.StringVar(&capOpt.only, "only", "", "run only this part: dialogue (scenarios A–C) or capacity; empty runs both")
	flag.DurationVar(&capOpt.hold, "capacity-hold", 15*time.Second, "capacity: measured time of each step, once all its calls are connected")
	flag.DurationVar(&capOpt.budget, "capacity-budget", 6*time.Minute, "capacity: time for the whole scenario (micro-benchmarks, quiet wait, steps); steps that would not fit are skipped")
	flag.StringVar(&capOpt.ours, "capacity-steps", "25,50,75,100,125,150,200,250,300,400", "capacity: concurrent calls per step on our server, ascending; it stops at the first step that does not hold")
	flag.StringVar(&capOpt.peer, "peer-steps", "5,10,15,20,30,40,60,80", "capacity: the same on the aiortc peer")
	flag.Float64Var(&capOpt.oursRamp, "capacity-ramp", 25, "capacity: new calls per second on our server")
	flag.Float64Var(&capOpt.peerRamp, "peer-ramp", 10, "capacity: new calls per second on the aiortc peer")
	flag.IntVar(&capOpt.oursIdle, "capacity-idle", 100, "capacity: idle calls for the RSS-per-idle-call step on our server")
	flag.IntVar(&capOpt.peerIdle, "peer-idle", 20, "capacity: idle calls on the aiortc peer")
	flag.StringVar(&capOpt.peerPath, "peer-script", "bench/peer/server.py", "capacity: the aiortc peer server (run with /usr/bin/python3; empty skips the peer)")
	flag.DurationVar(&capOpt.quietWait, "capacity-quiet-wait", 45*time.Second, "capacity: wait up to this long (part of the budget) for other processes to leave the CPU before the steps")
}

// runScenarios runs what -only selects.
func runScenarios(ctx context.Context, c config) error {
	switch capOpt.only {
	case "", "dialogue", "capacity":
	default:
		return fmt.Errorf("-only %q: want dialogue or capacity", capOpt.only)
	}
	if capOpt.only != "capacity" {
		if err := run(ctx, c); err != nil {
			return err
		}
	}
	if capOpt.only != "dialogue" {
		return runCapacity(ctx, c)
	}
	return nil
}

// ---- steps ----

type capStep struct {
	calls   int
	idle    bool
	res     *callbot.LoadResult
	err     error
	holds   bool
	why     string
	others  float64 // CPU cores of other processes during the hold
	rerun   bool    // a disturbed first attempt was repeated
	skipped string  // why the step did not run
}

// judge decides whether an active step holds.
func judge(r *callbot.LoadResult) (bool, string) {
	var why []string
	if r.CallsFailed > 0 {
		why = append(why, fmt.Sprintf("%d calls failed", r.CallsFailed))
	}
	switch {
	case r.Turns == 0:
		why = append(why, "no turns")
	case float64(r.Turns-r.TurnsAnswered) > holdMaxNoReply*float64(r.Turns):
		why = append(why, fmt.Sprintf("%d of %d turns without reply", r.Turns-r.TurnsAnswered, r.Turns))
	}
	if r.Audio.GapFraction > holdMaxGap {
		why = append(why, fmt.Sprintf("gaps %.1f %%", 100*r.Audio.GapFraction))
	}
	if r.Audio.LateFraction > holdMaxGap {
		why = append(why, fmt.Sprintf("late %.1f %%", 100*r.Audio.LateFraction))
	}
	if r.LatencyMS.P95 > holdMaxP95 {
		why = append(why, fmt.Sprintf("p95 %.0f ms", r.LatencyMS.P95))
	}
	return len(why) == 0, strings.Join(why, ", ")
}

// target is one server under test.
type target struct {
	name     string
	srv      *server
	pid      int
	ramp     float64
	steps    []int
	idle     int
	startRSS int64 // RSS right after start, before any call
	deadline time.Time
	results  []*capStep
	idleStep *capStep
	profile  []byte // CPU profile of the highest step (ours)
	profStep int
}

func (t *target) best() *capStep {
	var b *capStep
	for _, s := range t.results {
		if s.holds && (b == nil || s.calls > b.calls) {
			b = s
		}
	}
	return b
}

func (t *target) highest() *capStep {
	var h *capStep
	for _, s := range t.results {
		if s.res != nil && (h == nil || s.calls > h.calls) {
			h = s
		}
	}
	return h
}

// stepTime estimates one step: ramp, set-up, hold, hang-up.
func stepTime(calls int, ramp float64) time.Duration {
	return time.Duration(float64(calls)/ramp*float64(time.Second)) + capOpt.hold + 8*time.Second
}

func (t *target) runStep(ctx context.Context, calls int, idle bool, utt clip, profile bool) *capStep {
	st := &capStep{calls: calls, idle: idle}
	if d := stepTime(calls, t.ramp); time.Now().Add(d).After(t.deadline) {
		st.skipped = "time budget"
		return st
	}
	select {
	case <-t.srv.exited:
		st.err = errors.New("the server exited")
		return st
	default:
	}
	what := "active"
	if idle {
		what = "idle"
	}
	logf("capacity: %s: %d %s calls…", t.name, calls, what)
	var prof chan []byte
	if profile {
		prof = make(chan []byte, 1)
		go func() { prof <- t.cpuProfile(ctx, calls) }()
	}
	opt := callbot.LoadOptions{
		Server: t.srv.base, Calls: calls, Ramp: t.ramp, Duration: capOpt.hold,
		Idle: idle, TurnTimeout: 5 * time.Second, ServerPID: t.pid, Seed: uint64(calls), Log: zerolog.Nop(),
	}
	if !idle {
		opt.Utterance, opt.AudioRate = utt.pcm, utt.rate
	}
	st.res, st.err = callbot.RunLoad(ctx, opt)
	if prof != nil {
		if p := <-prof; len(p) > 0 {
			t.profile, t.profStep = p, calls
		}
	}
	if st.err != nil {
		return st
	}
	r := st.res
	st.others = max(0, r.MachineCPUCores-r.Server.CPUCores-r.BotCPUCores)
	if idle {
		st.holds = r.CallsFailed == 0
		if !st.holds {
			st.why = fmt.Sprintf("%d calls failed", r.CallsFailed)
		}
	} else {
		st.holds, st.why = judge(r)
	}
	logf("capacity: %s: %d calls: ok %d, failed %d, turns %d/%d, p95 %.0f ms, gaps %.2f %%, late %.2f %%, server %.2f cores, RSS %.0f MiB, bot %.2f, others %.2f cores → %s",
		t.name, calls, r.CallsOK, r.CallsFailed, r.TurnsAnswered, r.Turns, r.LatencyMS.P95, 100*r.Audio.GapFraction, 100*r.Audio.LateFraction,
		r.Server.CPUCores, float64(r.Server.RSSBytes)/(1<<20), r.BotCPUCores, st.others, holdsWord(st))
	return st
}

func holdsWord(s *capStep) string {
	if s.holds {
		return "holds"
	}
	return "does not hold: " + s.why
}

// cpuProfile takes a CPU profile of our server during the hold of a step.
func (t *target) cpuProfile(ctx context.Context, calls int) []byte {
	wait := time.Duration(float64(calls)/t.ramp*float64(time.Second)) + 3*time.Second
	secs := max(5, int((capOpt.hold-6*time.Second)/time.Second))
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, time.Duration(secs+15)*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", t.srv.base, secs), nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		logf("capacity: profile: %v", err)
		return nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		logf("capacity: profile: %s %v", resp.Status, err)
		return nil
	}
	return b
}

// run measures the idle step, then the active steps until one does not
// hold. A step that does not hold is run once more (the load generator
// shares the machine, so results near the limit are noisy) and the second
// attempt counts.
func (t *target) run(ctx context.Context, utt clip, profile bool) {
	if t.idle > 0 {
		t.idleStep = t.runStep(ctx, t.idle, true, utt, false)
		time.Sleep(2 * time.Second)
	}
	for _, n := range t.steps {
		if ctx.Err() != nil {
			break
		}
		st := t.runStep(ctx, n, false, utt, profile)
		if st.err == nil && st.skipped == "" && !st.holds {
			logf("capacity: %s: %d calls did not hold (other processes took %.2f cores): once more", t.name, n, st.others)
			time.Sleep(2 * time.Second)
			again := t.runStep(ctx, n, false, utt, profile)
			if again.skipped == "" {
				again.rerun = true
				st = again
			}
		}
		t.results = append(t.results, st)
		if st.skipped != "" || st.err != nil || !st.holds {
			break
		}
		time.Sleep(2 * time.Second)
	}
}

// ---- processes ----

// startChild runs argv (a server that answers GET /healthz at base) as a
// child process that dies with us, and waits until it is healthy.
func startChild(ctx context.Context, argv []string, base string) (*server, error) {
	s := &server{base: base, logs: &tailBuffer{max: 256 << 10}, exited: make(chan struct{})}
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", argv[0], err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	hc := &http.Client{Timeout: time.Second}
	deadline := time.NewTimer(healthTimeout)
	defer deadline.Stop()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("%s exited during start-up (%v): %s", argv[0], s.cmd.ProcessState, s.logs.String())
		case <-deadline.C:
			s.stop()
			return nil, fmt.Errorf("%s not healthy after %v: %s", argv[0], healthTimeout, s.logs.String())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-poll.C:
			resp, err := hc.Get(base + "/healthz")
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				hc.CloseIdleConnections()
				return s, nil
			}
		}
	}
}

// serverFlags returns the flags for our server: the canned pipeline, no
// call cap in the way, pprof on, no per-address limits (all load comes from
// 127.0.0.1), no idle timeout and no transcripts.
func serverFlags(bin, addr string) []string {
	return []string{bin, "-addr", addr, "-log-format", "json", "-log-level", "warn",
		"-pipeline", "canned", "-max-calls", "2000", "-pprof",
		"-max-calls-per-ip=0", "-rate-limit=0", "-data-dir=", "-idle-timeout=0"}
}

// rssOf reads a process's resident set size.
func rssOf(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseInt(f[1], 10, 64)
	return n * int64(os.Getpagesize())
}

// busyCores measures how many cores the machine keeps busy over d.
func busyCores(d time.Duration) float64 {
	read := func() (busy, total float64) {
		b, err := os.ReadFile("/proc/stat")
		if err != nil {
			return 0, 0
		}
		line, _, _ := strings.Cut(string(b), "\n")
		for i, v := range strings.Fields(line)[1:] {
			n, _ := strconv.ParseFloat(v, 64)
			if i >= 8 {
				break
			}
			total += n
			if i != 3 && i != 4 {
				busy += n
			}
		}
		return busy, total
	}
	b0, t0 := read()
	time.Sleep(d)
	b1, t1 := read()
	if t1 <= t0 {
		return 0
	}
	return (b1 - b0) / (t1 - t0) * float64(runtime.NumCPU())
}

// waitQuiet waits up to max for other processes to leave the CPU (under
// 0.3 busy cores) and returns what it saw last.
func waitQuiet(ctx context.Context, limit time.Duration) float64 {
	deadline := time.Now().Add(limit)
	for {
		b := busyCores(3 * time.Second)
		if b < disturbedCores || time.Now().After(deadline) || ctx.Err() != nil {
			return b
		}
		logf("capacity: the machine is busy (%.2f cores): waiting", b)
	}
}

// ---- the scenario ----

type capReport struct {
	started, ended time.Time
	load0, load1   string
	busyBefore     float64
	ours, peer     *target
	peerErr        error
	micro          []microRow
	microErr       error
	microCmd       string
	pprofTop       string
	serverArgs     []string
	peerArgs       []string
	warnings       []string
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

func runCapacity(ctx context.Context, c config) error {
	commit := gitCommit(ctx) // at the start: the tree may move during the run
	oursSteps, err := parseSteps(capOpt.ours)
	if err != nil {
		return err
	}
	peerSteps, err := parseSteps(capOpt.peer)
	if err != nil {
		return err
	}
	bin, err := filepath.Abs(c.serverBin)
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		return fmt.Errorf("espeak-ng is required (scripts/deps.sh installs it): %w", err)
	}
	rep := &capReport{started: time.Now(), load0: loadAvg()}
	budgetEnd := rep.started.Add(capOpt.budget)
	// Steps end by budgetEnd; the margin covers a step's overrun and the
	// peer's start.
	ctx, cancel := context.WithDeadline(ctx, budgetEnd.Add(2*time.Minute))
	defer cancel()
	tmp, err := os.MkdirTemp("", "duplex-capacity-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	clips := &clipCache{dir: tmp}
	utt, err := clips.get(ctx, "en-us", capacityUtterance)
	if err != nil {
		return err
	}

	logf("capacity: Go micro-benchmarks…")
	rep.micro, rep.microCmd, rep.microErr = runMicro(ctx)
	if rep.microErr != nil {
		logf("capacity: micro-benchmarks: %v", rep.microErr)
	}

	rep.busyBefore = waitQuiet(ctx, capOpt.quietWait)
	start := time.Now()

	// Ours.
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	rep.serverArgs = serverFlags(bin, addr)
	srv, err := startChild(ctx, rep.serverArgs, "http://"+addr)
	if err != nil {
		return err
	}
	ours := &target{name: "duplex", srv: srv, pid: srv.cmd.Process.Pid, ramp: capOpt.oursRamp, steps: oursSteps, idle: capOpt.oursIdle}
	ours.startRSS = rssOf(ours.pid)
	// Our share of the budget: 55 %, the peer (smaller steps) the rest.
	ours.deadline = start.Add(budgetEnd.Sub(start) * 55 / 100)
	if capOpt.peerPath == "" {
		ours.deadline = budgetEnd
	}
	rep.ours = ours
	ours.run(ctx, utt, true)
	srv.stop()
	rep.warnings = srv.warnings()
	if ours.profile != nil {
		rep.pprofTop = pprofTop(ctx, bin, ours.profile, tmp)
	}

	// The aiortc peer.
	if capOpt.peerPath != "" {
		rep.peerErr = func() error {
			if err := peerDeps(ctx); err != nil {
				return err
			}
			reply := filepath.Join(tmp, "peer-reply.wav")
			rc, err := clips.get(ctx, "en-us", capacityReply)
			if err != nil {
				return err
			}
			if err := wav.WriteFile(reply, rc.pcm, rc.rate); err != nil {
				return err
			}
			paddr, err := freeAddr()
			if err != nil {
				return err
			}
			script, err := filepath.Abs(capOpt.peerPath)
			if err != nil {
				return err
			}
			rep.peerArgs = []string{"/usr/bin/python3", "-W", "ignore::DeprecationWarning", script, "--addr", paddr, "--reply", reply}
			psrv, err := startChild(ctx, rep.peerArgs, "http://"+paddr)
			if err != nil {
				return err
			}
			defer psrv.stop()
			peer := &target{name: "aiortc", srv: psrv, pid: psrv.cmd.Process.Pid, ramp: capOpt.peerRamp, steps: peerSteps, idle: capOpt.peerIdle, deadline: budgetEnd}
			peer.startRSS = rssOf(peer.pid)
			rep.peer = peer
			peer.run(ctx, utt, false)
			return nil
		}()
		if rep.peerErr != nil {
			logf("capacity: aiortc peer: %v", rep.peerErr)
		}
	}
	rep.ended = time.Now()
	rep.load1 = loadAvg()
	md := rep.markdown(c, commit)
	fmt.Print(md)
	if c.out == "" {
		return nil
	}
	if err := benchmd.WriteSection(c.out, "capacity-bench", "", md); err != nil {
		return err
	}
	logf("wrote the capacity-bench section of %s", c.out)
	return nil
}

// peerDeps makes sure Debian's aiortc imports under /usr/bin/python3,
// running bench/peer/deps.sh (apt-get) if it does not.
func peerDeps(ctx context.Context) error {
	check := func() error {
		return exec.CommandContext(ctx, "/usr/bin/python3", "-c", "import aiortc, av").Run()
	}
	if check() == nil {
		return nil
	}
	script := filepath.Join(filepath.Dir(capOpt.peerPath), "deps.sh")
	logf("capacity: installing the aiortc peer's packages (%s)…", script)
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", script, err)
	}
	return check()
}

// pprofTop renders the top of a CPU profile with `go tool pprof -top`.
func pprofTop(ctx context.Context, bin string, profile []byte, dir string) string {
	path := filepath.Join(dir, "cpu.pprof")
	if err := os.WriteFile(path, profile, 0o644); err != nil {
		return ""
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	pctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var keep []string
	for _, mode := range [][]string{{"-top", "-nodecount=15"}, {"-top", "-cum", "-nodecount=30"}} {
		args := append([]string{"tool", "pprof"}, mode...)
		out, err := exec.CommandContext(pctx, goBin, append(args, bin, path)...).CombinedOutput()
		if err != nil {
			logf("capacity: go tool pprof: %v: %s", err, out)
			return ""
		}
		keep = append(keep, "$ go tool pprof "+strings.Join(mode, " "))
		// Keep the summary lines and the table.
		for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") || strings.HasPrefix(l, "Type:") || strings.HasPrefix(l, "Time:") {
				continue
			}
			keep = append(keep, l)
		}
		keep = append(keep, "")
	}
	return strings.TrimSpace(strings.Join(keep, "\n"))
}

// profileParts are the functions named in the one-line summary of the
// profile, as (label, function) in the order shown.
var profileParts = [][2]string{
	{"Opus encode (replies)", "media.(*OpusEncoder).Encode"},
	{"receive path (reorder, Opus decode, 48→16 kHz)", "media.(*AudioReceiver).Push"},
	{"of which Opus decode", "media.(*OpusDecoder).Decode"},
	{"of which resampling", "media.(*Resampler).Process"},
	{"VAD and turn detector", "dialogue.(*VADDetector).Push"},
	{"SRTP", "srtp/v3.(*Context).decryptRTP"},
	{"SRTP encrypt", "srtp/v3.(*Context).encryptRTP"},
	{"syscalls", "internal/runtime/syscall/linux.Syscall6"},
	{"scheduler", "runtime.schedule"},
	{"GC", "runtime.gcBgMarkWorker"},
}

// profileSummary reads the cumulative shares of profileParts from the
// output of pprof -top -cum.
func profileSummary(top string) string {
	var out []string
	for _, part := range profileParts {
		for _, l := range strings.Split(top, "\n") {
			f := strings.Fields(l)
			if len(f) < 6 || !strings.HasSuffix(f[5], part[1]) {
				continue
			}
			out = append(out, fmt.Sprintf("%s %s", part[0], f[4]))
			break
		}
	}
	return strings.Join(out, ", ")
}

var profileTotal = regexp.MustCompile(`Duration: ([0-9.]+)(ms|s|m), Total samples = ([0-9.]+)(ms|s)`)

// encodeCost estimates the server's Opus encode time per reply frame from
// the profile of a step: encode seconds in the profile ÷ (reply frames
// received per second × profile duration). The frames are those the
// callers received during the hold, so this is an estimate.
func encodeCost(top string, framesPerSec float64) (float64, bool) {
	m := profileTotal.FindStringSubmatch(top)
	if m == nil || framesPerSec <= 0 {
		return 0, false
	}
	dur, err := time.ParseDuration(m[1] + m[2])
	if err != nil || dur <= 0 {
		return 0, false
	}
	for _, l := range strings.Split(top, "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || !strings.HasSuffix(f[5], "media.(*OpusEncoder).Encode") {
			continue
		}
		enc, err := time.ParseDuration(f[3])
		if err != nil {
			return 0, false
		}
		return enc.Seconds() / (framesPerSec * dur.Seconds()) * 1e6, true
	}
	return 0, false
}

// ---- micro-benchmarks ----

type microBench struct {
	name, what, unit string
	perCall          bool // a per-20-ms-frame cost every call pays 50 times a second
}

var microBenches = []microBench{
	{"BenchmarkOpusDecode", "Opus decode (48 kHz mono)", "20 ms frame", true},
	{"BenchmarkResample48to16", "resample 48 → 16 kHz", "20 ms frame", true},
	{"BenchmarkAudioReceiverPush", "receive path: RTP → decode → resample → frame", "packet", true},
	{"BenchmarkSpectralVAD/16kHz", "spectral VAD classifier (16 kHz)", "20 ms frame", true},
	{"BenchmarkDetectorPush", "turn detector (VAD + turn state)", "20 ms frame", true},
	{"BenchmarkOpusEncode", "Opus encode (48 kHz mono, 32 kbps VoIP)", "20 ms frame", true},
	{"BenchmarkVP8PushInterFrames", "VP8 receive, inter-frame packet (assembly only)", "packet", false},
	{"BenchmarkSnapshotDecode720p", "VP8 720p key frame decode", "key frame", false},
	{"BenchmarkSnapshotPipeline720p", "VP8 720p key frame → ≤1200×800 JPEG", "snapshot", false},
}

type microRow struct {
	microBench
	nsOp, bytesOp, allocsOp float64
	found                   bool
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// runMicro runs the benchmarks of media/ and vad/ listed in microBenches.
func runMicro(ctx context.Context) ([]microRow, string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	top := map[string]bool{}
	var names []string
	for _, b := range microBenches {
		n, _, _ := strings.Cut(b.name, "/")
		if !top[n] {
			top[n] = true
			names = append(names, n)
		}
	}
	pattern := "^(" + strings.Join(names, "|") + ")$"
	args := []string{"test", "-run", "^$", "-bench", pattern, "-benchmem", "-count", "1", "./media/", "./vad/"}
	mctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(mctx, goBin, args...).CombinedOutput()
	cmdline := "go " + strings.Join(args, " ")
	rows := make([]microRow, len(microBenches))
	for i, b := range microBenches {
		rows[i].microBench = b
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		for i := range rows {
			if rows[i].name != m[1] {
				continue
			}
			f := strings.Fields(m[2])
			for k := 0; k+1 < len(f); k += 2 {
				v, perr := strconv.ParseFloat(f[k], 64)
				if perr != nil {
					continue
				}
				switch f[k+1] {
				case "ns/op":
					rows[i].nsOp, rows[i].found = v, true
				case "B/op":
					rows[i].bytesOp = v
				case "allocs/op":
					rows[i].allocsOp = v
				}
			}
		}
	}
	if err != nil {
		return rows, cmdline, fmt.Errorf("%s: %v: %s", cmdline, err, lastLines(string(out), 10))
	}
	return rows, cmdline, nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// ---- report ----

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func (r *capReport) markdown(c config, commit string) string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	ours, peer := r.ours, r.peer

	p("## Capacity: concurrent calls per core, side by side with aiortc (`make bench`)\n\n")
	p("Measured %s by `go run ./cmd/bench -server-bin %s -only capacity` (took %s) at commit `%s`. ",
		r.started.UTC().Format("2006-01-02 15:04 UTC"), c.serverBin, r.ended.Sub(r.started).Round(time.Second), commit)
	p("Machine: %s, %d logical cores, %s; load average (1 / 5 / 15 min) %s at the start, %s at the end; before the first step the machine was %.2f cores busy (other jobs share this VM: the \"others\" column below is what they took during each step). ",
		benchmd.CPUModel(), runtime.NumCPU(), runtime.Version(), r.load0, r.load1, r.busyBefore)
	p("The load generator (callbot load mode, `internal/callbot/load.go`, in the bench process) runs on the same %d cores as the server under test.\n\n", runtime.NumCPU())

	p("**Method.** Our server: `%s` (the canned pipeline: spectral VAD turn detection on every caller frame, and at the end of each turn one cached espeak-ng reply, \"%s\", synthesized once at start and Opus-encoded per call by the paced writer; no STT/LLM/TTS during calls, so codec, VAD, pacing, SRTP and signaling are what is measured). ", shellJoin(r.serverArgs), capacityReply)
	p("The peer: `bench/peer/server.py` on Debian's aiortc 1.4 (aiortc decodes the caller's Opus; an energy VAD, -40 dBFS, 100 ms to start, 300 ms of silence to end; the same reply as a WAV, resampled to 48 kHz once, played on the call's track, which aiortc encodes and paces, sending silence between replies). ")
	p("Each step: N callers (pion WebRTC over loopback, Opus 20 ms frames pre-encoded once, RTCP reports as their only interceptor) join at %g calls/s (ours) or %g calls/s (aiortc); once all are connected the hold lasts %s: each caller says \"%s\" (espeak-ng, 1 s), sends silence until the reply audio has been quiet for 800 ms (or 5 s without reply), pauses 1–2 s (seeded), and speaks again; then all hang up. ",
		capOpt.oursRamp, capOpt.peerRamp, capOpt.hold, capacityUtterance)
	p("Figures are from the hold only. Turn latency: last speech frame sent → first reply frame received above -45 dBFS (from audio, no events needed); a turn spoken while the previous reply was still arriving (it stalled for 800 ms) is \"talked over\" and has no latency. Reply audio = voiced frames and the RTP-contiguous frames up to 400 ms after one; a **gap** is an arrival more than 60 ms after the previous packet of the same reply; a **late** frame missed the deadline of a 60 ms jitter buffer (first frame of the reply + RTP offset + 60 ms; the buffer re-anchors after a miss). ")
	p("A step **holds** when no call failed, ≤ 1 %% of turns went unanswered, gaps ≤ 1 %% and late frames ≤ 1 %% of reply frames, and turn latency p95 ≤ 1 s; a step that does not hold is run once more and the second attempt counts (the load generator shares the machine, so results near the limit are noisy); the steps stop at the first that does not hold. ")
	p("Server CPU = its utime + stime from `/proc/PID/stat` over the hold ÷ hold time (cores); RSS = mean of `/proc/PID/statm` samples (1 s) in the hold. Per call: CPU ÷ N; RSS − the server's RSS right after start, ÷ N. Idle calls: N callers connected, sending silence, same sampling.\n\n")

	ob, pb := (*capStep)(nil), (*capStep)(nil)
	if ours != nil {
		ob = ours.best()
	}
	if peer != nil {
		pb = peer.best()
	}
	p("| figure | target | Duplex (canned) | aiortc peer | |\n|---|---:|---:|---:|---|\n")
	nCalls := func(s *capStep) string {
		if s == nil {
			return "none"
		}
		return fmt.Sprintf("%d calls", s.calls)
	}
	oursN, peerN := 0, 0
	if ob != nil {
		oursN = ob.calls
	}
	if pb != nil {
		peerN = pb.calls
	}
	capNote := func(t *target) string {
		if t == nil {
			return ""
		}
		h := t.highest()
		if h == nil {
			return ""
		}
		if b := t.best(); b != nil && b.calls == h.calls {
			switch last := t.results[len(t.results)-1]; {
			case last.skipped != "":
				return fmt.Sprintf(" (%d not run: %s)", last.calls, last.skipped)
			case last.err != nil:
				return fmt.Sprintf(" (%d: error)", last.calls)
			case b.calls == t.steps[len(t.steps)-1]:
				return " (every step held; the largest tried)"
			}
			return ""
		}
		return fmt.Sprintf(" (%d: %s)", h.calls, h.why)
	}
	p("| largest N that holds | ≥ %d calls | %s%s | %s%s | %s |\n", targetCalls, nCalls(ob), capNote(ours), nCalls(pb), capNote(peer), verdictGE(float64(oursN), targetCalls, ours != nil))
	ratio := 0.0
	if peerN > 0 {
		ratio = float64(oursN) / float64(peerN)
	}
	ratioText := "—"
	if peerN > 0 {
		ratioText = fmt.Sprintf("%.1f×", ratio)
	}
	p("| ours ÷ aiortc (largest N that holds) | ≥ %.0f× | %s | | %s |\n", targetRatio, ratioText, verdictGE(ratio, targetRatio, peerN > 0))
	cpuCell := func(s *capStep) string {
		if s == nil || s.res == nil {
			return "—"
		}
		return fmt.Sprintf("%.2f %% of a core (%.0f calls per core)", s.res.Server.CPUPerCallPct, 100/math.Max(s.res.Server.CPUPerCallPct, 1e-9))
	}
	p("| server CPU per active call, at that N | | %s | %s | |\n", cpuCell(ob), cpuCell(pb))
	rssCell := func(t *target, s *capStep) string {
		if t == nil || s == nil || s.res == nil || s.calls == 0 {
			return "—"
		}
		return fmt.Sprintf("%.0f KiB", float64(s.res.Server.RSSBytes-t.startRSS)/float64(s.calls)/1024)
	}
	p("| server RSS per active call, at that N | | %s | %s | |\n", rssCell(ours, ob), rssCell(peer, pb))
	var oi, pi *capStep
	if ours != nil {
		oi = ours.idleStep
	}
	if peer != nil {
		pi = peer.idleStep
	}
	idleRSS := func(t *target, s *capStep) (string, float64, bool) {
		if t == nil || s == nil || s.res == nil || s.calls == 0 {
			return "—", 0, false
		}
		v := float64(s.res.Server.RSSBytes-t.startRSS) / float64(s.calls)
		return fmt.Sprintf("%.0f KiB (%d calls)", v/1024, s.calls), v, true
	}
	oiText, oiV, oiOK := idleRSS(ours, oi)
	piText, _, _ := idleRSS(peer, pi)
	p("| server RSS per idle call | ≤ %d MiB | %s | %s | %s |\n", targetIdleRSS>>20, oiText, piText, verdict(oiV, targetIdleRSS, oiOK))
	idleCPU := func(s *capStep) string {
		if s == nil || s.res == nil {
			return "—"
		}
		return fmt.Sprintf("%.2f %% of a core", s.res.Server.CPUPerCallPct)
	}
	p("| server CPU per idle call | | %s | %s | |\n\n", idleCPU(oi), idleCPU(pi))

	missed := oursN < targetCalls || peerN == 0 || ratio < targetRatio || !oiOK || oiV > targetIdleRSS
	if missed {
		p("**Missed targets, plainly:**")
		if oursN < targetCalls {
			p(" fewer than %d concurrent calls held on our server (%d);", targetCalls, oursN)
		}
		if peerN > 0 && ratio < targetRatio {
			p(" ours ÷ aiortc is %.1f×, not %.0f×;", ratio, targetRatio)
		}
		if peerN == 0 {
			p(" no aiortc figure to compare with;")
		}
		if oiOK && oiV > targetIdleRSS {
			p(" an idle call costs %.1f MiB of RSS, more than %d MiB;", oiV/(1<<20), targetIdleRSS>>20)
		}
		p(" see the steps and the CPU profile below.")
		if sum := profileSummary(r.pprofTop); sum != "" {
			p(" Where our server's CPU went in the %d-call step (cumulative share of its profile): %s.", ours.profStep, sum)
		}
		p("\n\n")
	}

	for _, t := range []*target{ours, peer} {
		if t == nil {
			continue
		}
		title := "Duplex, `-pipeline canned`"
		if t.name == "aiortc" {
			title = "aiortc peer (`bench/peer/server.py`)"
		}
		p("### %s\n\n", title)
		p("RSS right after start: %.1f MiB.\n\n", mib(t.startRSS))
		p("| calls | set-up p95 | turns answered | latency p50 / p95 / max | reply frames | gaps > 60 ms | late | lost | server CPU | CPU / call | RSS | RSS / call | callbot CPU | others | holds |\n")
		p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
		rows := append([]*capStep{}, t.results...)
		if t.idleStep != nil {
			rows = append([]*capStep{t.idleStep}, rows...)
		}
		for _, s := range rows {
			label := fmt.Sprintf("%d", s.calls)
			if s.idle {
				label += " idle"
			}
			switch {
			case s.skipped != "":
				p("| %s | | | | | | | | | | | | | | not run: %s |\n", label, s.skipped)
				continue
			case s.err != nil:
				p("| %s | | | | | | | | | | | | | | error: %s |\n", label, mdCell(s.err.Error(), 120))
				continue
			}
			x := s.res
			a := x.Audio
			hold := "yes"
			if !s.holds {
				hold = "**no**: " + s.why
			}
			if s.rerun {
				hold += " (second attempt)"
			}
			turns, lat, frames, gaps, late, lost := "—", "—", "—", "—", "—", "—"
			if !s.idle {
				turns = fmt.Sprintf("%d / %d", x.TurnsAnswered, x.Turns)
				if x.TurnsTalkedOver > 0 {
					turns += fmt.Sprintf(" (%d talked over)", x.TurnsTalkedOver)
				}
				lat = fmt.Sprintf("%.0f / %.0f / %.0f ms", x.LatencyMS.P50, x.LatencyMS.P95, x.LatencyMS.Max)
				frames = fmt.Sprintf("%d", a.Frames)
				gaps = fmt.Sprintf("%d (%.2f %%)", a.Gaps, 100*a.GapFraction)
				late = fmt.Sprintf("%d (%.2f %%)", a.LateFrames, 100*a.LateFraction)
				lost = fmt.Sprintf("%d", a.Lost)
			}
			rssPer := float64(x.Server.RSSBytes-t.startRSS) / float64(s.calls) / 1024
			p("| %s | %.0f ms | %s | %s | %s | %s | %s | %s | %.2f cores | %.2f %% | %.0f MiB | %.0f KiB | %.2f cores | %.2f cores | %s |\n",
				label, x.SetupMS.P95, turns, lat, frames, gaps, late, lost, x.Server.CPUCores, x.Server.CPUPerCallPct, mib(x.Server.RSSBytes), rssPer, x.BotCPUCores, s.others, hold)
			if len(x.Errors) > 0 {
				p("| | | | | | | | | | | | | | | errors: %s |\n", mdCell(strings.Join(x.Errors, "; "), 300))
			}
		}
		p("\n")
	}
	if r.peerErr != nil {
		p("The aiortc peer could not be measured: %s\n\n", mdCell(r.peerErr.Error(), 300))
	}
	if r.pprofTop != "" {
		p("<details><summary>Our server's CPU profile during the %d-call step (<code>go tool pprof -top</code>, by flat and by cumulative time; <code>runtime.cgocall</code> is libopus)</summary>\n\n```\n%s\n```\n\n</details>\n\n", ours.profStep, r.pprofTop)
	}
	if n := len(r.warnings); n > 0 {
		p("Our server logged %d line(s) at warn level or above; the first:\n\n```\n%s\n```\n\n", n, strings.Join(first(r.warnings, 5), "\n"))
	}

	p("### Go micro-benchmarks of the per-call media path\n\n")
	p("`%s` (one run, `-benchtime` 1 s, on the same shared machine). Per call: the frame cost × 50 frames per second, as a share of one core; a call pays decode, receive, VAD and detector on every caller frame, encode on every reply frame.\n\n", r.microCmd)
	p("| benchmark | what | per | ns/op | allocs/op | B/op | per call (50/s) |\n|---|---|---|---:|---:|---:|---:|\n")
	for _, m := range r.micro {
		if !m.found {
			p("| `%s` | %s | %s | not run | | | |\n", m.name, m.what, m.unit)
			continue
		}
		per := ""
		if m.perCall {
			per = fmt.Sprintf("%.2f %% of a core", m.nsOp*50/1e9*100)
		}
		p("| `%s` | %s | %s | %.0f | %.0f | %.0f | %s |\n", m.name, m.what, m.unit, m.nsOp, m.allocsOp, m.bytesOp, per)
	}
	if r.microErr != nil {
		p("\n%s\n", mdCell(r.microErr.Error(), 400))
	}
	if ours != nil {
		for _, s := range ours.results {
			if s.calls != ours.profStep || s.res == nil || s.res.HoldS <= 0 {
				continue
			}
			if us, ok := encodeCost(r.pprofTop, float64(s.res.Audio.Frames)/s.res.HoldS); ok {
				ratio := ""
				if ns := microNs(r.micro, "BenchmarkOpusEncode"); !math.IsNaN(ns) {
					ratio = fmt.Sprintf(", %.1f× the benchmark", us*1000/ns)
				}
				p("\n`BenchmarkOpusEncode` encodes a 440 Hz tone. Reply speech costs more: in the %d-call step our server spent about %.0f µs per reply frame in Opus encode (its profile's encode time ÷ the reply frames the callers received per second ÷ the profile's duration)%s; at that cost a call that is replying half the time pays %.2f %% of a core for encoding alone.\n",
					s.calls, us, ratio, us*50/1e6*100/2)
			}
		}
	}
	p("\n")
	return w.String()
}

// microNs returns a benchmark's ns/op, NaN if it did not run.
func microNs(rows []microRow, name string) float64 {
	for _, m := range rows {
		if m.name == name && m.found {
			return m.nsOp
		}
	}
	return math.NaN()
}

func verdictGE(v, target float64, have bool) string {
	switch {
	case !have:
		return "no data"
	case v >= target:
		return "met"
	default:
		return "**missed**"
	}
}

// shellJoin renders argv for the report, with the binary's base name and
// temporary paths shortened.
func shellJoin(argv []string) string {
	var out []string
	for i, a := range argv {
		switch {
		case i == 0:
			a = filepath.Base(a)
		case a == "" || strings.ContainsAny(a, " \t"):
			a = strconv.Quote(a)
		case strings.HasSuffix(a, "="):
			a += `""`
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}
