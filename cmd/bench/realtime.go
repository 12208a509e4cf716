package main

// The realtime section: the server binary with -pipeline realtime against
// the in-repo fake Realtime model (internal/fakerealtime, espeak-ng voice)
// with a fixed model delay, once per -realtime-turns mode. It measures
// Duplex's own overhead on a turn (the server's turn latency minus its
// endpointing and minus the model's delay) and the barge-in stop, and
// writes them between <!-- realtime-bench:begin/end --> in BENCHMARKS.md.

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
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
	"github.com/duplex-ai/duplex/vad/eval"
)

var rtOpt struct {
	delay      time.Duration
	turns      int
	barges     int
	realBarges int
	bargeRaw   string
}

func init() {
	flag.DurationVar(&rtOpt.delay, "realtime-delay", 300*time.Millisecond, "realtime: the fake model's fixed delay to first audio")
	flag.IntVar(&rtOpt.turns, "realtime-questions", 20, "realtime: question turns per -realtime-turns mode (one call)")
	flag.IntVar(&rtOpt.barges, "realtime-barge-ins", 5, "realtime: barge-in calls per mode")
	flag.IntVar(&rtOpt.realBarges, "realtime-real-barge-ins", 3, "realtime: barge-in calls per mode with real recordings (0: none)")
	flag.StringVar(&rtOpt.bargeRaw, "realtime-barge-raw", "/usr/share/pocketsphinx/test/data/goforward.raw",
		"realtime: real barge-in recording, raw 16-bit 16 kHz mono (absent: real barge-ins left out)")
}

const (
	rtQuestion = "what time is it"
	rtAnswer   = "It is ten past four."
	rtStory    = "Once upon a time there was a small robot. It liked to sing songs in the rain. One day it met a cat who could dance. They became friends and travelled far away."
	rtBarge    = "stop please"
	rtStoryAsk = "tell me a story"
)

const rtHeading = "## Realtime brain: `-pipeline realtime` against the fake model (`go run ./cmd/bench -only realtime`)"

// rtRow is one table row: one turn mode, one kind of caller.
type rtRow struct {
	turns, caller       string
	n, spoken, nStop    int
	cut                 int // question turns whose reply the caller interrupted by going on
	latency, overhead   callbot.Percentiles
	stop                callbot.Percentiles
	interrupted, barges int
	answers             int
	errors              []string
}

// rtCaller is what one kind of caller speaks: question turns (one call),
// and the request for a long reply and the barge-in over it.
type rtCaller struct {
	name           string
	rate           int
	questions      [][]int16
	request, barge []int16
	barges         int
}

// rtScript is what the fake hears: the commit at from (the first of a
// call) is first, every later one rest ("" = first for all).
type rtScript struct {
	from        int
	first, rest string
}

func (s rtScript) hear(n int) string {
	if n <= s.from || s.rest == "" {
		return s.first
	}
	return s.rest
}

// rtReply is the fake's reply to what it heard: nothing to a barge-in, the
// story to its request, the answer to anything else.
func rtReply(user string) string {
	switch user {
	case rtBarge:
		return ""
	case rtStoryAsk:
		return rtStory
	}
	return rtAnswer
}

// rtRealCaller reads the real recordings: every librivox sentence as a
// question turn, the shortest as the request for the story and bargeRaw
// over it. Missing recordings are left out with a note; nil if none.
func rtRealCaller(librivoxDir, bargeRaw string, barges int) (*rtCaller, []string, error) {
	sent, err := eval.Sentences(librivoxDir)
	if errors.Is(err, eval.ErrNoRecordings) {
		return nil, []string{fmt.Sprintf("real recordings left out: %v", err)}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	c := &rtCaller{name: "real", rate: eval.Rate}
	for _, s := range sent {
		c.questions = append(c.questions, toInt16(s.PCM))
		if c.request == nil || len(s.PCM) < len(c.request) {
			c.request = c.questions[len(c.questions)-1]
		}
	}
	var notes []string
	switch pcm, err := readRaw16(bargeRaw); {
	case errors.Is(err, fs.ErrNotExist):
		notes = append(notes, fmt.Sprintf("real barge-ins left out: %v", err))
	case err != nil:
		return nil, nil, err
	case barges > 0:
		c.barge, c.barges = pcm, barges
	}
	return c, notes, nil
}

// toInt16 rounds and clips int16-scale samples.
func toInt16(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return out
}

// readRaw16 reads headerless 16-bit little-endian mono PCM.
func readRaw16(path string) ([]int16, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b)%2 != 0 || len(b) == 0 {
		return nil, fmt.Errorf("%s: %d bytes is not 16-bit PCM", path, len(b))
	}
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out, nil
}

// rtOverhead is Duplex's overhead on each turn of a question call (see
// the section's text), left out for the cut turns: those whose reply the
// caller did not hear (interrupted, or no audio) because they went on after
// a pause; their latency runs to a later reply. n counts every
// turn.metrics; a turn is matched to its metrics by the server latency
// callbot copied from them.
func rtOverhead(turns []callbot.Turn, evs []events.Event, delayMS float64) (over []float64, n, cut int) {
	cutAt := map[float64]bool{}
	for _, t := range turns {
		if t.ServerLatencyMS > 0 && (t.Interrupted || t.LatencyMS == 0) {
			cutAt[t.ServerLatencyMS] = true
		}
	}
	for _, ev := range evs {
		if ev.Type != events.TypeTurnMetrics || ev.Metrics == nil {
			continue
		}
		n++
		if cutAt[ev.Metrics.LatencyMS] {
			cut++
			continue
		}
		over = append(over, ev.Metrics.LatencyMS-ev.Metrics.EndpointMS-delayMS)
	}
	return over, n, cut
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
	storyQ, err := clips.get(ctx, "en-us", rtStoryAsk)
	if err != nil {
		return err
	}
	barge, err := clips.get(ctx, "en-us+f2", rtBarge)
	if err != nil {
		return err
	}
	synth := rtCaller{name: "espeak-ng", rate: q.rate, request: storyQ.pcm, barge: barge.pcm, barges: rtOpt.barges}
	for range rtOpt.turns {
		synth.questions = append(synth.questions, q.pcm)
	}
	if storyQ.rate != q.rate || barge.rate != q.rate {
		return fmt.Errorf("realtime: espeak-ng clips at %d, %d and %d Hz", q.rate, storyQ.rate, barge.rate)
	}
	callers := []rtCaller{synth}
	real, notes, err := rtRealCaller(c.librivox, rtOpt.bargeRaw, rtOpt.realBarges)
	if err != nil {
		return err
	}
	if real != nil {
		callers = append(callers, *real)
	}
	started, load0 := time.Now(), loadAvg()
	var rows []rtRow
	for _, turns := range []string{"duplex", "server", "semantic"} {
		logf("realtime: -realtime-turns %s (model delay %v)…", turns, rtOpt.delay)
		r, err := runRealtimeMode(ctx, bin, voice, turns, callers, c.verbose)
		if err != nil {
			return fmt.Errorf("realtime %s: %w", turns, err)
		}
		rows = append(rows, r...)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nRun %s on %s (%d cores), load %s → %s, took %v. Model: internal/fakerealtime, espeak-ng voice, fixed delay %v from response.create to first audio, audio deltas of 100 ms paced in real time. Callers (callbot), per mode on one server: **espeak-ng**, `en-us` %q (%d turns, one call) and %d calls of %q interrupted 2 s into the story by `en-us+f2` %q",
		started.UTC().Format("2006-01-02 15:04"), benchmd.CPUModel(), runtime.NumCPU(), load0, loadAvg(), time.Since(started).Round(time.Second),
		rtOpt.delay, rtQuestion, rtOpt.turns, rtOpt.barges, rtStoryAsk, rtBarge)
	if real != nil {
		fmt.Fprintf(&b, "; **real**, the %d librivox sentences of pocketsphinx-testdata (one reader, as recorded, one call) and %d calls of the shortest of them (heard by the fake as %q) interrupted 2 s into the story by `goforward.raw` \"go forward ten meters\" (another speaker)",
			len(real.questions), real.barges, rtStoryAsk)
	}
	b.WriteString(". The fake does not transcribe: it hears each call's first commit as the question (or the story request) and any later one as the barge-in.\n\n")
	for _, n := range notes {
		fmt.Fprintf(&b, "Note: %s.\n\n", n)
	}
	b.WriteString("Overhead = the server's turn latency (turn.metrics `latency_ms`: end of speech detected → first reply audio sent) minus its endpointing (`endpoint_ms`) minus the model's delay: commit, transcript, response.create, the first delta's trip and the paced writer. Goal p95 ≤ 10 ms. Barge-in stop: callbot's `barge_in_stop_ms` (goal p95 ≤ 150 ms). Turns: turn.metrics seen / utterances spoken; cut: turns whose reply the caller did not hear (interrupted, or no audio before the next turn) because they went on after a pause that ended the turn early, left out of the client latency and the overhead.\n\n")
	b.WriteString("| -realtime-turns | caller | turns | cut | client latency p50 / p95 (ms) | overhead p50 / p95 / max (ms) | barge-ins interrupted | barge-in stop p50 / p95 (ms) | errors |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %d / %d | %d | %.0f / %.0f | %.1f / %.1f / %.1f %s | %d / %d | %.0f / %.0f %s | %d |\n",
			r.turns, r.caller, r.n, r.spoken, r.cut, r.latency.P50, r.latency.P95, r.overhead.P50, r.overhead.P95, r.overhead.Max, verdict(r.overhead.P95, 10, r.n > 0),
			r.interrupted, r.barges, r.stop.P50, r.stop.P95, verdict(r.stop.P95, 150, r.nStop > 0), len(r.errors))
	}
	for _, r := range rows {
		for _, e := range first(r.errors, 3) {
			fmt.Fprintf(&b, "\n- %s %s: %s", r.turns, r.caller, mdCell(e, 200))
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

// runRealtimeMode starts the fake and the server in one turn mode and runs
// each caller against them: a row per caller.
func runRealtimeMode(ctx context.Context, bin string, voice *espeak.Engine, turns string, callers []rtCaller, verbose bool) ([]rtRow, error) {
	var script atomic.Pointer[rtScript]
	script.Store(&rtScript{first: rtQuestion})
	fake := fakerealtime.Start(fakerealtime.Options{TTS: voice, Delay: rtOpt.delay,
		Transcribe: func(n int, _ []int16) string { return script.Load().hear(n) },
		Reply:      rtReply})
	defer fake.Close()
	srv, err := startServerArgs(ctx, bin,
		"-pipeline", "realtime", "-realtime-url", fake.URL(), "-realtime-model", "fake-realtime", "-realtime-turns", turns)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	var rows []rtRow
	for _, cl := range callers {
		r := rtRow{turns: turns, caller: cl.name, spoken: len(cl.questions), barges: cl.barges}
		script.Store(&rtScript{from: fake.Commits(), first: rtQuestion})
		cctx, cancel := context.WithTimeout(ctx, time.Duration(len(cl.questions))*30*time.Second)
		res, err := callbot.Run(cctx, callbot.Options{Server: srv.base, Turns: cl.questions, AudioRate: cl.rate, TurnTimeout: 15 * time.Second,
			Wait: len(cl.questions), Log: zerolog.Nop()})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s questions: %w", cl.name, err)
		}
		r.errors = append(r.errors, res.Errors...)
		var lat []float64
		for _, t := range res.Turns {
			if t.LatencyMS > 0 && !t.Interrupted { // a cut turn is counted in r.cut
				lat = append(lat, t.LatencyMS)
			}
			if t.Reply == rtAnswer {
				r.answers++
			}
		}
		var over []float64
		over, r.n, r.cut = rtOverhead(res.Turns, res.Events, float64(rtOpt.delay)/float64(time.Millisecond))
		r.latency, r.overhead = nearestRank(lat), nearestRank(over)
		if verbose {
			logf("realtime %s %s: %d turns, %d answered, latency %v, overhead %v", turns, cl.name, len(res.Turns), r.answers, lat, over)
			for _, t := range res.Turns {
				logf("  turn %q → %q: %.0f ms (server %.0f), interrupted %v", t.User, mdCell(t.Reply, 30), t.LatencyMS, t.ServerLatencyMS, t.Interrupted)
			}
			for _, ev := range res.Events {
				if ev.Type == events.TypeTurnMetrics && ev.Metrics != nil {
					logf("  metrics %+v", *ev.Metrics)
				}
			}
		}

		var stops []float64
		for k := range cl.barges {
			script.Store(&rtScript{from: fake.Commits(), first: rtStoryAsk, rest: rtBarge})
			cctx, cancel := context.WithTimeout(ctx, 45*time.Second)
			res, err := callbot.Run(cctx, callbot.Options{Server: srv.base, Turns: [][]int16{cl.request}, AudioRate: cl.rate,
				BargeIn: cl.barge, BargeInAfter: 2 * time.Second, TurnTimeout: 15 * time.Second, Tail: 3 * time.Second, Log: zerolog.Nop()})
			cancel()
			if err != nil {
				return nil, fmt.Errorf("%s barge-in %d: %w", cl.name, k+1, err)
			}
			r.errors = append(r.errors, res.Errors...)
			for _, t := range res.Turns {
				if t.Interrupted {
					r.interrupted++
				}
				if t.BargeInStopMS != nil {
					stops = append(stops, *t.BargeInStopMS)
				}
			}
			if verbose {
				logf("realtime %s %s barge-in %d: turns %+v", turns, cl.name, k+1, res.Turns)
			}
		}
		r.nStop, r.stop = len(stops), nearestRank(stops)
		rows = append(rows, r)
	}
	return rows, nil
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
