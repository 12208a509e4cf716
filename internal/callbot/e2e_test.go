package callbot

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/wav"

	"github.com/duplex-ai/duplex/internal/testtier"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoServer is a minimal Duplex stand-in: POST /v1/calls answers with a
// pion PeerConnection that echoes the caller's Opus payloads back and sends
// a few events (or, with bot set, runs a toneBot); DELETE /v1/calls/{id}
// hangs up.
type echoServer struct {
	t   *testing.T
	bot *botConfig // nil: echo

	mu      sync.Mutex
	calls   map[string]*echoCall
	nextID  int
	deletes int
	last    *echoCall
	bots    []*toneBot
	wg      sync.WaitGroup // goroutines this server starts
}

type echoCall struct {
	pc           *webrtc.PeerConnection
	mu           sync.Mutex
	dc           *webrtc.DataChannel
	audioPackets atomic.Int64
	videoPackets atomic.Int64
	pliSent      atomic.Bool
	afterPLI     atomic.Int32 // 0 unknown, 1 key frame first after the PLI, 2 inter frame
	commands     []events.Command
	ready        chan struct{} // closed once session.ready went out
	bot          *toneBot      // nil: echo
}

func (c *echoCall) send(evs ...events.Event) {
	c.mu.Lock()
	dc := c.dc
	c.mu.Unlock()
	if dc == nil {
		return
	}
	for _, ev := range evs {
		b, _ := json.Marshal(ev)
		_ = dc.SendText(string(b))
	}
}

func newTestPC() (*webrtc.PeerConnection, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *echoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/calls":
		s.post(w, r)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v1/calls/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/calls/")
		s.mu.Lock()
		c := s.calls[id]
		delete(s.calls, id)
		if c != nil {
			s.deletes++
		}
		s.mu.Unlock()
		if c == nil {
			jsonError(w, http.StatusNotFound, "no such call")
			return
		}
		_ = c.pc.GracefulClose()
		w.WriteHeader(http.StatusNoContent)
	default:
		jsonError(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

func (s *echoServer) post(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/sdp" {
		jsonError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/sdp")
		return
	}
	offer, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	pc, err := newTestPC()
	if err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	c := &echoCall{pc: pc, ready: make(chan struct{})}
	if s.bot != nil {
		b, err := newToneBot(pc, *s.bot, c)
		if err != nil {
			_ = pc.Close()
			jsonError(w, http.StatusInternalServerError, err.Error())
			return
		}
		c.bot = b
		s.mu.Lock()
		s.bots = append(s.bots, b)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			b.run()
		}()
	}
	out, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "duplex")
	if err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if c.bot != nil {
		out = nil // the bot sends its own track
	}
	var sender *webrtc.RTPSender
	if out != nil {
		sender, err = pc.AddTrack(out)
	}
	if err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if sender != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				if _, _, err := sender.ReadRTCP(); err != nil {
					return
				}
			}
		}()
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if c.bot != nil && tr.Kind() == webrtc.RTPCodecTypeAudio {
			c.bot.listen(tr)
			return
		}
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if tr.Kind() == webrtc.RTPCodecTypeVideo {
				n := c.videoPackets.Add(1)
				// One-byte VP8 descriptor (S bit 0x10), then the frame tag.
				if c.pliSent.Load() && c.afterPLI.Load() == 0 && len(pkt.Payload) > 1 && pkt.Payload[0]&0x10 != 0 {
					if pkt.Payload[1]&1 == 0 {
						c.afterPLI.Store(1)
					} else {
						c.afterPLI.Store(2)
					}
				}
				if n == 5 { // mid-GOP: frames 1..9 of the clip are inter frames
					c.pliSent.Store(true)
					_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
				}
				continue
			}
			if c.bot != nil {
				continue
			}
			if err := out.WriteRTP(pkt); err != nil && !errors.Is(err, io.ErrClosedPipe) {
				return
			}
			// 500 ms lead + 1 s of speech: a spoken turn the caller can time.
			if c.audioPackets.Add(1) == 75 {
				c.send(
					events.Event{Type: events.TypeTranscriptFinal, TurnID: 2, Text: "spoken words"},
					events.Event{Type: events.TypeReplyDelta, TurnID: 2, Text: "echo"},
					events.Event{Type: events.TypeReplyInterrupted, TurnID: 2, Heard: "ec"},
					events.Event{Type: events.TypeTurnMetrics, TurnID: 2, Metrics: &events.TurnMetrics{LatencyMS: 250}},
				)
			}
		}
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		if dc.Label() != "events" {
			return
		}
		dc.OnOpen(func() {
			c.mu.Lock()
			c.dc = dc
			c.mu.Unlock()
			pipeline := "echo"
			if c.bot != nil {
				pipeline = "tonebot"
			}
			c.send(events.Event{Type: events.TypeSessionReady, CallID: "test", Mode: events.ModeFullDuplex, Pipeline: pipeline})
			close(c.ready)
		})
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			select { // the caller may write before our OnOpen has run
			case <-c.ready:
			case <-time.After(5 * time.Second):
				return
			}
			cmd, err := events.ParseCommand(m.Data)
			if err != nil {
				c.send(events.ErrorEvent(err))
				return
			}
			c.mu.Lock()
			c.commands = append(c.commands, cmd)
			c.mu.Unlock()
			if cmd.Type == events.TypeInputText && c.bot == nil {
				c.send(
					events.Event{Type: events.TypeReplyDelta, TurnID: 1, Text: "you said: "},
					events.Event{Type: events.TypeReplyDelta, TurnID: 1, Text: cmd.Text},
					events.Event{Type: events.TypeReplyDone, TurnID: 1},
					events.Event{Type: events.TypeTurnMetrics, TurnID: 1, Metrics: &events.TurnMetrics{LatencyMS: 123}},
				)
			}
		})
	})
	fail := func(status int, err error) {
		_ = pc.Close()
		jsonError(w, status, err.Error())
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
		fail(http.StatusBadRequest, err)
		return
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		fail(http.StatusBadRequest, err)
		return
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		fail(http.StatusInternalServerError, err)
		return
	}
	<-gathered
	s.mu.Lock()
	s.nextID++
	id := fmt.Sprintf("call%d", s.nextID)
	s.calls[id] = c
	s.last = c
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/v1/calls/"+id)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, pc.LocalDescription().SDP)
}

func (s *echoServer) close() {
	s.mu.Lock()
	calls, bots := s.calls, s.bots
	s.calls = nil
	s.mu.Unlock()
	for _, c := range calls {
		_ = c.pc.GracefulClose()
	}
	for _, b := range bots {
		b.stop()
	}
	s.wg.Wait()
}

// speak renders phrase with espeak-ng. Without espeak-ng the test is
// skipped locally and fails in CI.
func speak(t *testing.T, phrase string) ([]int16, int) {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("espeak-ng not installed")
		}
		t.Fatalf("espeak-ng is required in CI: %v", err)
	}
	path := filepath.Join(t.TempDir(), "phrase.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-w", path, phrase).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, out)
	}
	pcm, rate, err := wav.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return pcm, rate
}

func testLogger(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
}

func TestEndToEndEcho(t *testing.T) {
	testtier.Slow(t, "whole calls in real time")
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	pcm, rate := speak(t, "good morning, how are you")
	es := &echoServer{t: t, calls: map[string]*echoCall{}}
	srv := httptest.NewServer(es)
	defer es.close()
	defer srv.Close()

	video := filepath.Join(t.TempDir(), "clip.ivf")
	writeTestIVF(t, video, 30, 10) // key frame every 10 frames at 30 fps

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Run(ctx, Options{
		Server:    srv.URL,
		Token:     "secret",
		Audio:     pcm,
		AudioRate: rate,
		VideoPath: video,
		Tail:      1500 * time.Millisecond,
		Commands:  []events.Command{{Type: events.TypeInputText, Text: "hi bot"}},
		Log:       testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	t.Logf("result: %s", b)
	if !res.OK {
		t.Fatalf("not OK: %v", res.Errors)
	}
	if !strings.HasPrefix(res.CallURL, srv.URL+"/v1/calls/") {
		t.Errorf("call URL %q", res.CallURL)
	}
	// The caller sends without a break until it hangs up: lead, speech, and
	// silence during the tail.
	speechMS := float64(len(pcm)) * 1000 / float64(rate)
	if want := 500 + speechMS + 1500; res.AudioSentMS < want || res.AudioSentMS > want+150 {
		t.Errorf("sent %.0f ms for 500 ms lead + %.0f ms of speech + 1500 ms tail", res.AudioSentMS, speechMS)
	}
	if res.AudioReceivedMS < 1000 {
		t.Errorf("received %.0f ms of echo, want ≥ 1000", res.AudioReceivedMS)
	}
	// Every voiced packet is a reply frame for the continuity count.
	if ms := float64(res.Audio.Frames * 20); ms < res.AudioReceivedMS {
		t.Errorf("continuity counted %d reply frames (%.0f ms) for %.0f ms of voiced echo", res.Audio.Frames, ms, res.AudioReceivedMS)
	}
	if len(res.Sent) != int(res.AudioSentMS)*48 {
		t.Errorf("Sent has %d samples for %.0f ms", len(res.Sent), res.AudioSentMS)
	}
	// The echo lands on the timeline shortly after what was sent.
	if lag := echoLag(res.Sent, res.Received); lag < 0 || lag > 300*time.Millisecond {
		t.Errorf("echo lag on the timeline = %v", lag)
	}
	if len(res.Events) < 9 || res.Events[0].Type != events.TypeSessionReady {
		t.Errorf("events: %+v", res.Events)
	}
	if len(res.Turns) != 2 {
		t.Fatalf("turns: %+v", res.Turns)
	}
	typed, spoken := res.Turns[0], res.Turns[1]
	if typed.Reply != "you said: hi bot" || typed.ServerLatencyMS != 123 || typed.LatencyMS != 0 {
		t.Errorf("typed turn %+v", typed)
	}
	if spoken.User != "spoken words" || spoken.Reply != "echo" || !spoken.Interrupted || spoken.Heard != "ec" || spoken.ServerLatencyMS != 250 {
		t.Errorf("spoken turn %+v", spoken)
	}
	if spoken.LatencyMS <= 0 || spoken.LatencyMS > 1000 || res.LatencyMS.P50 != spoken.LatencyMS {
		t.Errorf("spoken latency %v, percentiles %+v", spoken.LatencyMS, res.LatencyMS)
	}
	es.mu.Lock()
	deletes, last := es.deletes, es.last
	es.mu.Unlock()
	if v := last.videoPackets.Load(); v < 30 {
		t.Errorf("server got %d video packets", v)
	}
	if !last.pliSent.Load() || last.afterPLI.Load() != 1 {
		t.Errorf("after the PLI the first frame was not a key frame (state %d)", last.afterPLI.Load())
	}
	if deletes != 1 {
		t.Errorf("%d DELETEs, want 1", deletes)
	}
}

// echoLag finds the shift of received against sent with the best match of
// energy envelopes (10 ms blocks).
func echoLag(sent, received []int16) time.Duration {
	env := func(x []int16) []float64 {
		out := make([]float64, len(x)/480)
		for i := range out {
			var s float64
			for _, v := range x[i*480 : (i+1)*480] {
				s += float64(v) * float64(v)
			}
			out[i] = s
		}
		return out
	}
	a, b := env(sent), env(received)
	best, bestLag := -1.0, -1
	for lag := 0; lag < 100 && lag < len(b); lag++ {
		var s float64
		for i := range a {
			if i+lag < len(b) {
				s += a[i] * b[i+lag]
			}
		}
		if s > best {
			best, bestLag = s, lag
		}
	}
	return time.Duration(bestLag) * 10 * time.Millisecond
}

// writeTestIVF writes a VP8 IVF of n fake frames at fps; every keyEvery-th
// frame is flagged as a key frame.
func writeTestIVF(t *testing.T, path string, n, keyEvery int) {
	t.Helper()
	b := make([]byte, 32)
	copy(b, "DKIF")
	binary.LittleEndian.PutUint16(b[6:], 32)
	copy(b[8:], "VP80")
	binary.LittleEndian.PutUint16(b[12:], 64)
	binary.LittleEndian.PutUint16(b[14:], 48)
	binary.LittleEndian.PutUint32(b[16:], 30) // rate
	binary.LittleEndian.PutUint32(b[20:], 1)  // scale
	binary.LittleEndian.PutUint32(b[24:], uint32(n))
	for i := 0; i < n; i++ {
		frame := make([]byte, 100)
		if i%keyEvery != 0 {
			frame[0] = 1 // inter frame
		}
		h := make([]byte, 12)
		binary.LittleEndian.PutUint32(h, uint32(len(frame)))
		binary.LittleEndian.PutUint64(h[4:], uint64(i))
		b = append(b, h...)
		b = append(b, frame...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSignalingErrors(t *testing.T) {
	testtier.Slow(t, "whole calls in real time")
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cases := []struct {
		status int
		body   string
		want   string
	}{
		{http.StatusUnsupportedMediaType, `{"error":"Content-Type must be application/sdp"}`, "Content-Type must be application/sdp"},
		{http.StatusBadRequest, `{"error":"offer has no Opus audio"}`, "offer has no Opus audio"},
		{http.StatusUnauthorized, `{"error":"bad token"}`, "bad token"},
		{http.StatusServiceUnavailable, "overloaded\n", "overloaded"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			var auth string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				auth = r.Header.Get("Authorization")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			res, err := Run(context.Background(), Options{Server: srv.URL + "/", Token: "tok", Log: testLogger(t)})
			if err == nil || res != nil {
				t.Fatalf("Run = %v, %v; want an error", res, err)
			}
			var se *SignalingError
			if !errors.As(err, &se) || se.Status != tc.status {
				t.Fatalf("error %v is not a SignalingError with status %d", err, tc.status)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), fmt.Sprint(tc.status)) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			if auth != "Bearer tok" {
				t.Errorf("Authorization %q", auth)
			}
		})
	}
	// The real 415 from the echo server when the content type is wrong.
	es := &echoServer{t: t, calls: map[string]*echoCall{}}
	srv := httptest.NewServer(es)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/calls", "text/plain", strings.NewReader("v=0"))
	if err != nil {
		t.Fatal(err)
	}
	msg := errorText(resp.Body)
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if resp.StatusCode != http.StatusUnsupportedMediaType || msg != "Content-Type must be application/sdp" {
		t.Errorf("echo server: %d %q", resp.StatusCode, msg)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	cases := []Options{
		{Server: "127.0.0.1:8080"},
		{Server: "ftp://x"},
		{Server: "http://x", Audio: []int16{1}},
		{Server: "http://x", VideoPath: filepath.Join(t.TempDir(), "missing.ivf")},
	}
	for _, opt := range cases {
		if _, err := Run(context.Background(), opt); err == nil {
			t.Errorf("Run(%+v) succeeded", opt)
		}
	}
}
