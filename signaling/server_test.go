package signaling

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/internal/testpeer"
	"github.com/duplex-ai/duplex/session"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newServer(t *testing.T, maxCalls int) (*httptest.Server, *session.Manager) {
	t.Helper()
	mgr, err := session.NewManager(session.Config{
		Pipeline:        dialogue.Echo{},
		MaxCalls:        maxCalls,
		IncludeLoopback: true,
		Log:             zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(mgr, Options{Log: zerolog.Nop()}))
	t.Cleanup(func() {
		ts.Close()
		_ = mgr.Close(session.ReasonServerShutdown)
	})
	return ts, mgr
}

func do(t *testing.T, method, url, ct string, body io.Reader) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func errorText(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
		t.Fatalf("body %q is not a JSON error", body)
	}
	return e.Error
}

const pcmuOnly = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:0 PCMU/8000\r\n"

func TestBadInput(t *testing.T) {
	ts, mgr := newServer(t, 5)
	cases := []struct {
		name   string
		ct     string
		body   string
		status int
		reason string
	}{
		{"wrong content type", "application/json", `{"sdp":"x"}`, 415, "Content-Type"},
		{"no content type", "", "v=0", 415, "Content-Type"},
		{"body over 64 KiB", "application/sdp", strings.Repeat("a", 1<<20), 413, "limit"},
		{"garbage SDP", "application/sdp", "this is not SDP", 400, "bad SDP offer"},
		{"empty SDP", "application/sdp", "", 400, "empty"},
		{"no opus", "application/sdp", pcmuOnly, 400, "Opus"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := do(t, "POST", ts.URL+"/v1/calls", tc.ct, strings.NewReader(tc.body))
			if status != tc.status {
				t.Fatalf("status %d, want %d (body %s)", status, tc.status, body)
			}
			if msg := errorText(t, body); !strings.Contains(msg, tc.reason) {
				t.Fatalf("error %q does not say %q", msg, tc.reason)
			}
		})
	}
	if n := mgr.Active(); n != 0 {
		t.Fatalf("%d calls left after bad input", n)
	}
	if status, _, body := do(t, "GET", ts.URL+"/healthz", "", nil); status != 200 || body != "ok" {
		t.Fatalf("healthz after bad input: %d %q", status, body)
	}
}

// TestOneWayAudioOffer: POST /v1/calls with a real offer whose audio is
// recvonly, sendonly or inactive is a 400 naming the direction, not a call
// that cannot both hear and speak.
func TestOneWayAudioOffer(t *testing.T) {
	ts, mgr := newServer(t, 5)
	for _, dir := range []webrtc.RTPTransceiverDirection{
		webrtc.RTPTransceiverDirectionRecvonly,
		webrtc.RTPTransceiverDirectionSendonly,
		webrtc.RTPTransceiverDirectionInactive,
	} {
		offer, err := testpeer.OfferAudio(dir, true)
		if err != nil {
			t.Fatal(err)
		}
		status, _, body := do(t, "POST", ts.URL+"/v1/calls", "application/sdp", strings.NewReader(offer))
		if status != http.StatusBadRequest {
			t.Fatalf("%s audio: status %d, want 400 (body %.80q)", dir, status, body)
		}
		if msg := errorText(t, body); !strings.Contains(msg, dir.String()) || !strings.Contains(msg, "sendrecv") {
			t.Errorf("%s audio: error %q does not give the reason", dir, msg)
		}
	}
	if n := mgr.Active(); n != 0 {
		t.Fatalf("%d calls left after one-way offers", n)
	}
}

func TestUnknownCall(t *testing.T) {
	ts, _ := newServer(t, 5)
	if status, _, body := do(t, "DELETE", ts.URL+"/v1/calls/0123456789abcdef0123456789abcdef", "", nil); status != 404 {
		t.Fatalf("DELETE unknown: %d %s", status, body)
	}
	if status, _, body := do(t, "PATCH", ts.URL+"/v1/calls/nope", "application/trickle-ice-sdpfrag", strings.NewReader("a=end-of-candidates\r\n")); status != 404 {
		t.Fatalf("PATCH unknown: %d %s", status, body)
	}
}

func TestConfig(t *testing.T) {
	mgr, err := session.NewManager(session.Config{
		Pipeline: dialogue.Echo{}, Log: zerolog.Nop(),
		ICEServers: mustICE(t, "stun:stun.example.org:3478", "turn:alice:secret@turn.example.org:3478"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close(session.ReasonServerShutdown)
	ts := httptest.NewServer(New(mgr, Options{}))
	defer ts.Close()
	status, hdr, body := do(t, "GET", ts.URL+"/v1/config", "", nil)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("config: %d %s", status, hdr.Get("Content-Type"))
	}
	var cfg ClientConfig
	if err := json.Unmarshal([]byte(body), &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.ICEServers) != 2 || cfg.ICEServers[0].URLs[0] != "stun:stun.example.org:3478" ||
		cfg.ICEServers[1].URLs[0] != "turn:turn.example.org:3478" || cfg.ICEServers[1].Username != "alice" || cfg.ICEServers[1].Credential != "secret" {
		t.Fatalf("config = %+v", cfg)
	}
}

func mustICE(t *testing.T, urls ...string) []webrtc.ICEServer {
	t.Helper()
	s, err := ICEServersFromURLs(urls)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestICEServersFromURLsRejects(t *testing.T) {
	for _, u := range []string{"http://x", "turn:alice@host", "stun"} {
		if _, err := ICEServersFromURLs([]string{u}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

// TestCreateDeleteCycles creates and hangs up 100 calls; goleak in
// TestMain proves nothing is left behind.
func TestCreateDeleteCycles(t *testing.T) {
	ts, mgr := newServer(t, 2)
	offer, err := testpeer.Offer(true)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		status, hdr, body := do(t, "POST", ts.URL+"/v1/calls", "application/sdp", strings.NewReader(offer))
		if status != 201 {
			t.Fatalf("cycle %d: POST %d %s", i, status, body)
		}
		if !strings.Contains(body, "a=candidate:") || !strings.Contains(body, "opus/48000") {
			t.Fatalf("answer lacks candidates or opus:\n%s", body)
		}
		loc := hdr.Get("Location")
		m := locRE.FindStringSubmatch(loc)
		if m == nil {
			t.Fatalf("Location %q: want /v1/calls/<128-bit hex>?secret=<128-bit hex>", loc)
		}
		if i == 0 {
			// The call's own secret is needed to touch it.
			for _, u := range []string{"/v1/calls/" + m[1], "/v1/calls/" + m[1] + "?secret=" + strings.Repeat("0", 32)} {
				if st, _, b := do(t, "DELETE", ts.URL+u, "", nil); st != 403 || !strings.Contains(errorText(t, b), "secret") {
					t.Fatalf("DELETE %s: %d %s, want 403 about the secret", u, st, b)
				}
				if st, _, b := do(t, "PATCH", ts.URL+u, "application/trickle-ice-sdpfrag", strings.NewReader("a=end-of-candidates\r\n")); st != 403 {
					t.Fatalf("PATCH %s: %d %s, want 403", u, st, b)
				}
			}
			// A trickled candidate is accepted; an empty fragment is not.
			frag := "a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\n"
			if st, _, b := do(t, "PATCH", ts.URL+loc, "application/trickle-ice-sdpfrag", strings.NewReader(frag)); st != 204 {
				t.Fatalf("PATCH: %d %s", st, b)
			}
			if st, _, b := do(t, "PATCH", ts.URL+loc, "application/trickle-ice-sdpfrag", strings.NewReader("a=mid:0\r\n")); st != 400 {
				t.Fatalf("empty PATCH: %d %s", st, b)
			}
			if st, _, b := do(t, "PATCH", ts.URL+loc, "application/sdp", strings.NewReader(frag)); st != 415 {
				t.Fatalf("PATCH wrong type: %d %s", st, b)
			}
		}
		if status, _, body := do(t, "DELETE", ts.URL+loc, "", nil); status != 204 {
			t.Fatalf("cycle %d: DELETE %d %s", i, status, body)
		}
		if status, _, _ := do(t, "DELETE", ts.URL+loc, "", nil); status != 404 {
			t.Fatalf("cycle %d: second DELETE %d, want 404", i, status)
		}
	}
	if n := mgr.Active(); n != 0 {
		t.Fatalf("%d calls active after cycles", n)
	}
	if got := mgr.ClosedByReason()[session.ReasonClientHangup]; got != 100 {
		t.Fatalf("client_hangup closes = %d, want 100", got)
	}
}

var locRE = regexp.MustCompile(`^/v1/calls/([0-9a-f]{32})\?secret=([0-9a-f]{32})$`)

func TestMaxCalls(t *testing.T) {
	ts, _ := newServer(t, 1)
	offer, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	status, hdr, body := do(t, "POST", ts.URL+"/v1/calls", "application/sdp", strings.NewReader(offer))
	if status != 201 {
		t.Fatalf("first call: %d %s", status, body)
	}
	status, _, body = do(t, "POST", ts.URL+"/v1/calls", "application/sdp", strings.NewReader(offer))
	if status != 503 || !strings.Contains(errorText(t, body), "too many calls") {
		t.Fatalf("second call: %d %s, want 503 too many calls", status, body)
	}
	do(t, "DELETE", ts.URL+hdr.Get("Location"), "", nil)
	status, hdr, body = do(t, "POST", ts.URL+"/v1/calls", "application/sdp", strings.NewReader(offer))
	if status != 201 {
		t.Fatalf("after hang-up: %d %s", status, body)
	}
	do(t, "DELETE", ts.URL+hdr.Get("Location"), "", nil)
}

func TestMetrics(t *testing.T) {
	ts, _ := newServer(t, 1)
	offer, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	_, hdr, _ := do(t, "POST", ts.URL+"/v1/calls", "application/sdp", strings.NewReader(offer))
	_, _, body := do(t, "GET", ts.URL+"/metrics", "", nil)
	for _, want := range []string{"duplex_active_calls 1", "duplex_calls_total 1", "process_resident_memory_bytes", "go_goroutines"} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %q:\n%s", want, body)
		}
	}
	do(t, "DELETE", ts.URL+hdr.Get("Location"), "", nil)
	_, _, body = do(t, "GET", ts.URL+"/metrics", "", nil)
	for _, want := range []string{"duplex_active_calls 0", `duplex_calls_closed_total{reason="client_hangup"} 1`} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %q:\n%s", want, body)
		}
	}
}

// TestBodyTooLargeWraps: an over-long body of unknown length is
// ErrBodyTooLarge and still carries net/http's *MaxBytesError.
func TestBodyTooLargeWraps(t *testing.T) {
	s := New(nil, Options{MaxBody: 16})
	r := httptest.NewRequest("POST", "/v1/calls", strings.NewReader(strings.Repeat("a", 64)))
	r.Header.Set("Content-Type", "application/sdp")
	r.ContentLength = -1
	_, err := s.readBody(httptest.NewRecorder(), r, "application/sdp")
	var mbe *http.MaxBytesError
	if !errors.Is(err, ErrBodyTooLarge) || !errors.As(err, &mbe) || mbe.Limit != 16 {
		t.Fatalf("err = %v, want ErrBodyTooLarge wrapping *http.MaxBytesError{Limit: 16}", err)
	}
}
