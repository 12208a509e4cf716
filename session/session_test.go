package session_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/testpeer"
	"github.com/duplex-ai/duplex/session"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newManager(t *testing.T, cfg session.Config) *session.Manager {
	t.Helper()
	if cfg.Pipeline == nil {
		cfg.Pipeline = dialogue.Echo{}
	}
	cfg.IncludeLoopback = true
	cfg.Log = zerolog.Nop()
	m, err := session.NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(session.ReasonServerShutdown) })
	return m
}

func TestValidateOffer(t *testing.T) {
	good, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	const audioOnly = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
	cases := []struct {
		name  string
		offer string
		want  error
	}{
		{"pion offer", good, nil},
		{"empty", " \r\n", session.ErrBadOffer},
		{"garbage", "hello", session.ErrBadOffer},
		{"no media", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", session.ErrBadOffer},
		{"video only", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n", session.ErrNoOpus},
		{"rejected audio", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n", session.ErrNoOpus},
		{"recvonly audio", strings.Replace(good, "a=sendrecv", "a=recvonly", 1), session.ErrBadOffer},
		{"sendonly audio", strings.Replace(good, "a=sendrecv", "a=sendonly", 1), session.ErrBadOffer},
		{"inactive audio", strings.Replace(good, "a=sendrecv", "a=inactive", 1), session.ErrBadOffer},
		{"no direction: sendrecv", audioOnly + "a=rtpmap:111 opus/48000/2\r\n", nil},
		{"session-level recvonly", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=recvonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n", session.ErrBadOffer},
		{"section overrides session", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=recvonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n", nil},
	}
	if !strings.Contains(good, "a=sendrecv") {
		t.Fatal("pion's offer has no a=sendrecv to rewrite")
	}
	for _, tc := range cases {
		if err := session.ValidateOffer(tc.offer); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestCreateRefusesOneWayAudio: a real pion offer whose audio cannot both
// send and receive is refused at set-up with the reason, and leaves no call.
func TestCreateRefusesOneWayAudio(t *testing.T) {
	m := newManager(t, session.Config{})
	for _, dir := range []webrtc.RTPTransceiverDirection{
		webrtc.RTPTransceiverDirectionRecvonly,
		webrtc.RTPTransceiverDirectionSendonly,
		webrtc.RTPTransceiverDirectionInactive,
	} {
		offer, err := testpeer.OfferAudio(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := m.Create(context.Background(), offer)
		if !errors.Is(err, session.ErrBadOffer) {
			if c != nil {
				c.Close(session.ReasonServerShutdown)
			}
			t.Fatalf("%s audio: err = %v, want ErrBadOffer", dir, err)
		}
		if !strings.Contains(err.Error(), dir.String()) {
			t.Errorf("%s audio: error %q does not name the direction", dir, err)
		}
	}
	if n := m.Active(); n != 0 {
		t.Fatalf("%d calls left after refused offers", n)
	}
}

func TestConnectTimeout(t *testing.T) {
	mc, ctx := manualClock(t)
	m := newManager(t, session.Config{ConnectTimeout: 300 * time.Millisecond, Clock: mc})
	offer, err := testpeer.Offer(false) // its peer is closed: it never connects
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := m.Create(context.Background(), offer)
	if err != nil {
		t.Fatal(err)
	}
	armed(t, ctx, mc, 1)
	mc.Advance(299 * time.Millisecond)
	if ended(c) {
		t.Fatalf("call reaped before its connect timeout: %s", c.Reason())
	}
	mc.Advance(time.Millisecond)
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("call not reaped")
	}
	if r := c.Reason(); r != session.ReasonConnectTimeout {
		t.Fatalf("reason %s, want %s", r, session.ReasonConnectTimeout)
	}
	if m.Active() != 0 {
		t.Fatal("call still registered")
	}
}

func TestShutdownDrains(t *testing.T) {
	m := newManager(t, session.Config{})
	offer, err := testpeer.Offer(true)
	if err != nil {
		t.Fatal(err)
	}
	var calls []*session.Call
	for i := 0; i < 3; i++ {
		c, _, err := m.Create(context.Background(), offer)
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, c)
	}
	if err := m.Close(session.ReasonServerShutdown); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if r := c.Reason(); r != session.ReasonServerShutdown {
			t.Fatalf("reason %s", r)
		}
	}
	if _, _, err := m.Create(context.Background(), offer); !errors.Is(err, session.ErrClosed) {
		t.Fatalf("create after close: %v", err)
	}
	if got := m.ClosedByReason()[session.ReasonServerShutdown]; got != 3 {
		t.Fatalf("server_shutdown count %d", got)
	}
}

// TestConnectedCallEvents connects a real pion peer: the events channel
// delivers session.ready first, a malformed command gets an error event and
// the call goes on, and when the peer vanishes without DELETE the call is
// reaped with a typed reason.
func TestConnectedCallEvents(t *testing.T) {
	m := newManager(t, session.Config{ICEDisconnectedTimeout: 500 * time.Millisecond, ICEFailedTimeout: time.Second, ICEKeepalive: 200 * time.Millisecond})

	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetICETimeouts(500*time.Millisecond, time.Second, 200*time.Millisecond)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		t.Fatal(err)
	}
	dc, err := pc.CreateDataChannel("events", nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs := make(chan events.Event, 16)
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		var ev events.Event
		if err := json.Unmarshal(msg.Data, &ev); err == nil {
			msgs <- ev
		}
	})
	offer, _ := pc.CreateOffer(nil)
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	call, answer, err := m.Create(context.Background(), pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	next := func() events.Event {
		t.Helper()
		select {
		case ev := <-msgs:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
			return events.Event{}
		}
	}
	ready := next()
	if ready.Type != events.TypeSessionReady || ready.CallID != call.ID() || ready.Pipeline != "echo" {
		t.Fatalf("first event %+v, want session.ready", ready)
	}
	if ev := next(); ev.Type != events.TypeState || ev.State != events.StateListening {
		t.Fatalf("second event %+v, want state listening", ev)
	}
	if err := dc.SendText(`{"type":"bogus"}`); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Type != events.TypeError || ev.Code != events.CodeUnknownType {
		t.Fatalf("got %+v, want unknown_type error", ev)
	}
	if err := dc.Send([]byte{0xff, 0x00}); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Type != events.TypeError || ev.Code != events.CodeBadMessage {
		t.Fatalf("got %+v, want bad_message error", ev)
	}
	if err := dc.SendText(`{"type":"input.text","text":"hi"}`); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Type != events.TypeError || ev.Code != events.CodeUnsupported {
		t.Fatalf("got %+v, want unsupported error from echo", ev)
	}
	if m.Active() != 1 {
		t.Fatal("call ended after bad messages")
	}

	// The caller vanishes: no DELETE.
	_ = pc.Close()
	select {
	case <-call.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("vanished caller not reaped")
	}
	if r := call.Reason(); r != session.ReasonPeerClosed && r != session.ReasonICEFailed {
		t.Fatalf("reason %s", r)
	}
}

// syncBuffer is a bytes.Buffer safe for pion's goroutines to log into.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// pionLines sets up and ends one call on a manager logging at trace, and
// returns the call's id and the pion lines (tagged "pion") it logged.
func pionLines(t *testing.T, pionLevel string) (string, []map[string]any) {
	t.Helper()
	var buf syncBuffer
	m, err := session.NewManager(session.Config{Pipeline: dialogue.Echo{}, IncludeLoopback: true,
		Log: zerolog.New(&buf).Level(zerolog.TraceLevel), PionLogLevel: pionLevel})
	if err != nil {
		t.Fatal(err)
	}
	offer, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := m.Create(context.Background(), offer)
	if err != nil {
		t.Fatal(err)
	}
	c.Close(session.ReasonClientHangup)
	_ = m.Close(session.ReasonServerShutdown)
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		if rec["pion"] != nil {
			out = append(out, rec)
		}
	}
	return c.ID(), out
}

// TestPionLogsCarryCallID: pion's own log lines go through the call's
// logger, so each carries the call's id.
func TestPionLogsCarryCallID(t *testing.T) {
	id, lines := pionLines(t, "trace")
	if len(lines) == 0 {
		t.Fatal("no pion log lines at trace")
	}
	for _, rec := range lines {
		if rec["call_id"] != id {
			t.Errorf("pion line without the call id %s: %v", id, rec)
		}
	}
}

// TestPionLogLevelDefault: by default only pion's errors are logged, even
// when the server logs at trace.
func TestPionLogLevelDefault(t *testing.T) {
	_, lines := pionLines(t, "")
	for _, rec := range lines {
		if rec["level"] != "error" {
			t.Errorf("pion line below error by default: %v", rec)
		}
	}
	if _, err := session.NewManager(session.Config{Pipeline: dialogue.Echo{}, PionLogLevel: "loud"}); err == nil {
		t.Error("PionLogLevel \"loud\" accepted")
	}
}
