// Command bench measures the dialogue path end to end against a running
// server binary, and the dialogue engine's own overhead, and writes the
// figures into BENCHMARKS.md between the <!-- dialogue-bench:begin --> and
// <!-- dialogue-bench:end --> markers:
//
//   - A: one call of 20 spoken skill questions (5 espeak-ng voices) through
//     the offline engines: client turn latency, the server's breakdown from
//     turn.metrics, and how many answers came from the right skill;
//   - B: 20 calls, each interrupting "tell me a story" at a seeded random
//     offset: barge_in_stop_ms and whether the heard text is a prefix of
//     the generated story;
//   - R: one call of real recordings (the librivox sentences of
//     pocketsphinx-testdata and FSDD digit strings, each left out when its
//     folder is absent): the same client latency, beside A's;
//   - C: BenchmarkTurnOverhead of package dialogue (fake engines with fixed
//     delays), run as `go test` in a subprocess.
//
// Then the capacity scenario (capacity.go, its own section of the file):
// concurrent calls on `-pipeline canned` and on the aiortc peer in
// bench/peer, and the Go micro-benchmarks of the media path. -only
// dialogue or -only capacity runs one part.
//
// It builds nothing: the server binary is given with -server-bin and run as
// a child process on a free loopback port, killed at the end.
//
//	go run ./cmd/bench -server-bin bin/duplex [-out BENCHMARKS.md] [-seed N] [-v]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/duplex-ai/duplex/internal/benchmd"
)

const (
	// totalTimeout bounds the whole run.
	totalTimeout = 25 * time.Minute
	// healthTimeout bounds the server's start-up.
	healthTimeout = 20 * time.Second
	// stopTimeout: after SIGTERM, the server is killed if still running.
	stopTimeout = 15 * time.Second
)

type config struct {
	serverBin string
	out       string
	seed      uint64
	benchtime string
	verbose   bool
	fsdd      string // FSDD folder for R's digit strings
	librivox  string // read sentences for R
	scenarios string // the dialogue scenarios to run, of "CARB"
}

func main() {
	var c config
	flag.StringVar(&c.serverBin, "server-bin", "", "server binary to run (required; `make bench` builds bin/duplex)")
	flag.StringVar(&c.out, "out", "BENCHMARKS.md", "file to write the report section into (empty: print only)")
	flag.Uint64Var(&c.seed, "seed", 1, "seed of the barge-in offsets")
	flag.StringVar(&c.benchtime, "overhead-benchtime", "30x", "-benchtime of BenchmarkTurnOverhead")
	flag.BoolVar(&c.verbose, "v", false, "print every turn and trial")
	flag.StringVar(&c.fsdd, "fsdd", "../shared/corpus/fsdd", "FSDD folder (R's digit strings; absent: left out)")
	flag.StringVar(&c.librivox, "librivox", "/usr/share/pocketsphinx/test/data/librivox", "read sentences for R (absent: left out)")
	flag.StringVar(&c.scenarios, "scenarios", "CARB", "dialogue scenarios to run (AR: turn latency only; print with -out \"\")")
	flag.Parse()
	if c.serverBin == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: bench -server-bin PATH [-out BENCHMARKS.md] [-seed N] [-v]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := runScenarios(ctx, c) // run, and the capacity scenario (capacity.go)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	ctx, cancel := context.WithTimeout(ctx, totalTimeout)
	defer cancel()
	rep := &report{started: time.Now(), load0: loadAvg(), cpu: benchmd.CPUModel(), cores: runtime.NumCPU(), goVersion: runtime.Version()}
	rep.commit = gitCommit(ctx)
	bin, err := filepath.Abs(c.serverBin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("server binary: %w", err)
	}
	rep.serverBin = c.serverBin
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		return fmt.Errorf("espeak-ng is required (scripts/deps.sh installs it): %w", err)
	}
	tmp, err := os.MkdirTemp("", "duplex-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	clips := &clipCache{dir: tmp}

	if strings.Trim(c.scenarios, "CARB") != "" || c.scenarios == "" {
		return fmt.Errorf("-scenarios %q: want letters of CARB", c.scenarios)
	}
	if c.scenarios != "CARB" && c.out != "" {
		return fmt.Errorf("-scenarios %s writes no report section: add -out \"\"", c.scenarios)
	}
	if strings.Contains(c.scenarios, "C") {
		logf("C: BenchmarkTurnOverhead (-benchtime %s)…", c.benchtime)
		rep.loadC = loadAvg()
		rep.overhead, err = runOverhead(ctx, c.benchtime)
		if err != nil {
			return fmt.Errorf("overhead benchmark: %w", err)
		}
	}

	srv, err := startServer(ctx, bin)
	if err != nil {
		return err
	}
	defer srv.stop() // also on error paths; idempotent
	logf("server %s on %s", c.serverBin, srv.base)
	// failed prints what the server wrote (a crash's trace) with the error.
	failed := func(err error) error {
		srv.stop()
		for _, l := range srv.warnings() {
			logf("server: %s", l)
		}
		return err
	}

	if strings.Contains(c.scenarios, "A") {
		logf("A: one call, %d turns…", len(scenarioA))
		rep.loadA = loadAvg()
		rep.a, err = runA(ctx, srv.base, clips, c.verbose)
		if err != nil {
			return failed(fmt.Errorf("scenario A: %w", err))
		}
	}
	if strings.Contains(c.scenarios, "R") {
		logf("R: one call of real recordings…")
		rep.loadR = loadAvg()
		rep.r, err = runR(ctx, srv.base, c.fsdd, c.librivox, c.verbose)
		if err != nil {
			return failed(fmt.Errorf("scenario R: %w", err))
		}
	}
	if strings.Contains(c.scenarios, "B") {
		logf("B: %d barge-in calls…", bargeTrials)
		rep.loadB = loadAvg()
		rep.b, err = runB(ctx, srv.base, clips, c.seed, c.verbose)
		if err != nil {
			return failed(fmt.Errorf("scenario B: %w", err))
		}
	}
	srv.stop()
	rep.serverWarnings = srv.warnings()
	for _, l := range rep.serverWarnings {
		logf("server: %s", l)
	}
	rep.load1 = loadAvg()
	rep.took = time.Since(rep.started)
	// A partial run (-scenarios) prints the left-out scenarios empty.
	if rep.overhead == nil {
		rep.overhead = &overheadResult{}
	}
	if rep.a == nil {
		rep.a = &resultA{}
	}
	if rep.b == nil {
		rep.b = &resultB{}
	}

	return publish(c, "dialogue-bench", rep.markdown())
}

// publish prints a scenario's markdown and writes it into its marked
// section of c.out (if set).
func publish(c config, section, md string) error {
	fmt.Print(md)
	if c.out == "" {
		return nil
	}
	if err := benchmd.WriteSection(c.out, section, "", md); err != nil {
		return err
	}
	logf("wrote the %s section of %s", section, c.out)
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// ---- the server child process ----

type server struct {
	cmd      *exec.Cmd
	base     string
	logs     *tailBuffer
	exited   chan struct{}
	stopOnce sync.Once
	dataDir  string
}

// startServer runs bin on a free loopback port and waits for /healthz.
func startServer(ctx context.Context, bin string) (*server, error) {
	return startServerArgs(ctx, bin)
}

// startServerArgs is startServer with more flags.
func startServerArgs(ctx context.Context, bin string, extra ...string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "duplex-bench-data-")
	if err != nil {
		return nil, err
	}
	// Load from one loopback address: the per-address limits are off, and
	// the transcripts go to a scratch directory (removed by stop).
	s, err := startChild(ctx, append([]string{bin, "-addr", addr, "-log-format", "json", "-log-level", "warn",
		"-max-calls-per-ip", "0", "-rate-limit", "0", "-data-dir", dataDir}, extra...), "http://"+addr)
	if err != nil {
		_ = os.RemoveAll(dataDir)
		return nil, err
	}
	s.dataDir = dataDir
	return s, nil
}

// stop sends SIGTERM, kills after stopTimeout, and waits for the exit.
func (s *server) stop() {
	s.stopOnce.Do(func() {
		defer os.RemoveAll(s.dataDir)
		select {
		case <-s.exited:
			return
		default:
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		t := time.NewTimer(stopTimeout)
		defer t.Stop()
		select {
		case <-s.exited:
		case <-t.C:
			logf("server did not stop within %v: killing it", stopTimeout)
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

// warnings returns the server's log lines (warn level and above).
func (s *server) warnings() []string {
	var out []string
	for _, l := range strings.Split(s.logs.String(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// ---- machine facts ----

// loadAvg returns the 1, 5 and 15 minute load averages as "a / b / c".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return f[0] + " / " + f[1] + " / " + f[2]
}

// gitCommit returns the short HEAD, marked when the tree has changes.
func gitCommit(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}
