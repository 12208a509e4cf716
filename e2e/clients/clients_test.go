package clients

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/rtvi"
)

// The versions pinned in package.json; a bundle built from anything else
// fails here.
const (
	agentsRealtimeVersion = "0.20.0"
	clientJSVersion       = "1.13.1"
	smallWebRTCVersion    = "1.10.8"
)

// TestOpenAIRealtimeClient loads the Agents SDK bundle, builds a session on
// the WebRTC transport pointed at the stub and connects: the request must
// be the one docs/clients.md describes (raw SDP offer, bearer ek_ key, the
// SDK header, no candidates, no query), and a refusal must reach the app
// with the server's error message.
func TestOpenAIRealtimeClient(t *testing.T) {
	s := newStub(t, "openai", 501, `{"error":{"message":"duplex: realtime calls are not served yet"}}`)
	b := newBrowser(t, s.URL+"/")
	var got struct {
		Version string `json:"version"`
		Status  string `json:"status"`
		Same    bool   `json:"same"`
		Agent   string `json:"agent"`
		Error   string `json:"error"`
	}
	b.eval(`(async () => {
		const m = window.DuplexOpenAI;
		const agent = new m.RealtimeAgent({ name: 'duplex-test', instructions: 'Be brief.' });
		const transport = new m.OpenAIRealtimeWebRTC({ baseUrl: location.origin + '/v1/realtime/calls' });
		const session = new m.RealtimeSession(agent, { transport });
		const status = transport.status;
		let error = '';
		try {
			await session.connect({ apiKey: 'ek_test_key' });
		} catch (e) {
			error = String((e && e.message) || e);
		}
		session.close();
		return { version: m.agentsRealtimeVersion, status, same: session.transport === transport, agent: agent.name, error };
	})()`, &got)
	if got.Version != agentsRealtimeVersion || got.Status != "disconnected" || !got.Same || got.Agent != "duplex-test" {
		t.Errorf("client: %+v", got)
	}
	if !strings.Contains(got.Error, "not served yet") {
		t.Errorf("connect error %q does not carry the server's message", got.Error)
	}
	reqs := s.requests("/v1/realtime/calls")
	if len(reqs) != 1 {
		t.Fatalf("%d requests to /v1/realtime/calls, want 1", len(reqs))
	}
	r := reqs[0]
	sdp := string(r.Body)
	for _, c := range []struct {
		what string
		ok   bool
	}{
		{"POST", r.Method == "POST"},
		{"no query string", r.URL.RawQuery == ""},
		{"Content-Type application/sdp", r.Header.Get("Content-Type") == "application/sdp"},
		{"Authorization: Bearer ek_test_key", r.Header.Get("Authorization") == "Bearer ek_test_key"},
		{"X-OpenAI-Agents-SDK header", r.Header.Get("X-Openai-Agents-Sdk") == "openai-agents-sdk."+agentsRealtimeVersion},
		{"raw SDP offer", strings.HasPrefix(sdp, "v=0")},
		{"an audio m-line", strings.Contains(sdp, "m=audio ")},
		{"the oai-events data channel m-line", strings.Contains(sdp, "m=application ")},
		{"no candidates in the offer", !strings.Contains(sdp, "a=candidate:")},
	} {
		if !c.ok {
			t.Errorf("request: want %s; got %s %s %v\n%s", c.what, r.Method, r.URL, r.Header, sdp)
		}
	}
	if u := b.blocked(); len(u) != 0 {
		t.Errorf("the page tried to leave the loopback: %v", u)
	}
}

// micJS starts a Pipecat client on transport (a JS expression using m)
// and reports its local mic track and the track's level.
const micJS = `(async () => {
	const m = window.DuplexPipecat;
	const transport = %s;
	const client = new m.PipecatClient({ transport, enableMic: true, enableCam: false });
	await client.initDevices();
	const track = client.tracks().local.audio;
	if (!track) return { versions: [m.clientJsVersion, m.smallWebRTCVersion] };
	return {
		versions: [m.clientJsVersion, m.smallWebRTCVersion],
		kind: track.kind, state: track.readyState, enabled: track.enabled, label: track.label,
		rms: await rmsOf(track),
	};
})()`

type micResult struct {
	Versions []string `json:"versions"`
	Kind     string   `json:"kind"`
	State    string   `json:"state"`
	Enabled  bool     `json:"enabled"`
	Label    string   `json:"label"`
	RMS      float64  `json:"rms"`
}

// TestPipecatOfflineMic: with a media manager that needs no network, the
// Pipecat client gets a live mic track carrying the fake device's tone and
// the page makes no request off the loopback. LocalMediaManager is ours
// (entries/local-media-manager.js); WavMediaManager is the transport's.
func TestPipecatOfflineMic(t *testing.T) {
	for _, tc := range []struct{ name, transport string }{
		{"LocalMediaManager", `m.createTransport()`},
		{"WavMediaManager", `new m.SmallWebRTCTransport({ mediaManager: new m.WavMediaManager() })`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStub(t, "pipecat", 400, `{"error":"unused"}`)
			b := newBrowser(t, s.URL+"/")
			var got micResult
			b.eval(strings.Replace(micJS, "%s", tc.transport, 1), &got)
			t.Logf("%s: mic %q %s, level %.3f RMS", tc.name, got.Label, got.State, got.RMS)
			if len(got.Versions) != 2 || got.Versions[0] != clientJSVersion || got.Versions[1] != smallWebRTCVersion {
				t.Errorf("bundle versions %v, want %s %s", got.Versions, clientJSVersion, smallWebRTCVersion)
			}
			if got.Kind != "audio" || got.State != "live" || !got.Enabled {
				t.Errorf("mic track: %+v", got)
			}
			// The tone is 0.21 RMS; silence or a dead track reads 0.
			if got.RMS < 0.05 {
				t.Errorf("mic level %.4f RMS: the fake device's tone does not reach the track", got.RMS)
			}
			if u := b.blocked(); len(u) != 0 {
				t.Errorf("the page tried to leave the loopback: %v", u)
			}
		})
	}
}

// TestPipecatDailyNeedsNetwork is the control for the two tests above:
// the transport's default media manager tries to fetch Daily's script
// from its CDN, and the page's policy catches it.
func TestPipecatDailyNeedsNetwork(t *testing.T) {
	s := newStub(t, "pipecat", 400, `{"error":"unused"}`)
	b := newBrowser(t, s.URL+"/")
	var done bool
	b.eval(`(async () => {
		const m = window.DuplexPipecat;
		const client = new m.PipecatClient({ transport: new m.SmallWebRTCTransport(), enableMic: true, enableCam: false });
		const settled = client.initDevices().then(() => true, () => true);
		for (let i = 0; i < 100 && window.__blocked.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
		return Promise.race([settled, new Promise((r) => setTimeout(() => r(false), 100))]);
	})()`, &done)
	u := b.blocked()
	if !slicesContain(u, "daily.co") {
		t.Fatalf("DailyMediaManager reached no CDN (blocked: %v): the network check of the offline tests proves nothing", u)
	}
	t.Logf("blocked as expected: %v (initDevices settled: %v)", u, done)
}

func slicesContain(urls []string, host string) bool {
	for _, u := range urls {
		if strings.Contains(u, host) {
			return true
		}
	}
	return false
}

// TestPipecatOffer connects the Pipecat client (offline media manager) to
// the stub's /api/offer: the body must parse as a SmallWebRTC offer
// (rtvi.ParseOffer) with the layout docs/clients.md describes — audio
// sendrecv carrying the mic, camera video, the chat data channel, no
// screen-share section — and carry requestData; a 4xx refusal ends
// connect() with no retry.
func TestPipecatOffer(t *testing.T) {
	s := newStub(t, "pipecat", 400, `{"error":"duplex: /api/offer is not served yet"}`)
	b := newBrowser(t, s.URL+"/")
	var got struct {
		Error string `json:"error"`
	}
	b.eval(`(async () => {
		const m = window.DuplexPipecat;
		const client = new m.PipecatClient({ transport: m.createTransport(), enableMic: true, enableCam: false });
		let error = '';
		try {
			await client.connect({ webrtcRequestParams: { endpoint: location.origin + '/api/offer', requestData: { brain: 'echo' } } });
		} catch (e) {
			error = String((e && e.message) || e) || 'rejected';
		}
		await client.disconnect().catch(() => {});
		return { error };
	})()`, &got)
	if got.Error == "" {
		t.Error("connect() succeeded against a 400")
	}
	reqs := s.requests("/api/offer")
	if len(reqs) != 1 {
		t.Fatalf("%d requests to /api/offer, want 1 (a 4xx must stop the retries)", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Errorf("request %s %s", r.Method, r.Header.Get("Content-Type"))
	}
	o, err := rtvi.ParseOffer(r.Body)
	if err != nil {
		t.Fatalf("offer body %s: %v", r.Body, err)
	}
	var rd map[string]string
	if o.PCID != "" || o.RestartPC || json.Unmarshal(o.RequestData, &rd) != nil || rd["brain"] != "echo" {
		t.Errorf("offer fields: pc_id %q restart %v requestData %s", o.PCID, o.RestartPC, o.RequestData)
	}
	sections := strings.Split(o.SDP, "\r\nm=")[1:]
	var kinds []string
	for _, sec := range sections {
		kinds = append(kinds, strings.Fields(sec)[0])
	}
	if strings.Join(kinds, ",") != "audio,video,application" {
		t.Fatalf("offer m-lines %v, want audio,video,application", kinds)
	}
	audio := sections[0]
	if !strings.Contains(audio, "a=sendrecv") || !strings.Contains(audio, "a=msid:") || !strings.Contains(audio, "opus/48000") {
		t.Errorf("audio section is not sendrecv Opus with the mic track:\n%s", audio)
	}
	if u := b.blocked(); len(u) != 0 {
		t.Errorf("the page tried to leave the loopback: %v", u)
	}
}
