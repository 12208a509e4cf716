package callbot

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/signaling"
	"github.com/duplex-ai/duplex/vad"

	"github.com/duplex-ai/duplex/internal/testtier"
)

func TestContinuityTracker(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type pkt struct {
		seq    uint16
		ts     uint32
		at     int // ms
		voiced bool
	}
	for _, tc := range []struct {
		name string
		pkts []pkt
		want Continuity
	}{
		{"smooth reply", []pkt{{1, 0, 0, true}, {2, 960, 20, true}, {3, 1920, 40, true}, {4, 2880, 60, true}}, Continuity{Frames: 4}},
		{"stall of 100 ms", []pkt{{1, 0, 0, true}, {2, 960, 20, true}, {3, 1920, 120, true}, {4, 2880, 140, true}},
			Continuity{Frames: 4, Gaps: 1, LateFrames: 1, MaxGapMS: 100}},
		{"slow pacing adds up", []pkt{{1, 0, 0, true}, {2, 960, 40, true}, {3, 1920, 80, true}, {4, 2880, 120, true}, {5, 3840, 160, true}},
			Continuity{Frames: 5, LateFrames: 1}},
		{"pause between replies (timestamp jump) is no gap", []pkt{{1, 0, 0, true}, {2, 960, 20, true}, {3, 96000, 2000, true}, {4, 96960, 2020, true}},
			Continuity{Frames: 4}},
		{"silence long after a reply is not counted", []pkt{{1, 0, 0, true}, {2, 960, 20, false}, {3, 1920 + 960*30, 1000, false}, {4, 1920 + 960*31, 1200, false}},
			Continuity{Frames: 2}},
		{"silent stream (aiortc between replies) with a stall", []pkt{{1, 0, 0, false}, {2, 960, 20, false}, {3, 1920, 200, false}}, Continuity{}},
		{"loss and reordering", []pkt{{1, 0, 0, true}, {2, 960, 20, true}, {5, 3840, 80, true}, {4, 2880, 81, true}, {6, 4800, 100, true}},
			Continuity{Frames: 4, Lost: 2, LateFrames: 1}},
		{"words with a pause, contiguous", []pkt{{1, 0, 0, true}, {2, 960, 20, false}, {3, 1920, 40, false}, {4, 2880, 140, true}},
			Continuity{Frames: 4, Gaps: 1, LateFrames: 1, MaxGapMS: 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tr continuityTracker
			for _, p := range tc.pkts {
				tr.push(p.seq, p.ts, ms(p.at), frameSamples, p.voiced, true)
			}
			if tr.c != tc.want {
				t.Errorf("got %+v, want %+v", tr.c, tc.want)
			}
		})
	}
	// Outside the measured window nothing is counted.
	var tr continuityTracker
	tr.push(1, 0, t0, frameSamples, true, false)
	tr.push(2, 960, ms(200), frameSamples, true, false)
	if tr.c != (Continuity{}) {
		t.Errorf("counted outside the window: %+v", tr.c)
	}
	c := Continuity{Frames: 200, Gaps: 2, LateFrames: 4}
	c.finish()
	if c.GapFraction != 0.01 || c.LateFraction != 0.02 {
		t.Errorf("fractions %+v", c)
	}
}

func TestUsageProbes(t *testing.T) {
	cpu, rss, err := procUsage(os.Getpid())
	if err != nil || cpu <= 0 || rss < 1<<20 {
		t.Fatalf("procUsage(self): %g s, %d bytes, %v", cpu, rss, err)
	}
	if busy, err := machineBusy(); err != nil || busy <= 0 {
		t.Fatalf("machineBusy: %g, %v", busy, err)
	}
	text := "# HELP process_cpu_seconds_total x\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.5\nprocess_resident_memory_bytes 3.3554432e+07\ngo_goroutines 7\n"
	cpu, rss, err = parseProcessMetrics(strings.NewReader(text))
	if err != nil || cpu != 12.5 || rss != 32<<20 {
		t.Fatalf("parse: %g %d %v", cpu, rss, err)
	}
	if _, _, err := parseProcessMetrics(strings.NewReader("go_goroutines 7\n")); err == nil {
		t.Fatal("metrics without process figures accepted")
	}
}

func TestRunLoadOptions(t *testing.T) {
	pcm := burst(300)
	for name, opt := range map[string]LoadOptions{
		"remote server": {Server: "http://192.0.2.1:8080", Calls: 1, Utterance: pcm, AudioRate: 16000},
		"no calls":      {Server: "http://127.0.0.1:1", Utterance: pcm, AudioRate: 16000},
		"too many":      {Server: "http://127.0.0.1:1", Calls: MaxLoadCalls + 1, Utterance: pcm, AudioRate: 16000},
		"too long":      {Server: "http://127.0.0.1:1", Calls: 1, Duration: MaxLoadDuration + time.Second, Utterance: pcm, AudioRate: 16000},
		"no utterance":  {Server: "http://127.0.0.1:1", Calls: 1},
		"silent":        {Server: "http://127.0.0.1:1", Calls: 1, Utterance: make([]int16, 1600), AudioRate: 16000},
		"bad camera":    {Server: "http://127.0.0.1:1", Calls: 1, Idle: true, VideoPath: "load_test.go"},
		"pauses":        {Server: "http://127.0.0.1:1", Calls: 1, Utterance: pcm, AudioRate: 16000, PauseMin: 3 * time.Second, PauseMax: time.Second},
	} {
		if _, err := RunLoad(context.Background(), opt); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// startCannedServer serves the canned pipeline (spectral VAD, a tone as
// the reply) in this process; stop it with the returned function.
func startCannedServer(t *testing.T) (*httptest.Server, func()) {
	t.Helper()
	srv, _, stop := startCannedManager(t)
	return srv, stop
}

// startCannedManager is startCannedServer that also returns the manager.
func startCannedManager(t *testing.T) (*httptest.Server, *session.Manager, func()) {
	t.Helper()
	det, err := dialogue.VADFactory(vad.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := dialogue.NewCanned(dialogue.CannedOptions{Reply: burst(800), ReplyRate: 16000, NewDetector: det})
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := session.NewManager(session.Config{Pipeline: p, IncludeLoopback: true, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(signaling.New(mgr, signaling.Options{Log: zerolog.Nop()}))
	return srv, mgr, func() {
		srv.Close()
		_ = mgr.Close(session.ReasonServerShutdown)
	}
}

// TestRunLoadCameras: with VideoPath every load caller sends the camera
// clip and the server decodes each (the capacity run with cameras on).
func TestRunLoadCameras(t *testing.T) {
	testtier.Slow(t, "whole calls in real time")
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, mgr, stop := startCannedManager(t)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var most atomic.Int64
	done := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			if n := int64(mgr.VideoCalls()); n > most.Load() {
				most.Store(n)
			}
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	res, err := RunLoad(ctx, LoadOptions{Server: srv.URL, Calls: 2, Ramp: 20, Duration: 2 * time.Second, Idle: true,
		VideoPath: filepath.Join("..", "..", "media", "video", "testdata", "red-320x240.h264"), Log: testLogger(t)})
	close(done)
	<-polled
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.CallsOK != 2 {
		t.Fatalf("result %+v", res)
	}
	if n := most.Load(); n != 2 {
		t.Fatalf("at most %d cameras decoded at once, want 2", n)
	}
}

// TestRunLoadCanned: three callers talk to the canned pipeline for a few
// seconds; every turn gets the reply, measured from audio alone.
func TestRunLoadCanned(t *testing.T) {
	testtier.Slow(t, "whole calls in real time")
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	pcm, rate := speak(t, "what time is it")
	srv, stop := startCannedServer(t)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := RunLoad(ctx, LoadOptions{
		Server: srv.URL, Calls: 3, Ramp: 20, Duration: 7 * time.Second,
		Utterance: pcm, AudioRate: rate,
		PauseMin: 300 * time.Millisecond, PauseMax: 600 * time.Millisecond,
		TurnTimeout: 4 * time.Second, ServerPID: os.Getpid(), Log: testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	t.Logf("result: %s", b)
	if !res.OK || res.CallsOK != 3 || res.CallsFailed != 0 {
		t.Fatalf("calls ok %d failed %d, errors %v", res.CallsOK, res.CallsFailed, res.Errors)
	}
	// Quality is not checked here: under -race on a shared machine the
	// replies stall. Correctness is.
	if res.TurnsAnswered < 2 || res.TurnsAnswered > res.Turns {
		t.Errorf("%d of %d turns answered", res.TurnsAnswered, res.Turns)
	}
	// End of speech → reply: at least the VAD's 300 ms of silence.
	if res.LatencyMS.P50 < 250 || res.LatencyMS.Max > 4000 {
		t.Errorf("latency %+v", res.LatencyMS)
	}
	if res.Audio.Frames < 20 || res.Audio.GapFraction < 0 || res.Audio.GapFraction > 1 {
		t.Errorf("audio %+v for %d turns", res.Audio, res.TurnsAnswered)
	}
	if res.HoldS < 6.5 || res.EventsReceived == 0 {
		t.Errorf("hold %.1f s, %d events", res.HoldS, res.EventsReceived)
	}
	if u := res.Server; u.Source == "" || u.CPUCores <= 0 || u.RSSBytes <= 0 || u.Samples < 5 {
		t.Errorf("server usage %+v", u)
	}
	if res.BotCPUCores <= 0 || res.SetupMS.Max <= 0 {
		t.Errorf("bot cpu %g, setup %+v", res.BotCPUCores, res.SetupMS)
	}
}

// TestRunLoadIdle: idle callers, resources read from the server's /metrics.
func TestRunLoadIdle(t *testing.T) {
	testtier.Slow(t, "whole calls in real time")
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, stop := startCannedServer(t)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := RunLoad(ctx, LoadOptions{Server: srv.URL, Calls: 2, Ramp: 20, Duration: 2500 * time.Millisecond, Idle: true, Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	t.Logf("result: %s", b)
	if !res.OK || res.CallsOK != 2 || res.Turns != 0 || res.Audio.Frames != 0 {
		t.Fatalf("result %+v", res)
	}
	if u := res.Server; !strings.HasSuffix(u.Source, "/metrics") || u.RSSBytes <= 0 || u.RSSBaseBytes <= 0 {
		t.Errorf("server usage %+v", u)
	}
}
