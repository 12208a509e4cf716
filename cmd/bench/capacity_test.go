package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenReports are fixed capReports that between them take every branch
// of the markdown writer.
func goldenReports() map[string]*capReport {
	t0 := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	res := func(calls int, cpu float64) *callbot.LoadResult {
		return &callbot.LoadResult{Calls: calls, CallsOK: calls, Turns: 2 * calls, TurnsAnswered: 2 * calls, HoldS: 15,
			Summary:     callbot.Summary{LatencyMS: callbot.Percentiles{P50: 380, P95: 450, Max: 700}},
			SetupMS:     callbot.Percentiles{P50: 40, P95: 90, Max: 120},
			Audio:       callbot.Continuity{Frames: int64(300 * calls), Gaps: 3, GapFraction: 0.001, LateFrames: 2, LateFraction: 0.0007, Lost: 1},
			Server:      callbot.ServerUsage{CPUCores: cpu, CPUPerCallPct: 100 * cpu / float64(calls), RSSBytes: 40<<20 + int64(calls)<<20},
			BotCPUCores: 0.4}
	}
	failing := res(100, 1.5)
	failing.TurnsTalkedOver = 3
	failing.Errors = []string{"hang up: DELETE: 404 no such call", "audio: decode | pipe"}
	missed := &capReport{started: t0, ended: t0.Add(7*time.Minute + 400*time.Millisecond), load0: "0.50 0.40 0.30", load1: "1.90 1.20 0.70", busyBefore: 0.12,
		ours: &target{name: "duplex", steps: []int{25, 50, 100}, startRSS: 30 << 20, profStep: 100,
			idleStep: &capStep{calls: 100, idle: true, holds: true, res: res(100, 0.2), others: 0.05},
			results: []*capStep{
				{calls: 25, holds: true, res: res(25, 0.3), others: 0.1},
				{calls: 50, holds: true, res: res(50, 0.6), others: 0.2},
				{calls: 100, why: "gaps 2.0 %", res: failing, rerun: true, others: 0.3},
			}},
		peer: &target{name: "aiortc", steps: []int{5, 10, 20}, startRSS: 80 << 20,
			results: []*capStep{{calls: 5, holds: true, res: res(5, 0.3)}, {calls: 10, err: errors.New("peer: exit status 1")}, {calls: 20, skipped: "time budget"}}},
		peerErr:    errors.New("python3: aiortc | not installed"),
		serverArgs: []string{"/tmp/x/duplex", "-pipeline", "canned", "-data-dir=", "-listen", "127.0.0.1:0"},
		pprofTop: `Duration: 9s, Total samples = 7.75s (86.10%)
      flat  flat%   sum%        cum   cum%
     0.01s  0.12% 85.84%      4.03s 50.06%  github.com/duplex-ai/duplex/media.(*PacedWriter).writeFrame
         0     0% 57.76%      3.60s 46.46%  github.com/duplex-ai/duplex/media.(*OpusEncoder).Encode`,
		micro: []microRow{
			{microBench: microBenches[0], nsOp: 25000, bytesOp: 0, allocsOp: 0, found: true},
			{microBench: microBenches[5], nsOp: 60000, bytesOp: 16, allocsOp: 1, found: true},
			{microBench: microBenches[6]},
		},
		microErr: errors.New("go test: exit status 1"),
		microCmd: "go test -run ^$ -bench . ./media/ ./vad/",
		warnings: []string{"a", "b", "c", "d", "e", "f"},
	}
	held := &capReport{started: t0, ended: t0.Add(3 * time.Minute), load0: "0.1 0.1 0.1", load1: "1.0 0.5 0.2",
		ours: &target{name: "duplex", steps: []int{50, 100}, startRSS: 30 << 20, profStep: 100,
			idleStep: &capStep{calls: 100, idle: true, holds: true, res: res(100, 0.1)},
			results:  []*capStep{{calls: 50, holds: true, res: res(50, 0.5)}, {calls: 100, holds: true, res: res(100, 1.0)}}},
		peer: &target{name: "aiortc", steps: []int{10, 20}, startRSS: 80 << 20,
			idleStep: &capStep{calls: 20, idle: true, holds: true, res: res(20, 0.2)},
			results:  []*capStep{{calls: 10, holds: true, res: res(10, 0.6)}, {calls: 20, why: "latency p95 1200 ms", res: res(20, 1.4)}}},
		serverArgs: []string{"bin/duplex", "-pipeline", "canned"},
		micro:      []microRow{{microBench: microBenches[1], nsOp: 9000, found: true}},
		microCmd:   "go test -run ^$ -bench Resample ./media/",
	}
	none := &capReport{started: t0, ended: t0.Add(time.Second), serverArgs: []string{"duplex"},
		ours: &target{name: "duplex", steps: []int{10}, results: []*capStep{{calls: 10, err: errors.New("start: no such file")}}}}
	// Cameras on: our server only; every step holds, the micro-benchmarks
	// skipped.
	camera := &capReport{started: t0, ended: t0.Add(80 * time.Second), load0: "0.22 0.34 0.77", load1: "2.12 0.94 0.95", camera: "/tmp/cam720.h264",
		ours: &target{name: "duplex", steps: []int{20, 30, 40}, startRSS: 40 << 20, profStep: 40,
			idleStep: &capStep{calls: 100, idle: true, holds: true, res: res(100, 1.2)},
			results:  []*capStep{{calls: 20, holds: true, res: res(20, 0.9)}, {calls: 30, holds: true, res: res(30, 1.1)}, {calls: 40, holds: true, res: res(40, 1.2)}}},
		serverArgs: []string{"bin/duplex", "-pipeline", "canned", "-max-video-calls=0"},
		pprofTop:   "flat flat%",
		microErr:   errors.New("skipped (-capacity-micro=false)"),
	}
	// Cameras on, the 30-call step's gaps over 1 % twice.
	cameraMissed := &capReport{started: t0, ended: t0.Add(2 * time.Minute), load0: "9.0 8.0 7.0", load1: "12.0 9.0 8.0", camera: "cam.ivf",
		ours: &target{name: "duplex", steps: []int{20, 30, 40}, startRSS: 40 << 20, profStep: 30,
			results: []*capStep{{calls: 20, holds: true, res: res(20, 0.9)}, {calls: 30, why: "gaps 2.3 %", rerun: true, res: res(30, 1.1)}}},
		serverArgs: []string{"bin/duplex", "-pipeline", "canned", "-max-video-calls=0"},
		micro:      []microRow{{microBench: microBenches[0], nsOp: 25000, found: true}},
		microCmd:   "go test -run ^$ -bench . ./media/",
	}
	return map[string]*capReport{"missed": missed, "held": held, "none": none, "camera": camera, "camera-missed": cameraMissed}
}

// TestCapacityMarkdownGolden pins the report's bytes for fixed inputs; the
// machine's CPU model, core count and Go version are masked.
func TestCapacityMarkdownGolden(t *testing.T) {
	for name, r := range goldenReports() {
		t.Run(name, func(t *testing.T) {
			md := r.markdown(config{serverBin: "bin/duplex"}, "abc1234")
			md = strings.ReplaceAll(md, benchmd.CPUModel(), "CPU-MODEL")
			md = strings.ReplaceAll(md, fmt.Sprintf("%d logical cores", runtime.NumCPU()), "N logical cores")
			md = strings.ReplaceAll(md, fmt.Sprintf("same %d cores", runtime.NumCPU()), "same N cores")
			md = strings.ReplaceAll(md, runtime.Version(), "GO-VERSION")
			if r.camera != "" {
				// The camera run is judged by its own criterion only.
				for _, bad := range []string{"## Capacity: concurrent calls", "aiortc peer |", "ours ÷ aiortc", "≥ 100 calls", "≤ 2 MiB"} {
					if strings.Contains(md, bad) {
						t.Errorf("camera report has %q", bad)
					}
				}
			}
			path := filepath.Join("testdata", "capacity-"+name+".golden")
			if *updateGolden {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if md != string(want) {
				t.Fatalf("report differs from %s:\n%s", path, md)
			}
		})
	}
}
