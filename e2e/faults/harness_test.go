package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/pion/transport/v5/vnet"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/testtier"
	"github.com/duplex-ai/duplex/internal/wav"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/signaling"
	"github.com/duplex-ai/duplex/transcript"
	"github.com/duplex-ai/duplex/vad"
)

func TestMain(m *testing.M) {
	if testtier.SkipPackage("network-fault calls in real time") {
		return
	}
	zerolog.TimeFieldFormat = zerolog.TimeFormatUnixMs // log lines to the ms
	goleak.VerifyTestMain(m)
}

// Addresses on the virtual network (TEST-NET-1: never routed anywhere).
const (
	vnetCIDR = "192.0.2.0/24"
	serverIP = "192.0.2.10"
	callerIP = "192.0.2.20"
	// roamIP is the caller's address after a network change.
	roamIP = "192.0.2.21"
)

// Server ICE timeouts for every scenario: a caller silent for 1 s is
// disconnected, and failed 3 s later (4 s of silence in all). The partition
// (2 s) stays below both the failed timeout and the total.
const (
	iceDisconnected = time.Second
	iceFailed       = 3 * time.Second
	iceKeepalive    = 250 * time.Millisecond
)

// seed returns the seed of the random faults: def, or DUPLEX_FAULTS_SEED.
func seed(t *testing.T, def int64) int64 {
	t.Helper()
	if s := os.Getenv("DUPLEX_FAULTS_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("DUPLEX_FAULTS_SEED: %v", err)
		}
		return v
	}
	return def
}

// ---------------------------------------------------------------------------
// The impaired link

// packet is what a link policy knows about one UDP datagram.
type packet struct {
	at time.Duration // since the link was made
	up bool          // caller → server; false: server → caller
	// host is the caller-side address: the source, or the destination of
	// the server's packets.
	host string
	rtp  bool   // an SRTP media packet (not RTCP, STUN, DTLS or SCTP)
	seq  uint16 // RTP sequence number (rtp only)
	ts   uint32 // RTP timestamp (rtp only)
	// media is, for the caller's RTP, the media time of the packet since
	// the first one (its RTP timestamp offset): sample 0 of the callbot's
	// timeline, the start of its lead silence.
	media time.Duration
	// n counts the RTP packets of this direction before this one.
	n int
}

// policy decides whether a packet is delivered. It runs on the router's
// goroutine with the link locked, one packet at a time.
type policy func(p packet) bool

// rtpRecord is a server → caller RTP packet as the server sent it.
type rtpRecord struct {
	seq uint16
	ts  uint32
}

// link is the chunk filter of the vnet router: it classifies every UDP
// datagram, applies the current policy and, with jitter, gives each
// delivered packet a random queueing delay.
type link struct {
	start time.Time

	mu      sync.Mutex
	rng     *rand.Rand
	pol     policy
	jitter  time.Duration
	delays  map[string]*vnet.DelayFilter // by destination IP
	haveTS0 bool
	ts0     uint32
	// Counters: RTP in each direction, everything else; sent and dropped.
	upRTP, upRTPDropped     int
	downRTP, downRTPDropped int
	other, otherDropped     int
	down                    []rtpRecord
	maxDelay                time.Duration
	lastUp                  time.Duration
	upPauses                []pause // the caller's RTP stopped reaching the router
}

func newLink(seed int64) *link {
	return &link{start: time.Now(), rng: rand.New(rand.NewSource(seed)), delays: map[string]*vnet.DelayFilter{}}
}

// set replaces the policy; nil delivers everything.
func (l *link) set(p policy) {
	l.mu.Lock()
	l.pol = p
	l.mu.Unlock()
}

// float returns a number in [0, 1) from the link's seeded generator; only
// for policies (they run with the link locked).
func (l *link) float() float64 { return l.rng.Float64() }

// isRTP tells SRTP media from everything else on the 5-tuple (RFC 7983:
// first byte 128–191 is RTP or RTCP; RTCP packet types 192–223 sit where
// RTP has the marker bit and payload type, RFC 5761).
func isRTP(b []byte) bool {
	return len(b) >= 12 && b[0] >= 128 && b[0] <= 191 && (b[1] < 192 || b[1] > 223)
}

func (l *link) filter(c vnet.Chunk) bool {
	src, ok := c.SourceAddr().(*net.UDPAddr)
	if !ok {
		return true
	}
	dst, _ := c.DestinationAddr().(*net.UDPAddr)
	l.mu.Lock()
	defer l.mu.Unlock()
	p := packet{at: time.Since(l.start), up: src.IP.String() == callerIP, host: src.IP.String()}
	if src.IP.String() == serverIP && dst != nil {
		p.host = dst.IP.String()
	}
	if b := c.UserData(); isRTP(b) {
		var h rtp.Header
		if _, err := h.Unmarshal(b); err == nil {
			p.rtp, p.seq, p.ts = true, h.SequenceNumber, h.Timestamp
		}
	}
	if p.rtp {
		if p.up {
			if g := p.at - l.lastUp; l.upRTP > 0 && g > pauseReport {
				l.upPauses = append(l.upPauses, pause{l.lastUp, g})
			}
			l.lastUp = p.at
			if !l.haveTS0 {
				l.haveTS0, l.ts0 = true, p.ts
			}
			p.media = time.Duration(int32(p.ts-l.ts0)) * time.Second / 48000
			p.n = l.upRTP
		} else {
			p.n = l.downRTP
			l.down = append(l.down, rtpRecord{p.seq, p.ts})
		}
	}
	deliver := l.pol == nil || l.pol(p)
	switch {
	case p.rtp && p.up:
		l.upRTP++
		if !deliver {
			l.upRTPDropped++
		}
	case p.rtp:
		l.downRTP++
		if !deliver {
			l.downRTPDropped++
		}
	default:
		l.other++
		if !deliver {
			l.otherDropped++
		}
	}
	if deliver && l.jitter > 0 && dst != nil {
		if df := l.delays[dst.IP.String()]; df != nil {
			// The next chunk the filter of dst receives is this one: the
			// router delivers each chunk right after filtering it, from
			// its one goroutine.
			d := time.Duration(l.rng.Int63n(int64(l.jitter) + 1))
			l.maxDelay = max(l.maxDelay, d)
			df.SetDelay(d)
		}
	}
	return deliver
}

// linkStats is a snapshot of the link's counters.
type linkStats struct {
	upRTP, upRTPDropped     int
	downRTP, downRTPDropped int
	other, otherDropped     int
	down                    []rtpRecord
	maxDelay                time.Duration
}

func (l *link) stats() linkStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return linkStats{l.upRTP, l.upRTPDropped, l.downRTP, l.downRTPDropped, l.other, l.otherDropped,
		append([]rtpRecord(nil), l.down...), l.maxDelay}
}

func (s linkStats) upLoss() float64 {
	if s.upRTP == 0 {
		return 0
	}
	return float64(s.upRTPDropped) / float64(s.upRTP)
}

// runs splits the server's RTP stream into continuous runs. The server
// sends nothing while idle and resumes with a timestamp jump (its paced
// writer skips the idle ticks in RTP time only), so each reply is one run
// when its audio was written without a break. seqBreaks counts places
// where the sequence number did not advance by one (a packet the server
// skipped, repeated or reordered), which must never happen.
func runs(down []rtpRecord) (lengths []int, seqBreaks int) {
	for i, r := range down {
		if i == 0 {
			lengths = append(lengths, 1)
			continue
		}
		prev := down[i-1]
		if r.seq-prev.seq != 1 {
			seqBreaks++
		}
		if r.ts-prev.ts != 960 {
			lengths = append(lengths, 1)
			continue
		}
		lengths[len(lengths)-1]++
	}
	return lengths, seqBreaks
}

// ---------------------------------------------------------------------------
// Stalls

// pauseReport: the caller sends a packet every 20 ms; a longer pause at
// the router, or a longer stall of a goroutine that wakes every 10 ms, is
// reported with the test's outcome.
const pauseReport = 250 * time.Millisecond

// pause is a stretch of time (since the link was made) without something
// that should have happened.
type pause struct{ at, length time.Duration }

func (p pause) String() string {
	return fmt.Sprintf("%v at %v", p.length.Round(time.Millisecond), p.at.Round(time.Millisecond))
}

// stallWatch records when this process was not scheduled: a goroutine
// that sleeps 10 ms at a time notes every late wake-up. The tests run
// real-time audio, so a machine too busy to run them shows up here (and
// then as ICE disconnects, dropped frames and late replies), which tells a
// starved test run from a server fault.
type stallWatch struct {
	start  time.Time
	stop   chan struct{}
	done   chan struct{}
	stalls []pause // written by the goroutine, read after done
}

func watchStalls(start time.Time) *stallWatch {
	w := &stallWatch{start: start, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-w.stop:
				return
			case now := <-tick.C:
				if g := now.Sub(last); g > pauseReport {
					w.stalls = append(w.stalls, pause{last.Sub(w.start), g})
				}
				last = now
			}
		}
	}()
	return w
}

// end stops the watch and returns the stalls seen.
func (w *stallWatch) end() []pause {
	close(w.stop)
	<-w.done
	return w.stalls
}

// ---------------------------------------------------------------------------
// Logs

// logSink keeps every log line of the server and the caller; the test
// dumps them if it fails, and reads the server's JSON lines.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
	// wrote, once asked for, is closed by the next write.
	wrote chan struct{}
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wrote != nil {
		close(s.wrote)
		s.wrote = nil
	}
	return s.buf.Write(p)
}

// written returns a channel that the next log line closes.
func (s *logSink) written() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wrote == nil {
		s.wrote = make(chan struct{})
	}
	return s.wrote
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// lines returns the JSON log lines whose message is msg.
func (s *logSink) lines(msg string) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(s.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// num reads a numeric field of a log line (0 if absent).
func num(m map[string]any, k string) float64 {
	v, _ := m[k].(float64)
	return v
}

// ---------------------------------------------------------------------------
// The test bed

type bedOptions struct {
	pipeline pipeline.Pipeline
	seed     int64
	// jitter, when > 0, delays every delivered packet (both directions) by
	// a uniform random time in [0, jitter]; each host's inbound queue stays
	// first in, first out, as on a real path: packets bunch, never reorder.
	jitter time.Duration
	// transcripts, when set, keeps the calls' transcripts and serves them.
	transcripts *transcript.Store
	// resumeWindow is the server's Config.ResumeWindow.
	resumeWindow time.Duration
}

// bed is a Duplex server and a caller network on one vnet router.
type bed struct {
	t         *testing.T
	link      *link
	callerNet *vnet.Net
	roamNet   *vnet.Net
	mgr       *session.Manager
	hs        *httptest.Server
	logs      *logSink
	serverLog zerolog.Logger
	callerLog zerolog.Logger
}

func newBed(t *testing.T, opt bedOptions) *bed {
	t.Helper()
	logs := &logSink{}
	b := &bed{t: t, link: newLink(opt.seed), logs: logs}
	b.link.jitter = opt.jitter
	b.serverLog = zerolog.New(logs).Level(zerolog.DebugLevel).With().Timestamp().Str("side", "server").Logger()
	b.callerLog = zerolog.New(logs).Level(zerolog.DebugLevel).With().Timestamp().Str("side", "caller").Logger()
	stalls := watchStalls(b.link.start)
	t.Cleanup(func() {
		// Runs last: everything else is closed.
		if s := stalls.end(); len(s) > 0 {
			t.Logf("the test process was not scheduled for %v (busy machine): late packets, ICE disconnects or dropped frames then are the machine's doing, not the server's", s)
		}
		b.link.mu.Lock()
		p := b.link.upPauses
		b.link.mu.Unlock()
		if len(p) > 0 {
			t.Logf("the caller's audio stopped reaching the router for %v", p)
		}
		if t.Failed() || os.Getenv("DUPLEX_FAULTS_LOGS") != "" {
			t.Logf("logs:\n%s", logs.String())
		}
	})

	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: vnetCIDR, LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		t.Fatal(err)
	}
	serverNet, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{serverIP}})
	if err != nil {
		t.Fatal(err)
	}
	b.callerNet, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{callerIP}})
	if err != nil {
		t.Fatal(err)
	}
	b.roamNet, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{roamIP}})
	if err != nil {
		t.Fatal(err)
	}
	nics := map[string]vnet.NIC{serverIP: serverNet, callerIP: b.callerNet, roamIP: b.roamNet}
	var delays []*vnet.DelayFilter
	if opt.jitter > 0 {
		for ip, n := range nics {
			df, err := vnet.NewDelayFilter(n)
			if err != nil {
				t.Fatal(err)
			}
			delays = append(delays, df)
			b.link.delays[ip] = df
			nics[ip] = df
		}
	}
	for _, n := range nics {
		if err := router.AddNet(n); err != nil {
			t.Fatal(err)
		}
	}
	router.AddChunkFilter(b.link.filter)
	if err := router.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = router.Stop()
		for _, df := range delays {
			_ = df.Close()
		}
	})

	mgr, err := session.NewManager(session.Config{
		Pipeline:               opt.pipeline,
		Net:                    serverNet,
		ICEDisconnectedTimeout: iceDisconnected,
		ICEFailedTimeout:       iceFailed,
		ICEKeepalive:           iceKeepalive,
		Transcripts:            opt.transcripts,
		ResumeWindow:           opt.resumeWindow,
		Log:                    b.serverLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	b.mgr = mgr
	b.hs = httptest.NewServer(signaling.New(mgr, signaling.Options{Log: b.serverLog, Transcripts: opt.transcripts}))
	t.Cleanup(b.close)
	return b
}

// close stops the HTTP server and ends every call (cleanups run it too).
func (b *bed) close() {
	b.hs.CloseClientConnections()
	b.hs.Close()
	_ = b.mgr.Close(session.ReasonServerShutdown)
}

// call runs the callbot on the caller's network.
func (b *bed) call(ctx context.Context, opt callbot.Options) *callbot.Result {
	b.t.Helper()
	opt.Server = b.hs.URL
	opt.Net = b.callerNet
	opt.Log = b.callerLog
	res, err := callbot.Run(ctx, opt)
	if err != nil {
		b.t.Fatalf("callbot: %v", err)
	}
	return res
}

// callOutcome is what one callbot run gave.
type callOutcome struct {
	res *callbot.Result
	err error
}

// callUntilCancelled runs the callbot saying sp on the caller's network in
// the background, listening (a minute's tail) until ctx ends; the outcome
// comes on the channel, which the test must read.
func (b *bed) callUntilCancelled(ctx context.Context, sp speech) <-chan callOutcome {
	done := make(chan callOutcome, 1)
	go func() {
		res, err := callbot.Run(ctx, callbot.Options{
			Server: b.hs.URL, Net: b.callerNet, Log: b.callerLog,
			Turns: [][]int16{sp.pcm}, AudioRate: sp.rate, Tail: time.Minute,
		})
		done <- callOutcome{res, err}
	}()
	return done
}

// audioTrackStats returns the server's receiver counters of the caller's
// audio, logged when the call ended.
func (b *bed) audioTrackStats() (packets, lost, concealed float64) {
	b.t.Helper()
	for _, m := range b.logs.lines("audio track ended") {
		if m["side"] == "server" && m["kind"] == "audio" {
			return num(m, "packets"), num(m, "lost"), num(m, "concealed")
		}
	}
	b.t.Fatal("the server logged no \"audio track ended\"")
	return 0, 0, 0
}

// serverStates lists the peer connection states the server went through.
func (b *bed) serverStates() []string {
	var out []string
	for _, m := range b.logs.lines("connection state") {
		if m["side"] == "server" {
			s, _ := m["state"].(string)
			out = append(out, s)
		}
	}
	return out
}

// awaitStates waits, woken by each log line, until the server's peer
// connection states satisfy ok, and returns them (as they are at the
// timeout if they never do).
func (b *bed) awaitStates(ok func(states []string) bool, timeout time.Duration) []string {
	deadline := time.After(timeout)
	for {
		wrote := b.logs.written()
		states := b.serverStates()
		if ok(states) {
			return states
		}
		select {
		case <-wrote:
		case <-deadline:
			return b.serverStates()
		}
	}
}

// waitIdle waits until the server has no live call.
func (b *bed) waitIdle(timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for b.mgr.Active() != 0 {
		if time.Now().After(deadline) {
			b.t.Fatalf("%d calls still live after %v", b.mgr.Active(), timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// Pipelines and speech

// echoPipeline is the turn-based echo: VAD end of turn, then the
// utterance (with its pre-roll) is played back.
func echoPipeline(t *testing.T) pipeline.Pipeline {
	t.Helper()
	det, err := dialogue.VADFactory(vad.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return dialogue.Echo{NewDetector: det}
}

// need finds an external program: without it the test fails under CI and
// skips elsewhere.
func need(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found (Debian package %s; make test installs it)", name, pkg)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// speech is an utterance rendered by espeak-ng.
type speech struct {
	pcm  []int16
	rate int
}

func (s speech) duration() time.Duration {
	return time.Duration(len(s.pcm)) * time.Second / time.Duration(s.rate)
}

// speak renders text with an espeak-ng voice at 150 words per minute.
func speak(t *testing.T, voice, text string) speech {
	t.Helper()
	bin := need(t, "espeak-ng", "espeak-ng")
	path := filepath.Join(t.TempDir(), "say.wav")
	if out, err := exec.Command(bin, "-v", voice, "-s", "150", "-w", path, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	pcm, rate, err := wav.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return speech{pcm, rate}
}

// frameDBFS returns the level of each 20 ms frame of s.
func (s speech) frameDBFS() []float64 {
	n := s.rate / 50
	var out []float64
	for i := 0; i+n <= len(s.pcm); i += n {
		var e float64
		for _, v := range s.pcm[i : i+n] {
			e += float64(v) * float64(v)
		}
		rms := math.Sqrt(e / float64(n))
		out = append(out, 20*math.Log10(max(rms, 1)/32768))
	}
	return out
}

// echoTurns are the phrases of the echo scenarios: short (about 1.5 s),
// distinct, without long internal pauses.
var echoTurns = []string{
	"one two three four five",
	"the quick brown fox jumps",
	"please call me back later",
}

func speakAll(t *testing.T, texts []string) ([][]int16, int, time.Duration) {
	t.Helper()
	var turns [][]int16
	rate := 0
	var longest time.Duration
	for _, s := range texts {
		sp := speak(t, "en-us", s)
		turns = append(turns, sp.pcm)
		rate = sp.rate
		longest = max(longest, sp.duration())
	}
	return turns, rate, longest
}

// ---------------------------------------------------------------------------
// Reading the result

// turnCount summarises an echo call: turns the server detected (state
// user_speaking) and turns answered (reply audio heard after the end of
// the utterance, before the next turn).
type turnCount struct {
	sent, detected, answered int
}

func countTurns(res *callbot.Result, sent int) turnCount {
	c := turnCount{sent: sent}
	for _, ev := range res.Events {
		if ev.Type == events.TypeState && ev.State == events.StateUserSpeaking {
			c.detected++
		}
	}
	for _, tr := range res.Turns {
		if tr.LatencyMS > 0 {
			c.answered++
		}
	}
	return c
}

// successes is the number of utterances that got exactly one turn with a
// reply: the answered turns, less any split (an utterance detected as two
// turns is a failure even if both halves were echoed).
func (c turnCount) successes() int {
	split := max(0, c.detected-c.sent)
	return max(0, min(c.answered, c.sent)-split)
}

func (c turnCount) String() string {
	return fmt.Sprintf("%d/%d turns answered (%d detected, %d answered)", c.successes(), c.sent, c.detected, c.answered)
}

func logResult(t *testing.T, res *callbot.Result) {
	t.Helper()
	b, _ := json.Marshal(res)
	t.Logf("callbot result: %s", b)
}
