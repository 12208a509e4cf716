// Package fleet holds the many-node test: three duplex nodes and a real
// nginx (deploy/nginx.conf, ports rewritten) on loopback, callbot calls
// through the proxy, and one node stopped with SIGTERM in the middle.
// It runs only when DUPLEX_FLEET=1 (`make fleet-test`), needs nginx and
// espeak-ng, and takes about a minute.
package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/wav"
)

const (
	nodes    = 3
	calls    = 60
	ramp     = 5.0 // new calls per second
	stopNode = 1   // the node stopped mid-test
	// stopAfter: SIGTERM once this many calls have been started, so that
	// the stopped node holds calls and later calls must avoid it.
	stopAfter = calls / 2
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type node struct {
	id      string
	port    int
	dataDir string
	cmd     *exec.Cmd
	exited  chan struct{}
	stopped time.Time
}

// setupTimer records how long POST /v1/calls took through the proxy and
// where each call landed.
type setupTimer struct {
	mu    sync.Mutex
	times []time.Duration
	next  http.RoundTripper
}

func (s *setupTimer) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := s.next.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost && r.URL.Path == "/v1/calls" && resp.StatusCode == http.StatusCreated {
		s.mu.Lock()
		s.times = append(s.times, time.Since(start))
		s.mu.Unlock()
	}
	return resp, err
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func TestFleet(t *testing.T) {
	if os.Getenv("DUPLEX_FLEET") != "1" {
		t.Skip("the fleet test runs with DUPLEX_FLEET=1 (make fleet-test)")
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx = "/usr/sbin/nginx"
		if _, err := os.Stat(nginx); err != nil {
			t.Fatal("nginx is not installed (make fleet-test installs it)")
		}
	}
	espeak, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Fatal("espeak-ng is not installed")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil { // nginx workers run as nobody under root
		t.Fatal(err)
	}
	bin := os.Getenv("DUPLEX_BIN")
	if bin == "" {
		bin = filepath.Join(dir, "duplex")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/duplex-ai/duplex/cmd/duplex").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}

	// The utterance every caller says.
	wavPath := filepath.Join(dir, "say.wav")
	if out, err := exec.Command(espeak, "-v", "en-us", "-s", "150", "-w", wavPath, "hello, how are you today").CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v\n%s", err, out)
	}
	pcm, rate, err := wav.ReadFile(wavPath)
	if err != nil {
		t.Fatal(err)
	}

	// Three nodes.
	ns := make([]*node, nodes)
	for i := range ns {
		n := &node{id: fmt.Sprintf("node-%d", i), port: freePort(t), dataDir: filepath.Join(dir, fmt.Sprintf("data-%d", i)), exited: make(chan struct{})}
		logf, err := os.Create(filepath.Join(dir, n.id+".log"))
		if err != nil {
			t.Fatal(err)
		}
		n.cmd = exec.Command(bin, "-addr", fmt.Sprintf("127.0.0.1:%d", n.port), "-node-id", n.id,
			"-pipeline", "echo", "-data-dir", n.dataDir, "-token-secret", "fleet secret",
			"-max-calls-per-ip", "0", "-rate-limit", "0", "-trusted-proxy", "127.0.0.1/32",
			"-shutdown-grace", "10s", "-log-format", "json", "-log-level", "info")
		n.cmd.Stdout, n.cmd.Stderr = logf, logf
		if err := n.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { _ = n.cmd.Wait(); _ = logf.Close(); close(n.exited) }()
		ns[i] = n
	}
	t.Cleanup(func() {
		for _, n := range ns {
			_ = n.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, n := range ns {
			select {
			case <-n.exited:
			case <-time.After(20 * time.Second):
				_ = n.cmd.Process.Kill()
				<-n.exited
			}
		}
		if t.Failed() {
			for _, n := range ns {
				b, _ := os.ReadFile(filepath.Join(dir, n.id+".log"))
				t.Logf("%s log (tail):\n%s", n.id, tail(string(b), 3000))
			}
		}
	})

	// nginx with deploy/nginx.conf, its node ports and listen port rewritten.
	conf, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	proxyPort := freePort(t)
	c := strings.ReplaceAll(string(conf), "listen 8080;", fmt.Sprintf("listen 127.0.0.1:%d;", proxyPort))
	for i, n := range ns {
		c = strings.ReplaceAll(c, fmt.Sprintf("127.0.0.1:%d", 8081+i), fmt.Sprintf("127.0.0.1:%d", n.port))
	}
	if err := os.WriteFile(filepath.Join(dir, "duplex.conf"), []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/duplex.conf;
}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nginx, "-t", "-p", dir, "-c", filepath.Join(dir, "nginx.conf")).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	ng := exec.Command(nginx, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"))
	ngOut, _ := os.Create(filepath.Join(dir, "nginx.out"))
	ng.Stdout, ng.Stderr = ngOut, ngOut
	if err := ng.Start(); err != nil {
		t.Fatal(err)
	}
	ngDone := make(chan struct{})
	go func() { _ = ng.Wait(); close(ngDone) }()
	t.Cleanup(func() {
		_ = ng.Process.Signal(syscall.SIGQUIT)
		select {
		case <-ngDone:
		case <-time.After(10 * time.Second):
			_ = ng.Process.Kill()
			<-ngDone
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "nginx-error.log"))
			t.Logf("nginx error log:\n%s", tail(string(b), 3000))
		}
	})
	proxy := fmt.Sprintf("http://127.0.0.1:%d", proxyPort)
	waitOK(t, proxy+"/healthz", 20*time.Second)
	for _, n := range ns {
		waitOK(t, fmt.Sprintf("http://127.0.0.1:%d/healthz", n.port), 20*time.Second)
	}

	// 60 calls through the proxy, ramped; SIGTERM one node half way.
	timer := &setupTimer{next: &http.Transport{MaxIdleConnsPerHost: 64}}
	hc := &http.Client{Transport: timer, Timeout: 30 * time.Second}
	type outcome struct {
		started time.Time
		res     *callbot.Result
		err     error
	}
	load0 := loadAvg()
	outs := make([]outcome, calls)
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	stopped := ns[stopNode]
	for i := range calls {
		// DUPLEX_FLEET_NO_STOP=1: the same load with no node stopped, to
		// tell what the stop costs from what the load costs.
		if i == stopAfter && os.Getenv("DUPLEX_FLEET_NO_STOP") == "" {
			stopped.stopped = time.Now()
			if err := stopped.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
		outs[i].started = time.Now()
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i].res, outs[i].err = callbot.Run(ctx, callbot.Options{
				Server: proxy, HTTPClient: hc, Turns: [][]int16{pcm, pcm}, AudioRate: rate,
				Tail: 2 * time.Second, TurnTimeout: 15 * time.Second, Wait: 2,
				Log: zerolog.Nop(),
			})
		}()
		time.Sleep(time.Duration(float64(time.Second) / ramp))
	}
	wg.Wait()
	noStop := os.Getenv("DUPLEX_FLEET_NO_STOP") != ""
	if !noStop {
		select {
		case <-stopped.exited:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not exit after SIGTERM", stopped.id)
		}
	}

	// Outcomes.
	locRE := regexp.MustCompile(`/v1/calls/([A-Za-z0-9_-]+)\.([0-9a-f]{32})`)
	perNode := map[string]int{}
	var held, drained, lost int
	var problems []string
	// Reply audio of the surviving nodes' calls: those that were on a call
	// while the node stopped (overlap), and all of them.
	var survivors, overlap callbot.Continuity
	var overlapCalls int
	stopAt := stopped.stopped
	for i, o := range outs {
		if o.err != nil {
			lost++
			problems = append(problems, fmt.Sprintf("call %d: set-up: %v", i, o.err))
			continue
		}
		m := locRE.FindStringSubmatch(o.res.CallURL)
		if m == nil {
			lost++
			problems = append(problems, fmt.Sprintf("call %d: call URL %q names no node", i, o.res.CallURL))
			continue
		}
		nodeID, callID := m[1], m[2]
		perNode[nodeID]++
		entries, err := readTranscript(filepath.Join(ns[nodeIndex(nodeID)].dataDir, callID+".jsonl"))
		if err != nil {
			lost++
			problems = append(problems, fmt.Sprintf("call %d on %s: transcript: %v", i, nodeID, err))
			continue
		}
		end := entries[len(entries)-1]
		if entries[0]["kind"] != "call.start" || end["kind"] != "call.end" {
			lost++
			problems = append(problems, fmt.Sprintf("call %d on %s: transcript incomplete (%d lines, last %v)", i, nodeID, len(entries), end["kind"]))
			continue
		}
		switch {
		case noStop:
			// No node stopped: every call is judged as held below.
			fallthrough
		case nodeID != stopped.id:
			// Both turns answered (callbot saw each reply begin and end),
			// no error, hung up by the caller.
			if !o.res.OK || end["reason"] != "client_hangup" || len(o.res.Turns) < 2 {
				lost++
				problems = append(problems, fmt.Sprintf("call %d on %s: ok=%v, %d turns, reason %v, errors %v",
					i, nodeID, o.res.OK, len(o.res.Turns), end["reason"], o.res.Errors))
				continue
			}
			held++
			survivors.Add(o.res.Audio)
			// A call spans the stop when it started before it and ran
			// past it (each call lasts several seconds).
			if !noStop && o.started.Before(stopAt) && o.started.Add(callSpan(o.res)).After(stopAt) {
				overlapCalls++
				overlap.Add(o.res.Audio)
			}
			if o.res.Audio.Gaps > 0 {
				problems = append(problems, fmt.Sprintf("call %d on %s: %d gaps > 60 ms in its reply audio (longest %.0f ms, %d frames; "+
					"DUPLEX_FLEET_NO_STOP=1 tells the load's share from the stop's)",
					i, nodeID, o.res.Audio.Gaps, o.res.Audio.MaxGapMS, o.res.Audio.Frames))
			}
		case o.started.After(stopped.stopped):
			lost++
			problems = append(problems, fmt.Sprintf("call %d landed on %s after its SIGTERM", i, nodeID))
		case nodeID == stopped.id:
			if end["reason"] != "server_shutdown" && end["reason"] != "client_hangup" {
				lost++
				problems = append(problems, fmt.Sprintf("call %d on the stopped node ended %v", i, end["reason"]))
				continue
			}
			if !endingSeen(o.res) && end["reason"] == "server_shutdown" {
				var last []string
				for _, e := range o.res.Events[max(0, len(o.res.Events)-4):] {
					last = append(last, e.Type)
				}
				problems = append(problems, fmt.Sprintf("call %d on the stopped node got no session.ending (call %s lasted %v ms; last events %v; errors %v)", i, callID, end["duration_ms"], last, o.res.Errors))
				lost++
				continue
			}
			drained++
		}
	}
	timer.mu.Lock()
	setups := timer.times
	timer.mu.Unlock()
	report := fmt.Sprintf("fleet: %d calls through nginx to %d nodes %v; %s stopped (SIGTERM) after call %d: "+
		"held %d, ended by the drain %d, lost %d; set-up through the proxy (POST → 201) p50 %v, p95 %v, max %v over %d; "+
		"surviving nodes' reply audio: %d frames, %d gaps > 60 ms (longest %.0f ms), %d late, %d lost; "+
		"of it, the %d calls live across the stop: %d frames, %d gaps, %d late; load average %s → %s",
		calls, nodes, perNode, stopped.id, stopAfter, held, drained, lost,
		pct(setups, 0.5).Round(time.Millisecond), pct(setups, 0.95).Round(time.Millisecond), pct(setups, 1).Round(time.Millisecond), len(setups),
		survivors.Frames, survivors.Gaps, survivors.MaxGapMS, survivors.LateFrames, survivors.Lost,
		overlapCalls, overlap.Frames, overlap.Gaps, overlap.LateFrames, load0, loadAvg())
	t.Log(report)
	if out := os.Getenv("DUPLEX_FLEET_REPORT"); out != "" {
		_ = os.WriteFile(out, []byte(report+"\n"), 0o644)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if !noStop && overlapCalls == 0 {
		t.Errorf("no call on a surviving node was live when %s stopped: the no-gap check measured nothing", stopped.id)
	}
	if survivors.Frames == 0 {
		t.Error("no reply audio measured on the surviving nodes")
	}
	if perNode[stopped.id] == 0 {
		t.Errorf("no call landed on %s before its SIGTERM: the drain was not exercised", stopped.id)
	}
}

// callSpan is how long a call lasted from its start: the audio it sent
// runs from the first frame to the hang up.
func callSpan(res *callbot.Result) time.Duration {
	return time.Duration(res.AudioSentMS * float64(time.Millisecond))
}

// loadAvg is the machine's 1-minute load average, for the report: the
// callers share the machine with the nodes, and a busy machine delays
// their packets.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

func nodeIndex(id string) int {
	var i int
	_, _ = fmt.Sscanf(id, "node-%d", &i)
	return i
}

func endingSeen(res *callbot.Result) bool {
	for _, e := range res.Events {
		if e.Type == "session.ending" {
			return true
		}
	}
	return false
}

func readTranscript(path string) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("line %d: %w", len(out)+1, err)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty")
	}
	return out, sc.Err()
}

func waitOK(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %v (%v)", url, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
