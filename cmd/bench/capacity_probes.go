package main

// Probes of the capacity scenario: load steps against a server, the
// processes and machine measured, the CPU profile and micro-benchmarks.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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

	"github.com/duplex-ai/duplex/internal/callbot"
)

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
	if t.name == "duplex" {
		opt.VideoPath = capOpt.camera
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
	{"BenchmarkVideoReceive/idle/H264-720p", "camera receive, 720p H.264 frame (depacketize + decode)", "frame", false},
	{"BenchmarkVideoReceive/idle/VP8-720p", "camera receive, 720p VP8 frame (depacketize + decode)", "frame", false},
	{"BenchmarkVideoPicture/H264-720p", "720p H.264 frame → ≤1200×800 JPEG (decode + scale + JPEG)", "picture", false},
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
	args := []string{"test", "-run", "^$", "-bench", pattern, "-benchmem", "-count", "1", "./media/", "./media/video/", "./vad/"}
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
