package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/internal/wav"
	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/signaling"
	"github.com/duplex-ai/duplex/web"
)

// ---------------------------------------------------------------------------
// Server

// server is a Duplex server (session manager + signaling + embedded page)
// behind an httptest server on 127.0.0.1.
type server struct {
	URL  string
	mgr  *session.Manager
	hs   *httptest.Server
	logs *testLog
	once sync.Once
}

// newServer starts a server whose calls run pipeline. The assistant
// scenarios get their pipeline from assistantPipeline.
func newServer(t *testing.T, p pipeline.Pipeline) *server {
	t.Helper()
	return newServerConfig(t, session.Config{Pipeline: p})
}

// newServerConfig starts a server from cfg; loopback candidates are always
// gathered and logs go to the test log (warnings and up).
func newServerConfig(t *testing.T, cfg session.Config) *server {
	t.Helper()
	logs := &testLog{t: t}
	log := zerolog.New(zerolog.ConsoleWriter{Out: logs, NoColor: true, TimeFormat: "15:04:05.000"}).
		Level(zerolog.WarnLevel).With().Timestamp().Logger()
	cfg.IncludeLoopback = true
	cfg.Log = log
	mgr, err := session.NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(signaling.New(mgr, signaling.Options{Web: web.Handler(), Log: log}))
	s := &server{URL: hs.URL, mgr: mgr, hs: hs, logs: logs}
	t.Cleanup(func() {
		s.close()
		logs.stop()
	})
	return s
}

// close stops the HTTP server and ends every call. Safe to call twice.
func (s *server) close() {
	s.once.Do(func() {
		s.hs.CloseClientConnections()
		s.hs.Close()
		_ = s.mgr.Close(session.ReasonServerShutdown)
	})
}

// metric returns the value of an unlabelled metric (or one with exactly the
// given label set, e.g. `duplex_calls_closed_total{reason="client_hangup"}`)
// from /metrics; a metric that is absent reads as 0.
func (s *server) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s+(\S+)$`)
	m := re.FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatalf("metric %s: %v", name, err)
	}
	return v
}

// waitMetric polls /metrics until name has the value want.
func (s *server) waitMetric(t *testing.T, name string, want float64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := s.metric(t, name)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("metric %s = %v after %v, want %v", name, got, timeout, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// testLog forwards server log lines to t.Log until stop; lines after the
// test are dropped (t.Log would panic).
type testLog struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Log("server: " + strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (l *testLog) stop() {
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
}

// ---------------------------------------------------------------------------
// Fake media

// need finds an external program (the first of names found): without it
// the test fails under CI and skips elsewhere. pkg is the Debian package.
func need(t *testing.T, pkg string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s not found (Debian package %s; make test installs it)", strings.Join(names, ", "), pkg)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// speechWAV renders text with espeak-ng and writes it as a 48 kHz mono WAV
// for Chromium's fake microphone, with lead and trail seconds of silence
// around it (Chromium loops the file, so the trail is the pause between
// repetitions).
func speechWAV(t *testing.T, text string, lead, trail time.Duration) string {
	t.Helper()
	espeak := need(t, "espeak-ng", "espeak-ng")
	dir := t.TempDir()
	raw := filepath.Join(dir, "espeak.wav")
	if out, err := exec.Command(espeak, "-v", "en-us", "-s", "150", "-w", raw, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	pcm, rate, err := wav.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	const outRate = 48000
	pcm, err = media.Resample(pcm, rate, outRate)
	if err != nil {
		t.Fatal(err)
	}
	samples := func(d time.Duration) int { return int(d * outRate / time.Second) }
	out := make([]int16, 0, samples(lead)+len(pcm)+samples(trail))
	out = append(out, make([]int16, samples(lead))...)
	out = append(out, pcm...)
	out = append(out, make([]int16, samples(trail))...)
	path := filepath.Join(dir, "mic.wav")
	if err := wav.WriteFile(path, out, outRate); err != nil {
		t.Fatal(err)
	}
	return path
}

// YUV of solid colours (BT.601, full range as C420jpeg says).
var (
	yuvRed  = [3]byte{81, 90, 240}
	yuvGrey = [3]byte{128, 128, 128}
)

// solidY4M writes a 640×480, 15 fps YUV4MPEG2 file of frames frames of one
// colour for Chromium's fake camera (it loops the file).
func solidY4M(t *testing.T, yuv [3]byte, frames int) string {
	t.Helper()
	const w, h = 640, 480
	path := filepath.Join(t.TempDir(), "camera.y4m")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 0, 6+w*h*3/2)
	frame = append(frame, "FRAME\n"...)
	for i, n := range []int{w * h, w * h / 4, w * h / 4} {
		for range n {
			frame = append(frame, yuv[i])
		}
	}
	_, err = fmt.Fprintf(f, "YUV4MPEG2 W%d H%d F15:1 Ip A1:1 C420jpeg\n", w, h)
	for i := 0; i < frames && err == nil; i++ {
		_, err = f.Write(frame)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// ---------------------------------------------------------------------------
// Browser

type browserOptions struct {
	audio, video  string // fake capture files; "" = Chromium's built-in beep / pattern
	width, height int64  // viewport; default 1280×900
	mobile        bool   // emulate a phone (touch, device scale 2)
}

// browser is one headless Chromium with one tab.
type browser struct {
	t   *testing.T
	ctx context.Context // the tab

	mu       sync.Mutex
	problems []string // console errors and uncaught exceptions
	network  []string // browser log entries of level error (failed loads)
	// expectNetworkErrors tolerates failed loads in the browser log whose
	// text contains one of these (the error scenarios cause them on purpose).
	expectNetworkErrors []string

	cancel       func()
	consoleDone  chan struct{}
	screenshotAs string
}

// chromiumPath finds Chromium: $DUPLEX_CHROMIUM, else /usr/bin/chromium
// (Debian), else the usual names on PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("DUPLEX_CHROMIUM"); p != "" {
		return need(t, "chromium", p)
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return need(t, "chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
}

// newBrowser starts Chromium with fake media, opens a tab and starts
// collecting its console. The cleanup takes a screenshot of the final
// state, fails the test on console errors or uncaught exceptions, and
// closes the browser.
func newBrowser(t *testing.T, o browserOptions) *browser {
	t.Helper()
	exe := chromiumPath(t)
	if o.width == 0 {
		o.width, o.height = 1280, 900
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.WindowSize(int(o.width), int(o.height)),
	}
	if o.audio != "" {
		opts = append(opts, chromedp.Flag("use-file-for-fake-audio-capture", o.audio))
	}
	if o.video != "" {
		opts = append(opts, chromedp.Flag("use-file-for-fake-video-capture", o.video))
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{
		t:           t,
		ctx:         ctx,
		consoleDone: make(chan struct{}),
		cancel: func() {
			cancel()
			acancel() // waits for Chromium to exit
		},
	}
	// Console starts the browser and the tab, and subscribes before
	// anything is loaded.
	msgs := chromedp.Console(ctx)
	go b.collect(msgs)
	var vopts []chromedp.EmulateViewportOption
	if o.mobile {
		vopts = append(vopts, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(o.width, o.height, vopts...)); err != nil {
		b.cancel()
		<-b.consoleDone
		t.Fatalf("starting %s: %v", exe, err)
	}
	t.Cleanup(b.finish)
	return b
}

func (b *browser) collect(msgs iter.Seq2[chromedp.ConsoleMessage, error]) {
	defer close(b.consoleDone)
	for m, err := range msgs {
		if err != nil {
			return
		}
		where := ""
		if m.URL != "" {
			where = fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
		}
		line := string(m.Type) + ": " + m.Text + where
		b.mu.Lock()
		switch {
		case m.IsException():
			b.problems = append(b.problems, line)
		case m.Type == chromedp.ConsoleError && m.Source == "":
			b.problems = append(b.problems, "console."+line)
		case m.Type == chromedp.ConsoleError:
			b.network = append(b.network, m.Source+" "+line)
		}
		b.mu.Unlock()
	}
}

// finish is the cleanup of newBrowser.
func (b *browser) finish() {
	t := b.t
	if t.Failed() {
		if s, err := b.evalErr(`({connectionState: duplex.connectionState, state: duplex.state,
			pipeline: duplex.pipeline, states: window.__states, errors: duplex.errors, transcript: duplex.transcript,
			error: document.getElementById('error').hidden ? '' : document.getElementById('error-text').textContent})`); err == nil {
			t.Logf("page state: %s", s)
		}
	}
	b.screenshot("final")
	// Errors the page caught itself and showed as "Unexpected error" are
	// uncaught exceptions too (its window error handlers hide them from the
	// console).
	if s, err := b.evalErr(`duplex.errors.filter((e) => e.message.startsWith('Unexpected error')).map((e) => e.message)`); err == nil && s != "[]" {
		t.Errorf("the page caught unexpected errors: %s", s)
	}
	b.cancel()
	<-b.consoleDone
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("browser console: %s", p)
	}
	for _, n := range b.network {
		if slices.ContainsFunc(b.expectNetworkErrors, func(s string) bool { return strings.Contains(n, s) }) {
			t.Logf("browser log (expected): %s", n)
		} else {
			t.Errorf("browser log: %s", n)
		}
	}
}

// screenshot writes a PNG of the viewport and logs its path.
func (b *browser) screenshot(name string) string {
	return b.capture(name, chromedp.CaptureScreenshot())
}

// fullScreenshot writes a PNG of the whole page and logs its path.
func (b *browser) fullScreenshot(name string) string {
	return b.capture(name, chromedp.FullScreenshot(100))
}

func (b *browser) capture(name string, shot chromedp.Action[[]byte]) string {
	t := b.t
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	dir := os.Getenv("DUPLEX_E2E_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("screenshot: %v", err)
		return ""
	}
	path := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Logf("screenshot: %v", err)
		return ""
	}
	t.Logf("screenshot: %s", path)
	return path
}

// do runs actions with a timeout.
func (b *browser) do(timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// open loads the page and waits until the client has set itself up.
func (b *browser) open(url string) {
	b.t.Helper()
	b.do(15*time.Second, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("call")))
	b.waitJS(5*time.Second, "the client to load", `!!window.duplex && document.getElementById('call').disabled === false`)
}

// click clicks an element by id with a real (trusted) mouse event.
func (b *browser) click(id string) {
	b.t.Helper()
	b.do(10*time.Second, chromedp.Click(chromedp.ID(id)))
}

// evalErr evaluates expr (awaiting a promise) into a JSON string.
func (b *browser) evalErr(expr string) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	return string(raw), err
}

// eval evaluates expr and decodes its JSON value into a T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	raw, err := b.evalErr(expr)
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	var v T
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		b.t.Fatalf("evaluating %s: %s: %v", expr, raw, err)
	}
	return v
}

// waitJS polls a JavaScript condition (which may return a promise) every
// 100 ms until it is truthy.
func (b *browser) waitJS(timeout time.Duration, what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		raw, err := b.evalErr(`(async () => !!(` + cond + `))()`)
		if err == nil && raw == "true" {
			return
		}
		if err != nil {
			last = err.Error()
		}
		if time.Now().After(deadline) || errors.Is(b.ctx.Err(), context.Canceled) {
			b.t.Fatalf("timed out after %v waiting for %s (%s) %s", timeout, what, cond, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// expectNoPageErrors fails if the page shows or recorded any error.
func (b *browser) expectNoPageErrors() {
	b.t.Helper()
	if errs := eval[[]map[string]any](b, `duplex.errors`); len(errs) > 0 {
		b.t.Errorf("the page recorded errors: %v", errs)
	}
	if shown := eval[bool](b, `!document.getElementById('error').hidden`); shown {
		b.t.Errorf("the error banner is shown: %q", eval[string](b, `document.getElementById('error-text').textContent`))
	}
}

// inboundAudio returns the inbound-rtp audio stats of the call.
type audioStats struct {
	Energy  float64 `json:"totalAudioEnergy"`
	Level   float64 `json:"audioLevel"`
	Packets float64 `json:"packetsReceived"`
	Samples float64 `json:"totalSamplesReceived"`
}

func (b *browser) inboundAudio() audioStats {
	b.t.Helper()
	return eval[audioStats](b, `(async () => {
		const out = {totalAudioEnergy: 0, audioLevel: 0, packetsReceived: 0, totalSamplesReceived: 0};
		if (!duplex.pc) return out;
		(await duplex.pc.getStats()).forEach((r) => {
			if (r.type !== 'inbound-rtp' || r.kind !== 'audio') return;
			for (const k of Object.keys(out)) out[k] = Math.max(out[k], r[k] || 0);
		});
		return out;
	})()`)
}
