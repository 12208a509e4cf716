package main

// The realtime section: the server binary with -pipeline realtime against
// the in-repo fake Realtime model (internal/fakerealtime, espeak-ng voice)
// with a fixed model delay, once per -realtime-turns mode. It measures
// Duplex's own overhead on a turn (the server's turn latency minus its
// endpointing and minus the model's delay) and the barge-in stop, and
// writes them between <!-- realtime-bench:begin/end --> in BENCHMARKS.md.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/benchmd"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/fakerealtime"
	"github.com/duplex-ai/duplex/tts/espeak"
)

var rtOpt struct {
	delay  time.Duration
	turns  int
	barges int
}

func init() {
	flag.DurationVar(&rtOpt.delay, "realtime-delay", 300*time.Millisecond, "realtime: the fake model's fixed delay to first audio")
	flag.IntVar(&rtOpt.turns, "realtime-questions", 20, "realtime: question turns per -realtime-turns mode (one call)")
	flag.IntVar(&rtOpt.barges, "realtime-barge-ins", 5, "realtime: barge-in calls per mode")
}

const (
	rtQuestion = "what time is it"
	rtAnswer   = "It is ten past four."
	rtStory    = "Once upon a time there was a small robot. It liked to sing songs in the rain. One day it met a cat who could dance. They became friends and travelled far away."
	rtBarge    = "stop please"
)

const rtHeading = "## Realtime brain: `-pipeline realtime` against the fake model (`go run ./cmd/bench -only realtime`)"

type rtMode struct {
	turns                string
	n, nStop             int
	latency, overhead    callbot.Percentiles
	stop                 callbot.Percentiles
	interrupted, answers int
	errors               []string
}

// runRealtime runs the realtime section.
func runRealtime(ctx context.Context, c config) error {
	bin, voice, clips, done, err := fakeModelSetup(c, "duplex-bench-rt-")
	if err != nil {
		return err
	}
	defer done()
	q, err := clips.get(ctx, "en-us", rtQuestion)
	if err != nil {
		return err
	}
	storyQ, err := clips.get(ctx, "en-us", "tell me a story")
	if err != nil {
		return err
	}
	barge, err := clips.get(ctx, "en-us+f2", rtBarge)
	if err != nil {
		return err
	}
	started, load0 := time.Now(), loadAvg()
	var modes []rtMode
	for _, turns := range []string{"duplex", "server", "semantic"} {
		logf("realtime: -realtime-turns %s, %d turns and %d barge-ins (model delay %v)…", turns, rtOpt.turns, rtOpt.barges, rtOpt.delay)
		m, err := runRealtimeMode(ctx, bin, voice, turns, q, storyQ, barge, c.verbose)
		if err != nil {
			return fmt.Errorf("realtime %s: %w", turns, err)
		}
		modes = append(modes, *m)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nRun %s on %s (%d cores), load %s → %s, took %v. Model: internal/fakerealtime, espeak-ng voice, fixed delay %v from response.create to first audio, audio deltas of 100 ms paced in real time; caller: callbot, espeak-ng `en-us` %q (%d turns per mode, one call) and %d calls of \"tell me a story\" interrupted after 2 s by `en-us+f2` %q.\n\n",
		started.UTC().Format("2006-01-02 15:04"), benchmd.CPUModel(), runtime.NumCPU(), load0, loadAvg(), time.Since(started).Round(time.Second),
		rtOpt.delay, rtQuestion, rtOpt.turns, rtOpt.barges, rtBarge)
	b.WriteString("Overhead = the server's turn latency (turn.metrics `latency_ms`: end of speech detected → first reply audio sent) minus its endpointing (`endpoint_ms`) minus the model's delay: commit, transcript, response.create, the first delta's trip and the paced writer. Goal p95 ≤ 10 ms. Barge-in stop: callbot's `barge_in_stop_ms` (goal p95 ≤ 150 ms).\n\n")
	b.WriteString("| -realtime-turns | turns | client latency p50 / p95 (ms) | overhead p50 / p95 / max (ms) | barge-ins interrupted | barge-in stop p50 / p95 (ms) | errors |\n|---|---|---|---|---|---|---|\n")
	for _, m := range modes {
		fmt.Fprintf(&b, "| %s | %d | %.0f / %.0f | %.1f / %.1f / %.1f %s | %d / %d | %.0f / %.0f %s | %d |\n",
			m.turns, m.n, m.latency.P50, m.latency.P95, m.overhead.P50, m.overhead.P95, m.overhead.Max, verdict(m.overhead.P95, 10, m.n > 0),
			m.interrupted, rtOpt.barges, m.stop.P50, m.stop.P95, verdict(m.stop.P95, 150, m.nStop > 0), len(m.errors))
	}
	for _, m := range modes {
		for _, e := range first(m.errors, 3) {
			fmt.Fprintf(&b, "\n- %s: %s", m.turns, mdCell(e, 200))
		}
	}
	b.WriteString("\n")
	fmt.Print(b.String())
	if c.out == "" {
		return nil
	}
	// Its own heading the first time (publish writes sections without one).
	return benchmd.WriteSection(c.out, "realtime-bench", rtHeading, b.String())
}

func runRealtimeMode(ctx context.Context, bin string, voice *espeak.Engine, turns string, q, storyQ, barge clip, verbose bool) (*rtMode, error) {
	// The fake hears the question in the first call; in the barge-in
	// calls, the story request and the barge-in by turns.
	var bargeFrom atomic.Int64
	bargeFrom.Store(-1)
	fake := fakerealtime.Start(fakerealtime.Options{TTS: voice, Delay: rtOpt.delay,
		Transcribe: func(n int, _ []int16) string {
			switch from := bargeFrom.Load(); {
			case from < 0:
				return rtQuestion
			case (int64(n)-from)%2 == 0:
				return "tell me a story"
			default:
				return rtBarge
			}
		},
		Reply: func(user string) string {
			switch user {
			case rtBarge:
				return ""
			case "tell me a story":
				return rtStory
			}
			return rtAnswer
		}})
	defer fake.Close()
	srv, err := startServerArgs(ctx, bin,
		"-pipeline", "realtime", "-realtime-url", fake.URL(), "-realtime-model", "fake-realtime", "-realtime-turns", turns)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	m := &rtMode{turns: turns}

	qs := make([][]int16, rtOpt.turns)
	for i := range qs {
		qs[i] = q.pcm
	}
	cctx, cancel := context.WithTimeout(ctx, time.Duration(rtOpt.turns)*15*time.Second)
	res, err := callbot.Run(cctx, callbot.Options{Server: srv.base, Turns: qs, AudioRate: q.rate, TurnTimeout: 15 * time.Second, Log: zerolog.Nop()})
	cancel()
	if err != nil {
		return nil, err
	}
	m.errors = append(m.errors, res.Errors...)
	var lat, over []float64
	for _, t := range res.Turns {
		lat = append(lat, t.LatencyMS)
		if t.Reply == rtAnswer {
			m.answers++
		}
	}
	for _, ev := range res.Events {
		if ev.Type == events.TypeTurnMetrics && ev.Metrics != nil {
			over = append(over, ev.Metrics.LatencyMS-ev.Metrics.EndpointMS-float64(rtOpt.delay)/float64(time.Millisecond))
		}
	}
	m.n = len(over)
	m.latency, m.overhead = nearestRank(lat), nearestRank(over)
	if verbose {
		logf("realtime %s: %d turns, %d answered, overhead %v", turns, len(res.Turns), m.answers, over)
	}

	var stops []float64
	for k := range rtOpt.barges {
		bargeFrom.Store(int64(fake.Commits()))
		cctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		res, err := callbot.Run(cctx, callbot.Options{Server: srv.base, Turns: [][]int16{storyQ.pcm}, AudioRate: storyQ.rate,
			BargeIn: barge.pcm, BargeInAfter: 2 * time.Second, TurnTimeout: 15 * time.Second, Tail: 3 * time.Second, Log: zerolog.Nop()})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("barge-in %d: %w", k+1, err)
		}
		m.errors = append(m.errors, res.Errors...)
		for _, t := range res.Turns {
			if t.Interrupted {
				m.interrupted++
			}
			if t.BargeInStopMS != nil {
				stops = append(stops, *t.BargeInStopMS)
			}
		}
		if verbose {
			logf("realtime %s barge-in %d: turns %+v", turns, k+1, res.Turns)
		}
	}
	m.nStop, m.stop = len(stops), nearestRank(stops)
	return m, nil
}

// fakeModelSetup is what the sections against the model fakes share: the
// server binary's path, the fakes' espeak-ng voice and a clip cache in a
// temporary folder; done releases the voice and the folder.
func fakeModelSetup(c config, prefix string) (bin string, voice *espeak.Engine, clips *clipCache, done func(), err error) {
	if bin, err = filepath.Abs(c.serverBin); err != nil {
		return "", nil, nil, nil, err
	}
	if voice, err = espeak.New(espeak.Options{}); err != nil {
		return "", nil, nil, nil, err
	}
	tmp, err := os.MkdirTemp("", prefix)
	if err != nil {
		voice.Close()
		return "", nil, nil, nil, err
	}
	return bin, voice, &clipCache{dir: tmp}, func() { voice.Close(); os.RemoveAll(tmp) }, nil
}
