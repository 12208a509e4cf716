package clients

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/internal/testtier"
	"github.com/duplex-ai/duplex/internal/wav"
)

// TestMain fails the package if a test leaves a goroutine behind.
func TestMain(m *testing.M) {
	if testtier.SkipPackage("real Chromium and client libraries") {
		return
	}
	goleak.VerifyTestMain(m)
}

// skipOrFail skips a test whose prerequisites are missing, except under CI.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// bundlePath returns build/<name>.js, built by scripts/deps.sh.
func bundlePath(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("build", name+".js"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		skipOrFail(t, fmt.Sprintf("%s is missing: run scripts/deps.sh (make deps) to install and bundle the client libraries", p))
	}
	return p
}

// request is one HTTP request the stub received.
type request struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
}

// stub serves the test page and a bundle, and records what the clients
// send to the signaling paths, answering with status and body (no Duplex
// server here: the protocols are not served yet).
type stub struct {
	URL string

	mu   sync.Mutex
	reqs map[string][]request
}

// page loads one bundle and a helper that measures a track's level.
const page = `<!doctype html><meta charset="utf-8"><title>duplex clients</title>
<script>
window.__blocked = [];
document.addEventListener('securitypolicyviolation', (e) => window.__blocked.push(e.blockedURI));
</script>
<script src="/bundle/%s.js"></script>
<script>
// rmsOf returns the highest RMS level (full scale 1) of track seen within ms.
async function rmsOf(track, ms = 2000) {
  const ctx = new AudioContext();
  await ctx.resume();
  const src = ctx.createMediaStreamSource(new MediaStream([track]));
  const an = ctx.createAnalyser();
  an.fftSize = 2048;
  src.connect(an);
  const buf = new Float32Array(an.fftSize);
  let max = 0;
  for (const end = performance.now() + ms; performance.now() < end && max < 0.05; ) {
    await new Promise((r) => setTimeout(r, 50));
    an.getFloatTimeDomainData(buf);
    let s = 0;
    for (const v of buf) s += v * v;
    max = Math.max(max, Math.sqrt(s / buf.length));
  }
  await ctx.close();
  return max;
}
</script>`

func newStub(t *testing.T, bundle string, status int, body string) *stub {
	t.Helper()
	file := bundlePath(t, bundle)
	s := &stub{reqs: map[string][]request{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// Nothing but this server: a client that needs the internet fails here.
		w.Header().Set("Content-Security-Policy", "default-src 'self' blob: data:; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; connect-src 'self'")
		fmt.Fprintf(w, page, bundle)
	})
	mux.HandleFunc("GET /bundle/"+bundle+".js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, file)
	})
	record := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs[r.URL.Path] = append(s.reqs[r.URL.Path], request{r.Method, r.URL, r.Header.Clone(), b})
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
	mux.HandleFunc("/v1/realtime/calls", record)
	mux.HandleFunc("/api/offer", record)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// requests returns what was received on path.
func (s *stub) requests(path string) []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.reqs[path]...)
}

// browser is one headless Chromium tab with a fake microphone playing a
// tone. The page's Content-Security-Policy allows no request off the
// loopback stub; violations are recorded in window.__blocked.
type browser struct {
	t           *testing.T
	ctx         context.Context
	cancel      func()
	consoleDone chan struct{}

	mu         sync.Mutex
	exceptions []string // uncaught exceptions
	console    []string
}

// toneWAV writes a 2 s, 440 Hz tone at 0.3 of full scale (RMS 0.21) for
// the fake microphone (Chromium loops it).
func toneWAV(t *testing.T) string {
	t.Helper()
	const rate = 48000
	pcm := make([]int16, 2*rate)
	for i := range pcm {
		pcm[i] = int16(0.3 * 32767 * math.Sin(2*math.Pi*440*float64(i)/rate))
	}
	p := filepath.Join(t.TempDir(), "tone.wav")
	if err := wav.WriteFile(p, pcm, rate); err != nil {
		t.Fatal(err)
	}
	return p
}

func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("DUPLEX_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	skipOrFail(t, "chromium not found (Debian package chromium; make test installs it)")
	return ""
}

// newBrowser starts Chromium (flags from STACK-NOTES.md) and opens pageURL.
func newBrowser(t *testing.T, pageURL string) *browser {
	t.Helper()
	return newBrowserMic(t, pageURL, toneWAV(t))
}

// newBrowserMic is newBrowser with mic (a WAV file, looped) as the
// fake microphone.
func newBrowserMic(t *testing.T, pageURL, mic string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", mic),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, tcancel := context.WithTimeout(ctx, 150*time.Second) // the live tests run a whole conversation
	b := &browser{t: t, ctx: ctx, consoleDone: make(chan struct{}), cancel: func() { tcancel(); cancel(); acancel() }}
	msgs := chromedp.Console(ctx) // starts the browser; subscribes before the page loads
	go b.collect(msgs)
	t.Cleanup(b.close)
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("open %s: %v", pageURL, err)
	}
	return b
}

func (b *browser) collect(msgs iter.Seq2[chromedp.ConsoleMessage, error]) {
	defer close(b.consoleDone)
	for m, err := range msgs {
		if err != nil {
			return
		}
		b.mu.Lock()
		if m.IsException() {
			b.exceptions = append(b.exceptions, m.Text)
		}
		b.console = append(b.console, string(m.Type)+": "+m.Text)
		b.mu.Unlock()
	}
}

func (b *browser) close() {
	b.cancel()
	<-b.consoleDone
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.t.Failed() {
		for _, c := range b.console {
			b.t.Logf("browser console: %s", c)
		}
	}
	for _, e := range b.exceptions {
		b.t.Errorf("uncaught exception in the page: %s", e)
	}
}

// eval runs an async expression in the page and decodes its JSON value.
func (b *browser) eval(js string, out any) {
	b.t.Helper()
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate: %v", err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.t.Fatalf("result %s: %v", raw, err)
	}
}

// blocked returns the URLs the page tried to reach off the loopback stub.
func (b *browser) blocked() []string {
	b.t.Helper()
	var urls []string
	b.eval(`window.__blocked`, &urls)
	return urls
}
