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
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/duplex-ai/duplex/internal/wav"
)

// runScenarios runs what -only selects.
func runScenarios(ctx context.Context, c config) error {
	switch capOpt.only {
	case "", "dialogue", "capacity", "realtime", "echo", "models":
	default:
		return fmt.Errorf("-only %q: want dialogue, capacity, realtime, echo or models", capOpt.only)
	}
	switch capOpt.only {
	case "realtime":
		return runRealtime(ctx, c) // realtime.go
	case "echo":
		return runEcho(ctx, c) // echo.go
	case "models":
		return runModels(ctx, c) // models.go
	}
	if capOpt.only != "capacity" {
		if err := run(ctx, c); err != nil {
			return err
		}
	}
	if capOpt.only == "" {
		if err := runRealtime(ctx, c); err != nil {
			return err
		}
		if err := runEcho(ctx, c); err != nil {
			return err
		}
		if err := runModels(ctx, c); err != nil {
			return err
		}
	}
	if capOpt.only != "dialogue" {
		return runCapacity(ctx, c)
	}
	return nil
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
	rep := &capReport{started: time.Now(), load0: loadAvg(), camera: capOpt.camera}
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

	if capOpt.micro {
		logf("capacity: Go micro-benchmarks…")
		rep.micro, rep.microCmd, rep.microErr = runMicro(ctx)
	} else {
		rep.microErr = errors.New("skipped (-capacity-micro=false)")
	}
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
	rep.serverArgs = serverArgs(bin, addr)
	srv, err := startChild(ctx, rep.serverArgs, "http://"+addr)
	if err != nil {
		return err
	}
	ours := &target{name: "duplex", srv: srv, pid: srv.cmd.Process.Pid, ramp: capOpt.oursRamp, steps: oursSteps, idle: capOpt.oursIdle}
	ours.startRSS = rssOf(ours.pid)
	// Our share of the budget: 55 %, the peer (smaller steps) the rest.
	ours.deadline = start.Add(budgetEnd.Sub(start) * 55 / 100)
	if capOpt.peerPath == "" || capOpt.camera != "" {
		ours.deadline = budgetEnd
	}
	rep.ours = ours
	ours.run(ctx, utt, true)
	srv.stop()
	rep.warnings = srv.warnings()
	if ours.profile != nil {
		rep.pprofTop = pprofTop(ctx, bin, ours.profile, tmp)
	}

	// The aiortc peer; not with cameras on, where its callers would send
	// none and there is nothing to compare.
	if capOpt.peerPath != "" && capOpt.camera == "" {
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
	if capOpt.camera != "" {
		return publish(c, "capacity-camera-bench", rep.markdown(c, commit))
	}
	return publish(c, "capacity-bench", rep.markdown(c, commit))
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
