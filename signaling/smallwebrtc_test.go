package signaling

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/duplex-ai/duplex/rtvi"
	"github.com/duplex-ai/duplex/session"
)

// pipecatPeer is a pion peer laid out as Pipecat's SmallWebRTC transport
// offers: audio sendrecv, camera sendrecv, screen sendonly, "chat".
type pipecatPeer struct {
	pc   *webrtc.PeerConnection
	dc   *webrtc.DataChannel
	msgs chan string
	open chan struct{}
}

func newPipecatPeer(t *testing.T) *pipecatPeer {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	for _, tr := range []struct {
		kind webrtc.RTPCodecType
		dir  webrtc.RTPTransceiverDirection
	}{
		{webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverDirectionSendrecv},
		{webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverDirectionSendrecv},
		{webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverDirectionSendonly},
	} {
		if tr.dir == webrtc.RTPTransceiverDirectionSendonly {
			track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "screen", "screen")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: tr.dir}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := pc.AddTransceiverFromKind(tr.kind, webrtc.RTPTransceiverInit{Direction: tr.dir}); err != nil {
			t.Fatal(err)
		}
	}
	p := &pipecatPeer{pc: pc, msgs: make(chan string, 64), open: make(chan struct{})}
	ordered := true
	if p.dc, err = pc.CreateDataChannel("chat", &webrtc.DataChannelInit{Ordered: &ordered}); err != nil {
		t.Fatal(err)
	}
	p.dc.OnMessage(func(m webrtc.DataChannelMessage) { p.msgs <- string(m.Data) })
	p.dc.OnOpen(func() { close(p.open) })
	return p
}

// offer returns the offer body; like the client, without candidates.
func (p *pipecatPeer) offer(t *testing.T, pcID string, restart bool) string {
	t.Helper()
	o, err := p.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"sdp": o.SDP, "type": "offer", "pc_id": nil, "restart_pc": restart}
	if pcID != "" {
		body["pc_id"] = pcID
	}
	b, _ := json.Marshal(body)
	return string(b)
}

func TestSmallWebRTC(t *testing.T) {
	ts, mgr := newServerWith(t, session.Config{}, Options{})
	p := newPipecatPeer(t)
	var local []webrtc.ICECandidateInit
	gathered := make(chan struct{})
	var mu sync.Mutex
	p.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		mu.Lock()
		defer mu.Unlock()
		select {
		case <-gathered: // the first offer's gathering is all the test needs
			return
		default:
		}
		if c == nil {
			close(gathered)
			return
		}
		local = append(local, c.ToJSON())
	})
	st, _, b := req(t, "POST", ts.URL+"/api/offer", p.offer(t, "", false), "Content-Type", "application/json")
	if st != 200 {
		t.Fatalf("offer: %d %s", st, b)
	}
	var ans rtvi.Answer
	if err := json.Unmarshal([]byte(b), &ans); err != nil || ans.Type != "answer" || ans.PCID == "" {
		t.Fatalf("answer %s: %v", b, err)
	}
	var sd sdp.SessionDescription
	if err := sd.Unmarshal([]byte(ans.SDP)); err != nil {
		t.Fatal(err)
	}
	if len(sd.MediaDescriptions) != 4 {
		t.Fatalf("%d m-lines:\n%s", len(sd.MediaDescriptions), ans.SDP)
	}
	for i, md := range sd.MediaDescriptions[:3] {
		want := map[int]string{0: "sendrecv", 1: "recvonly", 2: "recvonly"}[i]
		if _, ok := md.Attribute(want); !ok || md.MediaName.Port.Value == 0 {
			t.Fatalf("m-line %d (%s) is not %s:\n%s", i, md.MediaName.Media, want, ans.SDP)
		}
	}
	if !strings.Contains(ans.SDP, "a=candidate:") {
		t.Fatal("answer without candidates")
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP}); err != nil {
		t.Fatal(err)
	}
	<-gathered
	// The client trickles its candidates by PATCH, snake_case.
	var cands []map[string]any
	for _, c := range local {
		cands = append(cands, map[string]any{"candidate": c.Candidate, "sdp_mid": c.SDPMid, "sdp_mline_index": c.SDPMLineIndex})
	}
	pb, _ := json.Marshal(map[string]any{"pc_id": ans.PCID, "candidates": cands})
	if st, _, b := req(t, "PATCH", ts.URL+"/api/offer", string(pb), "Content-Type", "application/json"); st != 200 {
		t.Fatalf("PATCH: %d %s", st, b)
	}
	if st, _, _ := req(t, "PATCH", ts.URL+"/api/offer", `{"pc_id":"nope","candidates":[]}`, "Content-Type", "application/json"); st != 404 {
		t.Fatalf("PATCH unknown pc_id: %d", st)
	}
	select {
	case <-p.open:
	case <-time.After(10 * time.Second):
		t.Fatal("chat never opened")
	}
	_ = p.dc.SendText("ping: 1733461200000")
	_ = p.dc.SendText(`{"id":"a1b2c3d4","label":"rtvi-ai","type":"client-ready","data":{"version":"2.1.0","about":{"library":"@pipecat-ai/client-js"}}}`)
	select {
	case m := <-p.msgs:
		var msg rtvi.Message
		if json.Unmarshal([]byte(m), &msg) != nil || msg.Type != rtvi.TypeBotReady || msg.ID != "a1b2c3d4" {
			t.Fatalf("first message %s, want bot-ready echoing the id (the ping is ignored)", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no bot-ready")
	}

	// Renegotiating the live call is refused; a restart attaches a new
	// peer connection to the same call, which keeps its conversation.
	if st, _, b := req(t, "POST", ts.URL+"/api/offer", p.offer(t, ans.PCID, false), "Content-Type", "application/json"); st != 409 {
		t.Fatalf("renegotiate: %d %s", st, b)
	}
	call, err := mgr.Get(ans.PCID)
	if err != nil {
		t.Fatal(err)
	}
	p2 := newPipecatPeer(t)
	st, _, b = req(t, "POST", ts.URL+"/api/offer", p2.offer(t, ans.PCID, true), "Content-Type", "application/json")
	var ans2 rtvi.Answer
	if st != 200 || json.Unmarshal([]byte(b), &ans2) != nil || ans2.PCID != ans.PCID {
		t.Fatalf("restart: %d %s, want pc_id %s", st, b, ans.PCID)
	}
	if err := p2.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans2.SDP}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p2.open:
	case <-time.After(10 * time.Second):
		t.Fatal("chat never opened on the restarted peer connection")
	}
	_ = p2.dc.SendText(`{"id":"e5f6","label":"rtvi-ai","type":"client-ready","data":{"version":"2.1.0"}}`)
	select {
	case m := <-p2.msgs:
		var msg rtvi.Message
		if json.Unmarshal([]byte(m), &msg) != nil || msg.Type != rtvi.TypeBotReady || msg.ID != "e5f6" {
			t.Fatalf("first message after restart %s, want bot-ready", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no bot-ready after restart")
	}
	select {
	case <-call.Done():
		t.Fatalf("the call ended at the restart: %s", call.Reason())
	default:
	}
	if same, err := mgr.Get(ans.PCID); err != nil || same != call || mgr.Active() != 1 {
		t.Fatalf("after restart: %v %v, %d calls", same == call, err, mgr.Active())
	}
	if _, attached := mgr.Reconnects(); attached != 1 {
		t.Fatalf("%d peer connections attached, want 1", attached)
	}
	// A restart for a call that has ended starts a new one.
	call.Close(session.ReasonClientHangup)
	<-call.Done()
	p3 := newPipecatPeer(t)
	st, _, b = req(t, "POST", ts.URL+"/api/offer", p3.offer(t, ans.PCID, true), "Content-Type", "application/json")
	var ans3 rtvi.Answer
	if st != 200 || json.Unmarshal([]byte(b), &ans3) != nil || ans3.PCID == "" || ans3.PCID == ans.PCID {
		t.Fatalf("restart of an ended call: %d %s", st, b)
	}
	if st, _, _ := req(t, "POST", ts.URL+"/api/offer", `{"type":"offer"}`, "Content-Type", "application/json"); st != 400 {
		t.Fatalf("bad offer: %d", st)
	}
}

// TestSmallWebRTCDisconnectBot: disconnect-bot on the chat channel ends
// the call.
func TestSmallWebRTCDisconnectBot(t *testing.T) {
	ts, mgr := newServerWith(t, session.Config{}, Options{SmallWebRTCPath: "/pipecat/offer"})
	p := newPipecatPeer(t)
	gathered := webrtc.GatheringCompletePromise(p.pc)
	p.offer(t, "", false) // sets the local description
	<-gathered
	// All candidates in the offer here (waitForICEGathering), no PATCH.
	o := map[string]any{"sdp": p.pc.LocalDescription().SDP, "type": "offer", "restart_pc": false}
	bb, _ := json.Marshal(o)
	st, _, b := req(t, "POST", ts.URL+"/pipecat/offer", string(bb), "Content-Type", "application/json")
	var ans rtvi.Answer
	if st != 200 || json.Unmarshal([]byte(b), &ans) != nil {
		t.Fatalf("offer: %d %s", st, b)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.open:
	case <-time.After(10 * time.Second):
		t.Fatal("chat never opened")
	}
	c, err := mgr.Get(ans.PCID)
	if err != nil {
		t.Fatal(err)
	}
	_ = p.dc.SendText(`{"id":"z","label":"rtvi-ai","type":"disconnect-bot"}`)
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("disconnect-bot did not end the call")
	}
	if c.Reason() != session.ReasonClientHangup {
		t.Fatal(c.Reason())
	}
}
