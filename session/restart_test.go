package session_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/session"
)

// gatheredOffer sets and returns pc's offer with its candidates.
func gatheredOffer(t *testing.T, pc *webrtc.PeerConnection, opt *webrtc.OfferOptions) string {
	t.Helper()
	o, err := pc.CreateOffer(opt)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc.LocalDescription().SDP
}

// waitICEConnected waits until pc's ICE is connected.
func waitICEConnected(t *testing.T, pc *webrtc.PeerConnection) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for pc.ICEConnectionState() != webrtc.ICEConnectionStateConnected {
		if time.Now().After(deadline) {
			t.Fatalf("ICE %s", pc.ICEConnectionState())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRenegotiateRestartsICE: a complete offer with new ICE credentials
// (what a SmallWebRTC client sends) restarts ICE on the same call; its
// events channel keeps working.
func TestRenegotiateRestartsICE(t *testing.T) {
	m := newManager(t, session.Config{})
	p := dial(t, m)
	p.next(t, events.TypeSessionReady)
	etag := p.call.ETag()
	answer, err := p.call.Renegotiate(context.Background(), gatheredOffer(t, p.pc, &webrtc.OfferOptions{ICERestart: true}))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	if p.call.ETag() == etag {
		t.Fatal("the ICE session did not change")
	}
	waitICEConnected(t, p.pc)
	if err := p.dc.SendText(`{"type":"bogus"}`); err != nil {
		t.Fatal(err)
	}
	if ev := p.next(t, events.TypeError); ev.Code != events.CodeUnknownType {
		t.Fatalf("after renegotiation: %+v", ev)
	}
	if _, err := p.call.Renegotiate(context.Background(), "garbage"); err == nil {
		t.Fatal("a garbage offer was accepted")
	}
	if m.Active() != 1 {
		t.Fatalf("%d live calls", m.Active())
	}
	if r, a := m.Reconnects(); r != 1 || a != 0 {
		t.Fatalf("counted %d restarts and %d reattached, want 1 and 0", r, a)
	}
}

// TestReattach: a new peer connection is attached to a live call; closing
// the old one does not end the call; the new one gets session.ready for
// the same call and carries its events.
func TestReattach(t *testing.T) {
	m := newManager(t, session.Config{})
	p := dial(t, m)
	ready := p.next(t, events.TypeSessionReady)

	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		t.Fatal(err)
	}
	dc, err := pc.CreateDataChannel(events.Label, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 4)
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		var ev struct {
			Type   string `json:"type"`
			CallID string `json:"call_id"`
		}
		if json.Unmarshal(msg.Data, &ev) == nil && ev.Type == events.TypeSessionReady {
			got <- ev.CallID
		}
	})
	answer, err := p.call.Reattach(context.Background(), gatheredOffer(t, pc, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-got:
		if id != ready.CallID {
			t.Fatalf("session.ready for %s, want %s", id, ready.CallID)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no session.ready on the new peer connection")
	}
	// The server closed the old peer connection when it attached the new
	// one (before answering): that close did not end the call, which still
	// answers on the new channel.
	errs := make(chan string, 4)
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		var ev events.Event
		if json.Unmarshal(msg.Data, &ev) == nil && ev.Type == events.TypeError {
			errs <- ev.Code
		}
	})
	if err := dc.SendText(`{"type":"bogus"}`); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-errs:
		if code != events.CodeUnknownType {
			t.Fatalf("error %s", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no answer on the new channel")
	}
	select {
	case <-p.call.Done():
		t.Fatalf("the call ended (%s) when the replaced peer closed", p.call.Reason())
	default:
	}
	if m.Active() != 1 || m.Total() != 1 {
		t.Fatalf("%d live of %d calls", m.Active(), m.Total())
	}
	if r, a := m.Reconnects(); r != 0 || a != 1 {
		t.Fatalf("counted %d restarts and %d reattached, want 0 and 1", r, a)
	}
}

// TestLateStateNotice: pion reports each peer connection state change
// from a goroutine of its own, so a notice can arrive after a later change
// (CI logged connected, then connecting, after an ICE restart). Late
// notices of failed, disconnected or connecting leave a connected call as
// it is: no resume window opens, and the call carries on.
func TestLateStateNotice(t *testing.T) {
	m := newManager(t, session.Config{ResumeWindow: time.Minute})
	p := dial(t, m)
	p.next(t, events.TypeSessionReady)
	for _, s := range []webrtc.PeerConnectionState{
		webrtc.PeerConnectionStateFailed,
		webrtc.PeerConnectionStateDisconnected,
		webrtc.PeerConnectionStateConnecting,
	} {
		session.PeerStateNotice(p.call, s)
		if p.call.TransportDown() {
			t.Fatalf("a late %s notice opened the resume window of a connected call", s)
		}
	}
	if err := p.dc.SendText(`{"type":"bogus"}`); err != nil {
		t.Fatal(err)
	}
	if ev := p.next(t, events.TypeError); ev.Code != events.CodeUnknownType {
		t.Fatalf("after the late notices: %+v", ev)
	}
	if m.Active() != 1 {
		t.Fatalf("%d live calls", m.Active())
	}
}
