package signaling

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/duplex-ai/duplex/internal/testpeer"
	"github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/session"
)

var realtimeLocRE = regexp.MustCompile(`^/v1/realtime/calls/([0-9a-f]{32})$`)

func mintEK(t *testing.T, url, apiKey, body string) realtime.ClientSecret {
	t.Helper()
	st, _, b := req(t, "POST", url+"/v1/realtime/client_secrets", body, "Authorization", "Bearer "+apiKey, "Content-Type", "application/json")
	if st != 200 {
		t.Fatalf("client_secrets: %d %s", st, b)
	}
	var cs realtime.ClientSecret
	if err := json.Unmarshal([]byte(b), &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestRealtimeCallsAndClientSecrets(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ts, mgr := newServerWith(t, session.Config{}, Options{APIKeys: []string{"sk-test"}, TokenSecret: []byte("secret"), Now: func() time.Time { return now }})
	cs := mintEK(t, ts.URL, "sk-test", `{"session":{"type":"realtime","instructions":"Be brief."},"expires_after":{"anchor":"created_at","seconds":60}}`)
	if !strings.HasPrefix(cs.Value, "ek_") || cs.ExpiresAt != now.Unix()+60 || cs.Session == nil || *cs.Session.Instructions != "Be brief." {
		t.Fatalf("minted %+v", cs)
	}
	// A key cannot mint keys, and a bad body is a typed error.
	if st, _, _ := req(t, "POST", ts.URL+"/v1/realtime/client_secrets", "", "Authorization", "Bearer "+cs.Value); st != 401 {
		t.Fatalf("ek minted a key: %d", st)
	}
	if st, _, b := req(t, "POST", ts.URL+"/v1/realtime/client_secrets", `{"expires_after":{"anchor":"created_at","seconds":1}}`, "Authorization", "Bearer sk-test", "Content-Type", "application/json"); st != 400 || !strings.Contains(b, "expires_after.seconds") {
		t.Fatalf("bad expiry: %d %s", st, b)
	}

	offer, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "Bearer nope", "Bearer ek_dpx1.AAAA.AAAA"} {
		if st, _, _ := req(t, "POST", ts.URL+"/v1/realtime/calls", offer, "Authorization", bad, "Content-Type", "application/sdp"); st != 401 {
			t.Fatalf("%q: %d, want 401", bad, st)
		}
	}
	st, h, answer := req(t, "POST", ts.URL+"/v1/realtime/calls", offer, "Authorization", "Bearer "+cs.Value, "Content-Type", "application/sdp")
	if st != 201 || h.Get("Content-Type") != "application/sdp" {
		t.Fatalf("raw SDP: %d %s", st, answer)
	}
	m := realtimeLocRE.FindStringSubmatch(h.Get("Location"))
	if m == nil {
		t.Fatalf("Location %q", h.Get("Location"))
	}
	if !strings.Contains(answer, "a=candidate:") || !regexp.MustCompile(`a=msid:\S+ \S+`).MatchString(answer) {
		t.Fatalf("answer lacks candidates or a stream id:\n%s", answer)
	}

	// The multipart form of the openai SDK.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("sdp", offer)
	_ = mw.WriteField("session", `{"type":"realtime","instructions":"Speak French."}`)
	_ = mw.Close()
	st, h, b := req(t, "POST", ts.URL+"/v1/realtime/calls", body.String(), "Authorization", "Bearer sk-test", "Content-Type", mw.FormDataContentType())
	if st != 201 || !realtimeLocRE.MatchString(h.Get("Location")) || !strings.HasPrefix(b, "v=0") {
		t.Fatalf("multipart: %d %v %s", st, h, b)
	}
	if mgr.Active() != 2 {
		t.Fatalf("%d calls", mgr.Active())
	}
	if st, _, _ := req(t, "DELETE", ts.URL+h.Get("Location"), "", "Authorization", "Bearer sk-test"); st != 200 {
		t.Fatalf("DELETE: %d", st)
	}
	if st, _, _ := req(t, "DELETE", ts.URL+"/v1/realtime/calls/"+m[1], ""); st != 401 {
		t.Fatalf("DELETE without a key: %d", st)
	}
	if mgr.Active() != 1 {
		t.Fatalf("%d calls after DELETE", mgr.Active())
	}
}

func TestRealtimeCORS(t *testing.T) {
	ts, _ := newServerWith(t, session.Config{}, Options{CORSOrigins: []string{"https://app.example"}})
	st, h, _ := req(t, "OPTIONS", ts.URL+"/v1/realtime/calls", "", "Origin", "https://app.example",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type,x-openai-agents-sdk")
	allow := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
	for _, want := range []string{"authorization", "content-type", "x-openai-agents-sdk"} {
		if !strings.Contains(allow, want) {
			t.Fatalf("preflight %d allows %q, not %s", st, allow, want)
		}
	}
	if st != 204 || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "Location") {
		t.Fatalf("preflight: %d %v", st, h)
	}
}

// TestRealtimeDataChannel connects a real pion peer with the oai-events
// channel: session.created comes first, session.update is answered with
// session.updated, and a bad event gets an error naming it; the call goes on.
func TestRealtimeDataChannel(t *testing.T) {
	ts, _ := newServerWith(t, session.Config{}, Options{})
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.Close() }()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		t.Fatal(err)
	}
	dc, err := pc.CreateDataChannel("oai-events", nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs := make(chan string, 64)
	dc.OnMessage(func(m webrtc.DataChannelMessage) { msgs <- string(m.Data) })
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	st, _, answer := req(t, "POST", ts.URL+"/v1/realtime/calls", pc.LocalDescription().SDP, "Content-Type", "application/sdp")
	if st != 201 {
		t.Fatalf("%d %s", st, answer)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	next := func() map[string]any {
		t.Helper()
		select {
		case m := <-msgs:
			var v map[string]any
			if err := json.Unmarshal([]byte(m), &v); err != nil {
				t.Fatalf("%s: %v", m, err)
			}
			if id, _ := v["event_id"].(string); id == "" {
				t.Fatalf("no event_id: %s", m)
			}
			return v
		case <-time.After(10 * time.Second):
			t.Fatal("no message from the server")
			return nil
		}
	}
	select {
	case <-opened:
	case <-time.After(10 * time.Second):
		t.Fatal("oai-events never opened")
	}
	if v := next(); v["type"] != "session.created" {
		t.Fatalf("first message %v", v)
	}
	if err := dc.SendText(`{"type":"session.update","session":{"type":"realtime","instructions":"Be brief."}}`); err != nil {
		t.Fatal(err)
	}
	if v := next(); v["type"] != "session.updated" || v["session"].(map[string]any)["instructions"] != "Be brief." {
		t.Fatalf("answer %v", v)
	}
	// The instructions reached the pipeline (echo says it cannot use them).
	if v := next(); v["type"] != "error" || !strings.Contains(v["error"].(map[string]any)["message"].(string), "configure") {
		t.Fatalf("pipeline's answer %v", v)
	}
	_ = dc.SendText(`{"type":"bogus","event_id":"ev9"}`)
	v := next()
	if e, _ := v["error"].(map[string]any); v["type"] != "error" || e["code"] != realtime.CodeUnknownEvent || e["event_id"] != "ev9" {
		t.Fatalf("answer %v", v)
	}
	_ = dc.SendText(`{"type":"session.update","session":{"type":"realtime"}}`)
	if v := next(); v["type"] != "session.updated" {
		t.Fatalf("after an error the call went %v", v)
	}
}
