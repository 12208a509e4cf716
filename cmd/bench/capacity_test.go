package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/internal/benchmd"
	"github.com/duplex-ai/duplex/internal/callbot"
)

func TestJudge(t *testing.T) {
	good := callbot.LoadResult{Turns: 200, TurnsAnswered: 200, Summary: callbot.Summary{LatencyMS: callbot.Percentiles{P50: 400, P95: 600, Max: 900}}, Audio: callbot.Continuity{Frames: 10000, GapFraction: 0.005, LateFraction: 0.002}}
	if ok, why := judge(&good); !ok {
		t.Fatalf("good step rejected: %s", why)
	}
	for name, mut := range map[string]func(r *callbot.LoadResult){
		"failed call": func(r *callbot.LoadResult) { r.CallsFailed = 1 },
		"no turns":    func(r *callbot.LoadResult) { r.Turns, r.TurnsAnswered = 0, 0 },
		"unanswered":  func(r *callbot.LoadResult) { r.TurnsAnswered = 190 },
		"gaps":        func(r *callbot.LoadResult) { r.Audio.GapFraction = 0.02 },
		"late":        func(r *callbot.LoadResult) { r.Audio.LateFraction = 0.02 },
		"slow":        func(r *callbot.LoadResult) { r.LatencyMS.P95 = 1200 },
	} {
		r := good
		mut(&r)
		if ok, why := judge(&r); ok || why == "" {
			t.Errorf("%s: holds (%q)", name, why)
		}
	}
}

func TestParseSteps(t *testing.T) {
	if s, err := parseSteps("25, 50,100"); err != nil || len(s) != 3 || s[2] != 100 {
		t.Fatalf("%v %v", s, err)
	}
	for _, bad := range []string{"", "5,5", "10,5", "x", "0", "5000"} {
		if _, err := parseSteps(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestWriteMarkedSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "B.md")
	if err := os.WriteFile(path, []byte("# Benchmarks\n\n<!-- dialogue-bench:begin -->\nD\n<!-- dialogue-bench:end -->\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"one\n", "two\n"} {
		if err := benchmd.WriteSection(path, "capacity-bench", "", body); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	want := "# Benchmarks\n\n<!-- dialogue-bench:begin -->\nD\n<!-- dialogue-bench:end -->\n\n<!-- capacity-bench:begin -->\ntwo\n<!-- capacity-bench:end -->\n"
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
}

func TestBenchLine(t *testing.T) {
	m := benchLine.FindStringSubmatch("BenchmarkSpectralVAD/16kHz-2   \t  226056\t      4667 ns/op\t      4667 ns/frame\t       0 B/op\t       0 allocs/op")
	if m == nil || m[1] != "BenchmarkSpectralVAD/16kHz" || !strings.HasPrefix(m[2], "4667 ns/op") {
		t.Fatalf("%q", m)
	}
}

// TestCapacityMarkdown renders a report with every kind of step.
func TestCapacityMarkdown(t *testing.T) {
	res := func(calls int, cpu float64) *callbot.LoadResult {
		return &callbot.LoadResult{Calls: calls, CallsOK: calls, Turns: 2 * calls, TurnsAnswered: 2 * calls,
			Summary: callbot.Summary{LatencyMS: callbot.Percentiles{P50: 380, P95: 450, Max: 700}}, Audio: callbot.Continuity{Frames: int64(300 * calls)},
			Server: callbot.ServerUsage{CPUCores: cpu, CPUPerCallPct: 100 * cpu / float64(calls), RSSBytes: 40<<20 + int64(calls)<<20}}
	}
	ours := &target{name: "duplex", steps: []int{25, 50, 100}, startRSS: 30 << 20, profStep: 100,
		idleStep: &capStep{calls: 100, idle: true, holds: true, res: res(100, 0.2)},
		results: []*capStep{
			{calls: 25, holds: true, res: res(25, 0.3)},
			{calls: 50, holds: true, res: res(50, 0.6)},
			{calls: 100, why: "gaps 2.0 %", res: res(100, 1.5), rerun: true},
		}}
	peer := &target{name: "aiortc", steps: []int{5, 10}, startRSS: 80 << 20,
		results: []*capStep{{calls: 5, holds: true, res: res(5, 0.3)}, {calls: 10, skipped: "time budget"}}}
	r := &capReport{started: time.Now(), ended: time.Now().Add(time.Minute), ours: ours, peer: peer,
		serverArgs: []string{"/x/duplex", "-pipeline", "canned", "-data-dir="}, pprofTop: "flat flat%",
		micro: []microRow{{microBench: microBenches[0], nsOp: 25000, found: true}, {microBench: microBenches[6]}}}
	md := r.markdown(config{serverBin: "bin/duplex"}, "abc")
	for _, want := range []string{
		"| largest N that holds | ≥ 100 calls | 50 calls (100: gaps 2.0 %) | 5 calls (10 not run: time budget) | **missed** |",
		"| ours ÷ aiortc (largest N that holds) | ≥ 5× | 10.0× | | met |",
		"`duplex -pipeline canned -data-dir=\"\"`",
		"| 10 | | | | | | | | | | | | | | not run: time budget |",
		"(second attempt)",
		"0.12 % of a core",
		"go tool pprof -top",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md)
		}
	}
}

func TestProfileSummary(t *testing.T) {
	top := `      flat  flat%   sum%        cum   cum%
     0.01s  0.12% 85.84%      4.03s 50.06%  github.com/duplex-ai/duplex/media.(*PacedWriter).writeFrame
     0.01s  0.12% 85.84%      4.00s 49.70%  github.com/duplex-ai/duplex/media.(*OpusEncoder).Encode
     0.01s  0.12% 85.47%      1.68s 20.87%  github.com/duplex-ai/duplex/media.(*AudioReceiver).Push
     0.40s  4.97% 69.19%      0.40s  4.97%  internal/runtime/syscall/linux.Syscall6`
	if got, want := profileSummary(top), "Opus encode (replies) 49.70%, receive path (reorder, Opus decode, 48→16 kHz) 20.87%, syscalls 4.97%"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestEncodeCost(t *testing.T) {
	top := `Duration: 9s, Total samples = 7.75s (86.10%)
      flat  flat%   sum%        cum   cum%
         0     0% 57.76%      3.60s 46.46%  github.com/duplex-ai/duplex/media.(*OpusEncoder).Encode`
	// 3.6 s of encoding over 9 s at 1600 frames/s: 250 µs per frame.
	if us, ok := encodeCost(top, 1600); !ok || us < 249.9 || us > 250.1 {
		t.Fatalf("%g %v", us, ok)
	}
	if _, ok := encodeCost("nothing", 1600); ok {
		t.Fatal("estimate without a profile")
	}
}
