package signaling

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/session"
)

// restartPeer is a real pion caller for ICE restart tests.
type restartPeer struct {
	pc   *webrtc.PeerConnection
	dc   *webrtc.DataChannel
	msgs chan events.Event
	ice  chan webrtc.ICEConnectionState
}

func newRestartPeer(t *testing.T) *restartPeer {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		t.Fatal(err)
	}
	p := &restartPeer{pc: pc, msgs: make(chan events.Event, 64), ice: make(chan webrtc.ICEConnectionState, 64)}
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) {
		select {
		case p.ice <- s:
		default:
		}
	})
	dc, err := pc.CreateDataChannel(events.Label, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.dc = dc
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		var ev events.Event
		if json.Unmarshal(msg.Data, &ev) == nil {
			select {
			case p.msgs <- ev:
			default:
			}
		}
	})
	return p
}

// offer gathers and returns a local offer, restarting ICE when asked.
func (p *restartPeer) offer(t *testing.T, restart bool) string {
	t.Helper()
	o, err := p.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return p.pc.LocalDescription().SDP
}

// waitICE waits for the caller's ICE connection state want.
func (p *restartPeer) waitICE(t *testing.T, want webrtc.ICEConnectionState) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case s := <-p.ice:
			if s == want {
				return
			}
		case <-deadline:
			t.Fatalf("ICE never reached %s", want)
		}
	}
}

// next waits for an event of type typ, skipping others.
func (p *restartPeer) next(t *testing.T, typ string) events.Event {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case ev := <-p.msgs:
			if ev.Type == typ {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event", typ)
		}
	}
}

// sdpLines returns the lines of s with prefix.
func sdpLines(s, prefix string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// restartFragment is the client's PATCH body for an ICE restart: its new
// credentials and candidates (RFC 9725 §4.3.2).
func restartFragment(offer string) string {
	var b strings.Builder
	for _, p := range []string{"a=ice-ufrag:", "a=ice-pwd:"} {
		b.WriteString(sdpLines(offer, p)[0] + "\r\n")
	}
	b.WriteString("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n")
	for _, c := range sdpLines(offer, "a=candidate:") {
		b.WriteString(c + "\r\n")
	}
	return b.String()
}

// applyAnswerFragment turns the server's restart answer fragment into a
// full answer: the previous answer with the new credentials and candidates.
func applyAnswerFragment(prev, frag string) string {
	ufrag, pwd := sdpLines(frag, "a=ice-ufrag:")[0], sdpLines(frag, "a=ice-pwd:")[0]
	cands := sdpLines(frag, "a=candidate:")
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(prev, "\r\n", "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "a=ice-ufrag:"):
			l = ufrag
		case strings.HasPrefix(l, "a=ice-pwd:"):
			l = pwd
		case strings.HasPrefix(l, "a=candidate:"), l == "a=end-of-candidates":
			continue
		}
		out = append(out, l)
		if strings.HasPrefix(l, "a=mid:") {
			out = append(out, cands...)
		}
	}
	return strings.Join(out, "\r\n")
}

func patch(t *testing.T, url, ifMatch, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPatch, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestICERestart: a connected caller restarts ICE with PATCH (RFC 9725
// §4.3.2): a stale If-Match gets 412; the restart gets 200 with the
// server's new credentials and candidates and a new ETag; ICE connects
// again on the same call, whose data channel still answers.
func TestICERestart(t *testing.T) {
	ts, mgr := newServer(t, 5)
	p := newRestartPeer(t)
	status, h, answer := do(t, http.MethodPost, ts.URL+"/v1/calls", "application/sdp", strings.NewReader(p.offer(t, false)))
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, answer)
	}
	etag := h.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || len(etag) < 4 {
		t.Fatalf("ETag %q on the 201", etag)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	p.waitICE(t, webrtc.ICEConnectionStateConnected)
	p.next(t, events.TypeSessionReady)
	callURL := ts.URL + h.Get("Location")

	restartOffer := p.offer(t, true)
	frag := restartFragment(restartOffer)
	if status, _, body := patch(t, callURL, `"stale"`, frag); status != http.StatusPreconditionFailed {
		t.Fatalf("PATCH with a stale If-Match: %d %s, want 412", status, body)
	}
	status, h2, body := patch(t, callURL, etag, frag)
	if status != http.StatusOK {
		t.Fatalf("restart PATCH: %d %s", status, body)
	}
	if ct := h2.Get("Content-Type"); ct != "application/trickle-ice-sdpfrag" {
		t.Fatalf("restart answer Content-Type %q", ct)
	}
	if h2.Get("ETag") == "" || h2.Get("ETag") == etag {
		t.Fatalf("ETag after restart %q, before %q: want a new one", h2.Get("ETag"), etag)
	}
	if len(sdpLines(body, "a=candidate:")) == 0 || sdpLines(body, "a=ice-ufrag:")[0] == sdpLines(answer, "a=ice-ufrag:")[0] {
		t.Fatalf("restart answer without new credentials or candidates:\n%s", body)
	}
	// The old ETag no longer matches.
	if status, _, _ := patch(t, callURL, etag, "a=end-of-candidates\r\n"); status != http.StatusPreconditionFailed {
		t.Fatalf("PATCH with the pre-restart ETag: %d, want 412", status)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: applyAnswerFragment(answer, body)}); err != nil {
		t.Fatal(err)
	}
	p.waitICE(t, webrtc.ICEConnectionStateChecking)
	p.waitICE(t, webrtc.ICEConnectionStateConnected)
	if mgr.Active() != 1 || mgr.Total() != 1 {
		t.Fatalf("%d calls active of %d created, want the one call kept", mgr.Active(), mgr.Total())
	}
	if r, _ := mgr.Reconnects(); r != 1 {
		t.Fatalf("%d ICE restarts counted, want 1", r)
	}
	if st, _, body := do(t, http.MethodGet, ts.URL+"/metrics", "", nil); st != http.StatusOK || !strings.Contains(body, "duplex_ice_restarts_total 1") {
		t.Fatalf("/metrics does not count the restart: %d", st)
	}
	// The same call, over the restarted transport, still answers.
	if err := p.dc.SendText(`{"type":"bogus"}`); err != nil {
		t.Fatal(err)
	}
	if ev := p.next(t, events.TypeError); ev.Code != events.CodeUnknownType {
		t.Fatalf("after restart: %+v, want unknown_type", ev)
	}
}

// TestResumeAttachesNewPeer: a second peer connection that presents the
// call's resume credential is attached to the same call (same Location,
// session.ready for the same id) and gets a new credential; the spent one
// and an unknown one resume nothing; the call stays one call.
func TestResumeAttachesNewPeer(t *testing.T) {
	ts, mgr := newServer(t, 5)
	post := func(p *restartPeer, cred string) (int, http.Header, string) {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/calls", strings.NewReader(p.offer(t, false)))
		req.Header.Set("Content-Type", "application/sdp")
		if cred != "" {
			req.Header.Set(ResumeHeader, cred)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusCreated {
			if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(b)}); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, resp.Header, string(b)
	}
	first := newRestartPeer(t)
	status, h1, body := post(first, "")
	if status != http.StatusCreated || h1.Get(ResumeHeader) == "" {
		t.Fatalf("create: %d %q, resume credential %q", status, body, h1.Get(ResumeHeader))
	}
	ready := first.next(t, events.TypeSessionReady)

	second := newRestartPeer(t)
	status, h2, body := post(second, h1.Get(ResumeHeader))
	if status != http.StatusCreated {
		t.Fatalf("resume: %d %s", status, body)
	}
	if h2.Get("Location") != h1.Get("Location") {
		t.Fatalf("resumed Location %q, want %q", h2.Get("Location"), h1.Get("Location"))
	}
	if c := h2.Get(ResumeHeader); c == "" || c == h1.Get(ResumeHeader) {
		t.Fatalf("resume credential after resume %q: want a new one", c)
	}
	if r := second.next(t, events.TypeSessionReady); r.CallID != ready.CallID {
		t.Fatalf("session.ready on the new peer for %s, want %s", r.CallID, ready.CallID)
	}
	if err := second.dc.SendText(`{"type":"bogus"}`); err != nil {
		t.Fatal(err)
	}
	if ev := second.next(t, events.TypeError); ev.Code != events.CodeUnknownType {
		t.Fatalf("on the resumed peer: %+v", ev)
	}
	if mgr.Total() != 1 || mgr.Active() != 1 {
		t.Fatalf("%d calls created, %d live: want one", mgr.Total(), mgr.Active())
	}
	if r, a := mgr.Reconnects(); r != 0 || a != 1 {
		t.Fatalf("counted %d restarts and %d resumes, want 0 and 1", r, a)
	}
	for name, cred := range map[string]string{"spent": h1.Get(ResumeHeader), "unknown": strings.Repeat("ab", 16)} {
		if status, _, body := post(newRestartPeer(t), cred); status != http.StatusNotFound {
			t.Fatalf("%s credential: %d %s, want 404", name, status, body)
		}
	}
}

// TestResumeCountsAgainstCreatorIP: -max-calls-per-ip counts a call once,
// against the address that created it. A resume from another address (a
// phone moving from Wi-Fi to LTE) is not refused by, and does not charge,
// the new address; the creator's place is held until the call ends.
func TestResumeCountsAgainstCreatorIP(t *testing.T) {
	ts, mgr := newServerWith(t, session.Config{MaxCallsPerIP: 1},
		Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	const ipA, ipB = "203.0.113.7", "198.51.100.9"
	post := func(from, cred string) (int, http.Header) {
		t.Helper()
		kv := []string{"Content-Type", "application/sdp", "X-Forwarded-For", from}
		if cred != "" {
			kv = append(kv, ResumeHeader, cred)
		}
		status, h, _ := req(t, http.MethodPost, ts.URL+"/v1/calls", newRestartPeer(t).offer(t, false), kv...)
		return status, h
	}
	status, h := post(ipA, "")
	if status != http.StatusCreated {
		t.Fatalf("create from %s: %d", ipA, status)
	}
	loc := h.Get("Location")
	if status, _ := post(ipA, ""); status != http.StatusTooManyRequests {
		t.Fatalf("second create from %s: %d, want 429 (limit 1)", ipA, status)
	}
	if status, _ := post(ipB, h.Get(ResumeHeader)); status != http.StatusCreated {
		t.Fatalf("resume from %s: %d", ipB, status)
	}
	if status, _ := post(ipB, ""); status != http.StatusCreated {
		t.Fatalf("create from %s after its resume: %d, want 201 (the resume charged %s)", ipB, status, ipB)
	}
	if status, _ := post(ipA, ""); status != http.StatusTooManyRequests {
		t.Fatalf("create from %s while its resumed call lives: %d, want 429", ipA, status)
	}
	if status, _, body := req(t, http.MethodDelete, ts.URL+loc, ""); status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", status, body)
	}
	if status, _ := post(ipA, ""); status != http.StatusCreated {
		t.Fatalf("create from %s after its call ended: %d, want 201", ipA, status)
	}
	if mgr.Total() != 3 {
		t.Fatalf("%d calls created, want 3 (the resume made none)", mgr.Total())
	}
}
