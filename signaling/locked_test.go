package signaling

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/turnsrv"
)

// freeTCPPort returns a loopback TCP port that was free a moment ago.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// lockedServer is a server with the built-in TURN server on loopback and,
// when tcp is set, ICE-TCP on a fixed port.
func lockedServer(t *testing.T, tcp bool) (*httptest.Server, *session.Manager) {
	t.Helper()
	secret := []byte("turn secret for the test")
	ts, err := turnsrv.Listen(turnsrv.Options{Listen: "127.0.0.1:0", RelayIP: net.ParseIP("127.0.0.1"), Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	cfg := session.Config{Pipeline: dialogue.Echo{}, IncludeLoopback: true, Log: zerolog.Nop()}
	if tcp {
		cfg.TCPPort = freeTCPPort(t)
	}
	mgr, err := session.NewManager(cfg)
	if err != nil {
		_ = ts.Close()
		t.Fatal(err)
	}
	hs := httptest.NewServer(New(mgr, Options{Log: zerolog.Nop(), TURN: &TURNOptions{Port: ts.Port(), Secret: secret}}))
	t.Cleanup(func() {
		hs.Close()
		_ = mgr.Close(session.ReasonServerShutdown)
		_ = ts.Close()
	})
	return hs, mgr
}

// blockedCall connects a caller that sends no UDP (its network blocks it):
// with ICE over TCP only or, given relay-only cfg with TURN-over-TCP
// servers, through TURN. It returns the local candidate of the pair ICE
// selected.
func blockedCall(t *testing.T, server string, cfg webrtc.Configuration) *webrtc.ICECandidate {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	if cfg.ICETransportPolicy == webrtc.ICETransportPolicyRelay {
		// Relay candidates only, allocated over TCP: no UDP leaves the caller.
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4})
	} else {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4})
	}
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(cfg)
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
	ready := make(chan struct{}, 1)
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		var ev events.Event
		if json.Unmarshal(msg.Data, &ev) == nil && ev.Type == events.TypeSessionReady {
			select {
			case ready <- struct{}{}:
			default:
			}
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	sdp := pc.LocalDescription().SDP
	t.Logf("candidates offered: %q", sdpLines(sdp, "a=candidate:"))
	if strings.Contains(sdp, " udp ") && cfg.ICETransportPolicy != webrtc.ICETransportPolicyRelay {
		t.Fatalf("the UDP-blocked caller offered a UDP candidate:\n%s", sdp)
	}
	status, _, answer := do(t, http.MethodPost, server+"/v1/calls", "application/sdp", strings.NewReader(sdp))
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, answer)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatalf("no session.ready over the data channel (ICE %s)", pc.ICEConnectionState())
	}
	pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("no selected candidate pair: %v", err)
	}
	return pair.Local
}

// TestUDPBlockedCallerICETCP: a caller that can use only TCP connects to
// the server's passive ICE-TCP candidate on -tcp-port.
func TestUDPBlockedCallerICETCP(t *testing.T) {
	hs, _ := lockedServer(t, true)
	local := blockedCall(t, hs.URL, webrtc.Configuration{})
	if local.Protocol != webrtc.ICEProtocolTCP || local.Typ != webrtc.ICECandidateTypeHost {
		t.Fatalf("selected local candidate %s, want a TCP host candidate", local)
	}
}

// TestUDPBlockedCallerTURNTCP: a caller that can use only TCP, relay only,
// with the TURN server and credentials /v1/config gives it, connects
// through a TURN-over-TCP allocation.
func TestUDPBlockedCallerTURNTCP(t *testing.T) {
	// No ICE-TCP on this server: a caller facing a passive TCP candidate
	// would reach it directly, past its relay-only policy.
	hs, _ := lockedServer(t, false)
	status, _, body := do(t, http.MethodGet, hs.URL+"/v1/config", "", nil)
	if status != http.StatusOK {
		t.Fatalf("config: %d %s", status, body)
	}
	var cfg ClientConfig
	if err := json.Unmarshal([]byte(body), &cfg); err != nil {
		t.Fatal(err)
	}
	var tcpURL ICEServer
	for _, s := range cfg.ICEServers {
		for _, u := range s.URLs {
			if strings.HasPrefix(u, "turn:") && strings.HasSuffix(u, "?transport=tcp") {
				tcpURL = ICEServer{URLs: []string{u}, Username: s.Username, Credential: s.Credential}
			}
		}
	}
	if len(tcpURL.URLs) == 0 || tcpURL.Username == "" || tcpURL.Credential == "" {
		t.Fatalf("no TURN-over-TCP server with credentials in /v1/config: %s", body)
	}
	local := blockedCall(t, hs.URL, webrtc.Configuration{
		ICETransportPolicy: webrtc.ICETransportPolicyRelay,
		ICEServers:         []webrtc.ICEServer{{URLs: tcpURL.URLs, Username: tcpURL.Username, Credential: tcpURL.Credential}},
	})
	if local.Typ != webrtc.ICECandidateTypeRelay || local.Protocol != webrtc.ICEProtocolUDP {
		t.Fatalf("selected local candidate %s, want a relay candidate", local)
	}
	// Wrong credentials get no allocation: the same call fails to gather.
	bad := webrtc.ICEServer{URLs: tcpURL.URLs, Username: tcpURL.Username, Credential: "wrong"}
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4})
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{ICETransportPolicy: webrtc.ICETransportPolicyRelay, ICEServers: []webrtc.ICEServer{bad}})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	offer, _ := pc.CreateOffer(nil)
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if strings.Contains(pc.LocalDescription().SDP, "typ relay") {
		t.Fatal("TURN allocated a relay for a wrong password")
	}
}
