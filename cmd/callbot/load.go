package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/wav"
)

// loadFlags are the flags of load mode (-calls N > 0).
type loadFlags struct {
	calls              *int
	ramp               *float64
	duration           *time.Duration
	serverPID          *int
	idle               *bool
	pauseMin, pauseMax *time.Duration
	seed               *uint64
}

func addLoadFlags(fs *flag.FlagSet) loadFlags {
	return loadFlags{
		calls:     fs.Int("calls", 0, fmt.Sprintf("load mode: this many concurrent callers (1..%d), each speaking -audio in a loop with pauses; the server must be on this machine", callbot.MaxLoadCalls)),
		ramp:      fs.Float64("ramp", 5, "load mode: new calls per second"),
		duration:  fs.Duration("duration", 30*time.Second, fmt.Sprintf("load mode: how long all calls talk once every call is connected (at most %s)", callbot.MaxLoadDuration)),
		serverPID: fs.Int("server-pid", 0, "load mode: sample this server process's CPU and RSS from /proc (any server); 0 reads the server's /metrics"),
		idle:      fs.Bool("idle", false, "load mode: callers only send silence (the cost of quiet calls); -audio is not needed"),
		pauseMin:  fs.Duration("pause-min", time.Second, "load mode: shortest pause after a reply"),
		pauseMax:  fs.Duration("pause-max", 2*time.Second, "load mode: longest pause after a reply"),
		seed:      fs.Uint64("seed", 1, "load mode: seed of the pauses"),
	}
}

// commonFlags are the single-call flags load mode uses too.
type commonFlags struct {
	server, audio, token string
	asJSON, verbose      bool
	turnTimeout, timeout time.Duration
}

// runLoad is load mode. Unless -timeout is given, the run is bounded by
// its ramp, duration and a minute to spare.
func runLoad(fs *flag.FlagSet, lf loadFlags, cf commonFlags, stdout, stderr io.Writer) int {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range []string{"turns", "barge-in", "video", "record", "text", "wait"} {
		if set[name] {
			fmt.Fprintf(stderr, "callbot: -%s does not apply to load mode (-calls)\n", name)
			return 2
		}
	}
	if cf.audio == "" && !*lf.idle {
		fmt.Fprintln(stderr, "callbot: load mode needs -audio FILE.wav (what every caller says) or -idle")
		return 2
	}
	if *lf.ramp <= 0 || *lf.duration <= 0 {
		fmt.Fprintln(stderr, "callbot: -ramp and -duration must be positive")
		return 2
	}
	level := zerolog.WarnLevel
	if cf.verbose {
		level = zerolog.DebugLevel
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: stderr, TimeFormat: "15:04:05.000", NoColor: !isTerminal(stderr)}).Level(level).With().Timestamp().Logger()
	opt := callbot.LoadOptions{
		Server: cf.server, Token: cf.token,
		Calls: *lf.calls, Ramp: *lf.ramp, Duration: *lf.duration,
		Idle: *lf.idle, PauseMin: *lf.pauseMin, PauseMax: *lf.pauseMax,
		ServerPID: *lf.serverPID, Seed: *lf.seed, Log: log,
	}
	if set["turn-timeout"] {
		opt.TurnTimeout = cf.turnTimeout
	}
	if cf.audio != "" && !*lf.idle {
		pcm, rate, err := wav.ReadFile(cf.audio)
		if err != nil {
			fmt.Fprintf(stderr, "callbot: %v\n", err)
			return 2
		}
		opt.Utterance, opt.AudioRate = pcm, rate
	}
	timeout := cf.timeout
	if !set["timeout"] {
		timeout = time.Duration(float64(*lf.calls) / *lf.ramp * float64(time.Second))
		timeout += *lf.duration + time.Minute
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	res, err := callbot.RunLoad(ctx, opt)
	if err != nil {
		fmt.Fprintf(stderr, "callbot: %v\n", err)
		return 2
	}
	return finish(stdout, cf.asJSON, res, &res.Summary, `{"ok":false,"errors":["encoding the result failed"]}`,
		func() { printLoad(stdout, res) })
}

func printLoad(w io.Writer, r *callbot.LoadResult) {
	mode := ""
	if r.Idle {
		mode = " (idle)"
	}
	fmt.Fprintf(w, "load%s: %s: %d calls, %d ok, %d failed; ramp %.1f s, hold %.1f s\n", mode, status(r.Summary), r.Calls, r.CallsOK, r.CallsFailed, r.RampS, r.HoldS)
	fmt.Fprintf(w, "setup: p50 %.0f ms, p95 %.0f ms, max %.0f ms\n", r.SetupMS.P50, r.SetupMS.P95, r.SetupMS.Max)
	if !r.Idle {
		fmt.Fprintf(w, "turns: %d, answered %d (%d talked over); latency p50 %.0f ms, p95 %.0f ms, max %.0f ms\n", r.Turns, r.TurnsAnswered, r.TurnsTalkedOver, r.LatencyMS.P50, r.LatencyMS.P95, r.LatencyMS.Max)
		a := r.Audio
		fmt.Fprintf(w, "reply audio: %d frames, %d gaps > 60 ms (%.2f%%, longest %.0f ms), %d late (%.2f%%), %d lost\n",
			a.Frames, a.Gaps, 100*a.GapFraction, a.MaxGapMS, a.LateFrames, 100*a.LateFraction, a.Lost)
	}
	s := r.Server
	fmt.Fprintf(w, "server (%s): CPU %.2f cores (%.2f%% of a core per call), RSS %.1f MiB (base %.1f MiB, max %.1f MiB, %.0f KiB per call)\n",
		orDash(s.Source), s.CPUCores, s.CPUPerCallPct, mib(s.RSSBytes), mib(s.RSSBaseBytes), mib(s.RSSMaxBytes), float64(s.RSSPerCallBytes)/1024)
	if s.Error != "" {
		fmt.Fprintf(w, "server sampling: %s\n", s.Error)
	}
	fmt.Fprintf(w, "callbot itself: %.2f cores; the whole machine: %.2f cores busy\n", r.BotCPUCores, r.MachineCPUCores)
	printErrors(w, r.Summary)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
