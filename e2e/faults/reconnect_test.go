package faults

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/signaling"
)

// Reconnect scenarios (RFC 9725 §4.3.2 ICE restart, and resume): the
// caller talks to the offline assistant with typed turns (input.text), so
// that what the assistant remembers is checked word for word, and its
// "what did I say" skill quotes the caller's previous turn from memory.

// voicedBytes: an Opus packet larger than this carries speech.
const voicedBytes = 40

const (
	firstTurn = "the blue elephant plays chess"
	storyTurn = "tell me a story"
)

// blackout drops every packet to and from the caller addresses in hosts
// while on.
type blackout struct {
	on    atomic.Bool
	hosts map[string]bool
}

func (b *blackout) policy(p packet) bool { return !(b.on.Load() && b.hosts[p.host]) }

// rcaller is a pion caller on the virtual network speaking the events
// protocol, with ICE restart and resume.
type rcaller struct {
	t      *testing.T
	server string
	pc     *webrtc.PeerConnection
	dc     *webrtc.DataChannel
	msgs   chan events.Event
	ice    chan webrtc.ICEConnectionState
	// voiced counts received Opus packets big enough to carry speech
	// (silence and comfort noise are a few bytes).
	voiced  atomic.Int64
	callURL string
	etag    string
	resume  string
	answer  string
}

func newRCaller(t *testing.T, server string, n *vnet.Net) *rcaller {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetNet(n)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(iceDisconnected, iceFailed, iceKeepalive)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		t.Fatal(err)
	}
	c := &rcaller{t: t, server: server, pc: pc, msgs: make(chan events.Event, 256), ice: make(chan webrtc.ICEConnectionState, 64)}
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) {
		select {
		case c.ice <- s:
		default:
		}
	})
	// Keep reading the assistant's audio so that RTCP flows.
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if len(p.Payload) > voicedBytes {
				c.voiced.Add(1)
			}
		}
	})
	c.dc, err = pc.CreateDataChannel(events.Label, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		var ev events.Event
		if json.Unmarshal(msg.Data, &ev) == nil {
			select {
			case c.msgs <- ev:
			default:
			}
		}
	})
	return c
}

func (c *rcaller) localOffer(restart bool) string {
	c.t.Helper()
	o, err := c.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
	if err != nil {
		c.t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(o); err != nil {
		c.t.Fatal(err)
	}
	<-gathered
	return c.pc.LocalDescription().SDP
}

func (c *rcaller) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// post sends the offer to POST /v1/calls, with a resume credential if
// given, and returns the response status and body; on 201 it applies the
// answer.
func (c *rcaller) post(resume string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.server+"/v1/calls", strings.NewReader(c.localOffer(false)))
	req.Header.Set("Content-Type", "application/sdp")
	if resume != "" {
		req.Header.Set(signaling.ResumeHeader, resume)
	}
	resp, body := c.do(req)
	if resp.StatusCode != http.StatusCreated {
		return resp.StatusCode, body
	}
	c.callURL = c.server + resp.Header.Get("Location")
	c.etag = resp.Header.Get("ETag")
	c.resume = resp.Header.Get(signaling.ResumeHeader)
	c.answer = body
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: body}); err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, body
}

// restart restarts ICE with PATCH and applies the server's fragment.
func (c *rcaller) restart() {
	c.t.Helper()
	offer := c.localOffer(true)
	var b strings.Builder
	for _, l := range sdpLines(offer, "a=ice-") {
		if strings.HasPrefix(l, "a=ice-ufrag:") || strings.HasPrefix(l, "a=ice-pwd:") {
			b.WriteString(l + "\r\n")
		}
	}
	b.WriteString("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n")
	for _, l := range sdpLines(offer, "a=candidate:") {
		b.WriteString(l + "\r\n")
	}
	req, _ := http.NewRequest(http.MethodPatch, c.callURL, strings.NewReader(b.String()))
	req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
	req.Header.Set("If-Match", c.etag)
	resp, frag := c.do(req)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("ICE restart PATCH: %d %s", resp.StatusCode, frag)
	}
	c.etag = resp.Header.Get("ETag")
	var out []string
	placed := false
	for _, l := range strings.Split(strings.ReplaceAll(c.answer, "\r\n", "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "a=ice-ufrag:"):
			l = sdpLines(frag, "a=ice-ufrag:")[0]
		case strings.HasPrefix(l, "a=ice-pwd:"):
			l = sdpLines(frag, "a=ice-pwd:")[0]
		case strings.HasPrefix(l, "a=candidate:"), l == "a=end-of-candidates":
			continue
		}
		out = append(out, l)
		if !placed && strings.HasPrefix(l, "a=mid:") {
			out = append(out, sdpLines(frag, "a=candidate:")...)
			placed = true
		}
	}
	c.answer = strings.Join(out, "\r\n")
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: c.answer}); err != nil {
		c.t.Fatal(err)
	}
}

// waitICE waits for the ICE state want.
func (c *rcaller) waitICE(want webrtc.ICEConnectionState, timeout time.Duration) {
	c.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case s := <-c.ice:
			if s == want {
				return
			}
		case <-deadline:
			c.t.Fatalf("the caller's ICE never reached %s", want)
		}
	}
}

// next waits for an event of type typ, skipping others.
func (c *rcaller) next(typ string, timeout time.Duration) events.Event {
	c.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-c.msgs:
			if ev.Type == typ {
				return ev
			}
		case <-deadline:
			c.t.Fatalf("no %s event within %v", typ, timeout)
			return events.Event{}
		}
	}
}

// ask types a turn and returns the assistant's finished reply text.
func (c *rcaller) ask(text string) string {
	c.t.Helper()
	b, _ := json.Marshal(map[string]string{"type": events.TypeInputText, "text": text})
	if err := c.dc.SendText(string(b)); err != nil {
		c.t.Fatal(err)
	}
	return c.next(events.TypeReplyDone, 60*time.Second).Text
}

// sdpLines returns the lines of s that start with prefix.
func sdpLines(s, prefix string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// quotes checks that the assistant's answer to "what did I say" quotes the
// turn before the outage.
func quotes(t *testing.T, reply string) {
	t.Helper()
	if !strings.Contains(strings.ToLower(reply), firstTurn) {
		t.Fatalf("asked what was said before the outage, the assistant answered %q; want it to quote %q", reply, firstTurn)
	}
}

// TestPartitionThenICERestart: after a first turn, the network drops
// everything both ways for 10 s, far past the ICE failed timeout (4 s of
// silence), so both sides see ICE fail. The server keeps the call in its
// resume window; the caller restarts ICE with PATCH on the same peer
// connection; the same call carries on and remembers the first turn.
func TestPartitionThenICERestart(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10 s partition")
	}
	const span = 10 * time.Second
	b := newBed(t, bedOptions{pipeline: assistantPipeline(t), resumeWindow: 30 * time.Second})
	cut := &blackout{hosts: map[string]bool{callerIP: true}}
	b.link.set(cut.policy)
	c := newRCaller(t, b.hs.URL, b.callerNet)
	if st, body := c.post(""); st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, body)
	}
	c.waitICE(webrtc.ICEConnectionStateConnected, 15*time.Second)
	ready := c.next(events.TypeSessionReady, 15*time.Second)
	c.ask(firstTurn)

	cut.on.Store(true)
	c.waitICE(webrtc.ICEConnectionStateFailed, span)
	time.Sleep(span - iceDisconnected - iceFailed)
	cut.on.Store(false)
	if b.mgr.Active() != 1 {
		t.Fatalf("%d live calls after the partition (close reasons %v), want the call kept", b.mgr.Active(), b.mgr.ClosedByReason())
	}
	c.restart()
	c.waitICE(webrtc.ICEConnectionStateConnected, 15*time.Second)
	quotes(t, c.ask("what did I say"))

	// The server handles each state change once it has happened, on a
	// goroutine of pion's: its view may trail the caller's by a moment.
	states := b.awaitStates(reconnected, 15*time.Second)
	t.Logf("server connection states %v", states)
	if !reconnected(states) {
		t.Fatalf("server states %v, want failed, then connected again", states)
	}
	if n := len(b.logs.lines("ICE restarted")); n != 1 {
		t.Fatalf("the server restarted ICE %d times, want once (the caller's PATCH)", n)
	}
	if r, a := b.mgr.Reconnects(); r != 1 || a != 0 {
		t.Fatalf("%d ICE restarts and %d resumes counted, want 1 and 0", r, a)
	}
	if b.mgr.Total() != 1 || ready.CallID == "" {
		t.Fatalf("%d calls created, want the one", b.mgr.Total())
	}
}

// reconnected: the server's connection failed, and is connected again
// after that.
func reconnected(states []string) bool {
	i := slices.Index(states, "failed")
	return i >= 0 && slices.Contains(states[i:], "connected") && states[len(states)-1] == "connected"
}

// TestResumeFromNewAddress: after a first turn, while the assistant is
// telling a story, the caller's address goes dark for good (a phone
// leaving Wi-Fi); it comes back from another address with a new peer
// connection and the resume credential within the window. The same call
// (same id, same conversation) carries on; the story is not replayed; the
// credential was single use.
func TestResumeFromNewAddress(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the ICE failed timeout")
	}
	b := newBed(t, bedOptions{pipeline: assistantPipeline(t), resumeWindow: 20 * time.Second})
	cut := &blackout{hosts: map[string]bool{callerIP: true}}
	b.link.set(cut.policy)
	c := newRCaller(t, b.hs.URL, b.callerNet)
	if st, body := c.post(""); st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, body)
	}
	if c.resume == "" {
		t.Fatalf("no %s header on the 201", signaling.ResumeHeader)
	}
	c.waitICE(webrtc.ICEConnectionStateConnected, 15*time.Second)
	ready := c.next(events.TypeSessionReady, 15*time.Second)
	c.ask(firstTurn)
	b2, _ := json.Marshal(map[string]string{"type": events.TypeInputText, "text": storyTurn})
	if err := c.dc.SendText(string(b2)); err != nil {
		t.Fatal(err)
	}
	c.next(events.TypeReplyDelta, 30*time.Second) // the story has begun

	cut.on.Store(true)
	c.waitICE(webrtc.ICEConnectionStateFailed, 15*time.Second)
	n := newRCaller(t, b.hs.URL, b.roamNet)
	if st, body := n.post(c.resume); st != http.StatusCreated {
		t.Fatalf("resume: %d %s", st, body)
	}
	if n.callURL != c.callURL {
		t.Fatalf("resumed call at %s, want %s", n.callURL, c.callURL)
	}
	if n.resume == "" || n.resume == c.resume {
		t.Fatalf("resume credential not rotated")
	}
	n.waitICE(webrtc.ICEConnectionStateConnected, 15*time.Second)
	if r := n.next(events.TypeSessionReady, 15*time.Second); r.CallID != ready.CallID {
		t.Fatalf("resumed session.ready for call %s, want %s", r.CallID, ready.CallID)
	}
	// The story was cut when the transport died: nothing of it follows,
	// neither its events nor its audio.
	before := n.voiced.Load()
	quiet := time.After(3 * time.Second)
	for waiting := true; waiting; {
		select {
		case ev := <-n.msgs:
			if ev.Type == events.TypeReplyDelta || ev.Type == events.TypeReplyDone {
				t.Fatalf("after the resume the new peer got %s %q: the interrupted reply was replayed", ev.Type, ev.Text)
			}
		case <-quiet:
			waiting = false
		}
	}
	if v := n.voiced.Load() - before; v > 0 {
		t.Fatalf("after the resume the new peer got %d voiced audio packets before asking anything: the interrupted reply was replayed", v)
	}
	if r := n.ask("what did I say"); !strings.Contains(strings.ToLower(r), storyTurn) {
		t.Fatalf("asked what was said before the outage, the assistant answered %q; want it to quote %q", r, storyTurn)
	}
	if b.mgr.Total() != 1 || b.mgr.Active() != 1 {
		t.Fatalf("%d calls created, %d live: want the one call", b.mgr.Total(), b.mgr.Active())
	}
	// The spent credential resumes nothing.
	again := newRCaller(t, b.hs.URL, b.roamNet)
	if st, _ := again.post(c.resume); st != http.StatusNotFound {
		t.Fatalf("second use of a resume credential: %d, want 404", st)
	}
}

// TestResumeExpired: the caller goes dark and comes back after the resume
// window: the call has ended with resume_expired and the late resume gets
// 410 saying so.
func TestResumeExpired(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the ICE failed timeout and the window")
	}
	const window = 2 * time.Second
	b := newBed(t, bedOptions{pipeline: echoPipeline(t), resumeWindow: window})
	cut := &blackout{hosts: map[string]bool{callerIP: true}}
	b.link.set(cut.policy)
	c := newRCaller(t, b.hs.URL, b.callerNet)
	if st, body := c.post(""); st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, body)
	}
	c.waitICE(webrtc.ICEConnectionStateConnected, 15*time.Second)
	c.next(events.TypeSessionReady, 15*time.Second)
	cut.on.Store(true)
	b.waitIdle(iceDisconnected + iceFailed + window + 10*time.Second)
	if r := b.mgr.ClosedByReason(); r[session.ReasonResumeExpired] != 1 {
		t.Fatalf("close reasons %v, want one %s", r, session.ReasonResumeExpired)
	}
	n := newRCaller(t, b.hs.URL, b.roamNet)
	st, body := n.post(c.resume)
	if st != http.StatusGone || !strings.Contains(body, string(session.ReasonResumeExpired)) {
		t.Fatalf("late resume: %d %s, want 410 resume_expired", st, body)
	}
}
