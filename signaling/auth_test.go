package signaling

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/internal/testpeer"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/transcript"
)

// fakeClock is the injected clock of tokens and rate limits.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newServerWith(t *testing.T, cfg session.Config, opt Options) (*httptest.Server, *session.Manager) {
	t.Helper()
	cfg.Pipeline = dialogue.Echo{}
	cfg.IncludeLoopback = true
	cfg.Log = zerolog.Nop()
	mgr, err := session.NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	opt.Log = zerolog.Nop()
	ts := httptest.NewServer(New(mgr, opt))
	t.Cleanup(func() {
		ts.Close()
		_ = mgr.Close(session.ReasonServerShutdown)
	})
	return ts, mgr
}

// req sends one request with the given headers (k, v, k, v…).
func req(t *testing.T, method, url, body string, kv ...string) (int, http.Header, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	rq, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		rq.Header.Set(kv[i], kv[i+1])
	}
	resp, err := http.DefaultClient.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestAPIKeyAndTokens(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	ts, mgr := newServerWith(t, session.Config{}, Options{
		APIKeys: []string{"k1", "k2"}, TokenSecret: []byte("token secret"), TokenTTL: time.Minute, Now: clk.Now,
	})
	offer, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	sdp := "application/sdp"
	for _, tc := range []struct{ name, auth string }{
		{"no header", ""},
		{"wrong key", "Bearer k3"},
		{"basic", "Basic azE6"},
		{"forged token", "Bearer dpx1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAA"},
	} {
		st, h, b := req(t, "POST", ts.URL+"/v1/calls", offer, "Content-Type", sdp, "Authorization", tc.auth)
		if st != 401 || errorText(t, b) == "" || h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d %s (WWW-Authenticate %q), want 401 with a reason", tc.name, st, b, h.Get("WWW-Authenticate"))
		}
	}
	if st, _, b := req(t, "GET", ts.URL+"/v1/config", ""); st != 401 {
		t.Errorf("config without key: %d %s", st, b)
	}
	if mgr.Total() != 0 {
		t.Fatalf("%d calls created by refused requests", mgr.Total())
	}
	// The second key works as well as the first.
	st, h, b := req(t, "POST", ts.URL+"/v1/calls", offer, "Content-Type", sdp, "Authorization", "Bearer k2")
	if st != 201 {
		t.Fatalf("with key: %d %s", st, b)
	}
	req(t, "DELETE", ts.URL+h.Get("Location"), "")

	// Tokens: minted with the key only, good for calls until they expire.
	if st, _, b := req(t, "POST", ts.URL+"/v1/tokens", "", "Authorization", "Bearer nope"); st != 401 {
		t.Fatalf("token without key: %d %s", st, b)
	}
	if st, _, b := req(t, "POST", ts.URL+"/v1/tokens?ttl=48h", "", "Authorization", "Bearer k1"); st != 400 {
		t.Fatalf("ttl 48h: %d %s, want 400", st, b)
	}
	st, _, b = req(t, "POST", ts.URL+"/v1/tokens", "", "Authorization", "Bearer k1")
	var tr TokenResponse
	if st != 201 || json.Unmarshal([]byte(b), &tr) != nil || tr.Token == "" {
		t.Fatalf("mint: %d %s", st, b)
	}
	if want := clk.Now().Add(time.Minute).UTC(); !tr.ExpiresAt.Equal(want) {
		t.Fatalf("expires %v, want %v", tr.ExpiresAt, want)
	}
	if st, _, b := req(t, "POST", ts.URL+"/v1/tokens", "", "Authorization", "Bearer "+tr.Token); st != 401 {
		t.Fatalf("a token minted a token: %d %s", st, b)
	}
	if st, _, b := req(t, "GET", ts.URL+"/v1/config", "", "Authorization", "Bearer "+tr.Token); st != 200 {
		t.Fatalf("config with token: %d %s", st, b)
	}
	st, h, b = req(t, "POST", ts.URL+"/v1/calls", offer, "Content-Type", sdp, "Authorization", "Bearer "+tr.Token)
	if st != 201 {
		t.Fatalf("call with token: %d %s", st, b)
	}
	req(t, "DELETE", ts.URL+h.Get("Location"), "")
	// Tampered: flip one character of the signature.
	bad := []byte(tr.Token)
	bad[len(bad)-2] ^= 1
	if st, _, b := req(t, "POST", ts.URL+"/v1/calls", offer, "Content-Type", sdp, "Authorization", "Bearer "+string(bad)); st != 401 {
		t.Fatalf("tampered token: %d %s", st, b)
	}
	clk.Add(time.Minute)
	st, _, b = req(t, "POST", ts.URL+"/v1/calls", offer, "Content-Type", sdp, "Authorization", "Bearer "+tr.Token)
	if st != 401 || !strings.Contains(errorText(t, b), "expired") {
		t.Fatalf("expired token: %d %s", st, b)
	}
}

func TestTokensOffWithoutKeys(t *testing.T) {
	ts, _ := newServerWith(t, session.Config{}, Options{TokenSecret: []byte("x")})
	if st, _, b := req(t, "POST", ts.URL+"/v1/tokens", ""); st != 404 {
		t.Fatalf("tokens without API keys: %d %s, want 404", st, b)
	}
}

func TestVerifyToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tok, err := MintToken([]byte("s"), now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyToken([]byte("s"), tok, now); err != nil {
		t.Fatal(err)
	}
	if err := VerifyToken([]byte("other"), tok, now); err != ErrTokenSignature {
		t.Fatalf("other secret: %v", err)
	}
	if err := VerifyToken([]byte("s"), tok, now.Add(time.Second)); err != ErrTokenExpired {
		t.Fatalf("at expiry: %v", err)
	}
	for _, s := range []string{"", "dpx1.", "dpx1..", "dpx1.!!!.AAAA", "dpx1.AAAA.AAAA", "xyz." + tok[5:]} {
		if err := VerifyToken([]byte("s"), s, now); err != ErrTokenMalformed {
			t.Errorf("%q: %v, want malformed", s, err)
		}
	}
	if _, err := MintToken(nil, now); err == nil {
		t.Fatal("minted with an empty secret")
	}
}

func TestCORS(t *testing.T) {
	ts, _ := newServerWith(t, session.Config{}, Options{CORSOrigins: []string{"https://app.example"}})
	st, h, _ := req(t, "OPTIONS", ts.URL+"/v1/calls", "", "Origin", "https://app.example", "Access-Control-Request-Method", "POST")
	if st != 204 || h.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(h.Get("Access-Control-Expose-Headers"), "Location") {
		t.Fatalf("allowed preflight: %d %v", st, h)
	}
	st, h, b := req(t, "OPTIONS", ts.URL+"/v1/calls", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	if st != 403 || h.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(errorText(t, b), "not allowed") {
		t.Fatalf("foreign preflight: %d %v %s", st, h, b)
	}
	_, h, _ = req(t, "GET", ts.URL+"/v1/config", "", "Origin", "https://app.example")
	if h.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatalf("allowed GET lacks ACAO: %v", h)
	}
	_, h, _ = req(t, "GET", ts.URL+"/v1/config", "", "Origin", "https://evil.example")
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign GET got ACAO: %v", h)
	}
	// Without an allow-list, cross-origin preflights are refused.
	ts2, _ := newServerWith(t, session.Config{}, Options{})
	if st, _, _ := req(t, "OPTIONS", ts2.URL+"/v1/calls", "", "Origin", "https://app.example"); st != 403 {
		t.Fatalf("preflight without allow-list: %d", st)
	}
}

func TestRateLimitPerIP(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	ts, _ := newServerWith(t, session.Config{}, Options{
		RateLimit: 1, RateBurst: 3, Now: clk.Now,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
	})
	get := func(ip string) (int, http.Header, string) {
		return req(t, "GET", ts.URL+"/v1/config", "", "X-Forwarded-For", ip)
	}
	for i := 0; i < 3; i++ {
		if st, _, b := get("203.0.113.7"); st != 200 {
			t.Fatalf("burst request %d: %d %s", i, st, b)
		}
	}
	st, h, b := get("203.0.113.7")
	if st != 429 || h.Get("Retry-After") != "1" || !strings.Contains(errorText(t, b), "too many requests") {
		t.Fatalf("over the rate: %d Retry-After %q %s", st, h.Get("Retry-After"), b)
	}
	// Another client is not affected; health and metrics are never limited.
	if st, _, _ := get("198.51.100.1"); st != 200 {
		t.Fatalf("other address: %d", st)
	}
	if st, _, _ := req(t, "GET", ts.URL+"/healthz", "", "X-Forwarded-For", "203.0.113.7"); st != 200 {
		t.Fatalf("healthz limited: %d", st)
	}
	// An untrusted hop cannot pick its address: the left-most entries are
	// the client's own claims, the right-most untrusted one counts.
	if st, _, _ := req(t, "GET", ts.URL+"/v1/config", "", "X-Forwarded-For", "198.51.100.9, 203.0.113.7"); st != 429 {
		t.Fatalf("spoofed left-most entry escaped the limit: %d", st)
	}
	clk.Add(time.Second)
	if st, _, b := get("203.0.113.7"); st != 200 {
		t.Fatalf("after a second: %d %s", st, b)
	}
}

func TestMaxCallsPerIP(t *testing.T) {
	ts, _ := newServerWith(t, session.Config{MaxCallsPerIP: 1}, Options{
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
	})
	offer, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	post := func(ip string) (int, http.Header, string) {
		return req(t, "POST", ts.URL+"/v1/calls", offer, "Content-Type", "application/sdp", "X-Forwarded-For", ip)
	}
	st, h, b := post("203.0.113.7")
	if st != 201 {
		t.Fatalf("first: %d %s", st, b)
	}
	if st, _, b := post("203.0.113.7"); st != 429 || !strings.Contains(errorText(t, b), "too many calls from this address") {
		t.Fatalf("second from the same address: %d %s", st, b)
	}
	st2, h2, b := post("198.51.100.1")
	if st2 != 201 {
		t.Fatalf("another address: %d %s", st2, b)
	}
	req(t, "DELETE", ts.URL+h.Get("Location"), "")
	st, h, b = post("203.0.113.7")
	if st != 201 {
		t.Fatalf("after hang-up: %d %s", st, b)
	}
	req(t, "DELETE", ts.URL+h.Get("Location"), "")
	req(t, "DELETE", ts.URL+h2.Get("Location"), "")
}

func TestTranscriptEndpoint(t *testing.T) {
	dir := t.TempDir()
	store, err := transcript.NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := newServerWith(t, session.Config{Transcripts: store}, Options{Transcripts: store})
	offer, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	st, h, b := req(t, "POST", ts.URL+"/v1/calls", offer, "Content-Type", "application/sdp")
	if st != 201 {
		t.Fatalf("POST: %d %s", st, b)
	}
	m := locRE.FindStringSubmatch(h.Get("Location"))
	if m == nil {
		t.Fatalf("Location %q", h.Get("Location"))
	}
	url := ts.URL + "/v1/calls/" + m[1] + "/transcript"
	st, h, b = req(t, "GET", url+"?secret="+m[2], "")
	if st != 200 || h.Get("Content-Type") != "application/jsonl" || !strings.Contains(b, `"kind":"call.start"`) {
		t.Fatalf("live transcript: %d %q %s", st, h.Get("Content-Type"), b)
	}
	if st, _, _ := req(t, "GET", url+"?secret="+m[1], ""); st != 403 {
		t.Fatalf("wrong secret: %d, want 403", st)
	}
	if st, _, _ := req(t, "GET", ts.URL+"/v1/calls/"+strings.Repeat("ab", 16)+"/transcript?secret="+m[2], ""); st != 404 {
		t.Fatalf("unknown call: %d, want 404", st)
	}
	req(t, "DELETE", ts.URL+"/v1/calls/"+m[1]+"?secret="+m[2], "")
	// After the call: still readable with its secret, and ended.
	st, _, b = req(t, "GET", url+"?secret="+m[2], "")
	es, err := transcript.Entries([]byte(b))
	if st != 200 || err != nil || len(es) != 2 || es[1].Kind != transcript.KindEnd || es[1].Reason != string(session.ReasonClientHangup) {
		t.Fatalf("ended transcript: %d %v %s", st, err, b)
	}
	fi, err := os.Stat(store.Path(m[1]))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("transcript file mode %v %v, want 0600", fi.Mode(), err)
	}
}
