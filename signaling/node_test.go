package signaling

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/internal/testpeer"
	"github.com/duplex-ai/duplex/session"
)

// TestNodes: two nodes with the same token secret. A token minted on one
// opens a call on the other; the call's URL and resume credential carry
// its node; the other node does not know the call; /healthz turns 503
// when a node drains.
func TestNodes(t *testing.T) {
	opt := func(node string) Options {
		return Options{NodeID: node, APIKeys: []string{"k"}, TokenSecret: []byte("shared token secret")}
	}
	a, _ := newServerWith(t, session.Config{}, opt("node-a"))
	b, mgrB := newServerWith(t, session.Config{}, opt("node-b"))

	st, _, body := req(t, "POST", a.URL+"/v1/tokens", "", "Authorization", "Bearer k")
	var tr TokenResponse
	if st != http.StatusCreated || json.Unmarshal([]byte(body), &tr) != nil {
		t.Fatalf("mint on node-a: %d %s", st, body)
	}
	offer, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	st, h, body := req(t, "POST", b.URL+"/v1/calls", offer, "Content-Type", "application/sdp", "Authorization", "Bearer "+tr.Token)
	if st != http.StatusCreated {
		t.Fatalf("node-a's token on node-b: %d %s", st, body)
	}
	loc := h.Get("Location")
	if !regexp.MustCompile(`^/v1/calls/node-b\.[0-9a-f]{32}\?secret=[0-9a-f]{32}$`).MatchString(loc) {
		t.Fatalf("Location %q does not carry the node", loc)
	}
	if !strings.HasPrefix(h.Get(ResumeHeader), "node-b.") {
		t.Fatalf("resume credential does not carry the node")
	}
	// node-a does not have the call; node-b does.
	if st, _, _ := req(t, "DELETE", a.URL+loc, ""); st != http.StatusNotFound {
		t.Fatalf("DELETE on the wrong node: %d, want 404", st)
	}
	if st, _, body := req(t, "DELETE", b.URL+loc, ""); st != http.StatusNoContent {
		t.Fatalf("DELETE on the call's node: %d %s", st, body)
	}

	if st, _, body := req(t, "GET", b.URL+"/healthz", ""); st != http.StatusOK || body != "ok" {
		t.Fatalf("healthz: %d %q", st, body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	mgrB.Drain(ctx)
	if st, _, body := req(t, "GET", b.URL+"/healthz", ""); st != http.StatusServiceUnavailable {
		t.Fatalf("healthz while draining: %d %q, want 503", st, body)
	}
	if st, _, _ := req(t, "GET", a.URL+"/healthz", ""); st != http.StatusOK {
		t.Fatalf("the other node's healthz: %d", st)
	}
}

func TestIfMatch(t *testing.T) {
	const etag = `"abc"`
	cases := []struct {
		header string
		want   bool
	}{
		{"", true}, {"*", true}, {` * `, true},
		{`"abc"`, true}, {`"x", "abc"`, true},
		{`"abd"`, false}, {`W/"abc"`, false}, {`abc`, false},
	}
	for _, c := range cases {
		if got := ifMatch(c.header, etag); got != c.want {
			t.Errorf("If-Match %q against %s: %v, want %v", c.header, etag, got, c.want)
		}
	}
	if ifMatch(`""`, "") {
		t.Error("an empty ETag matched")
	}
}

func TestNodeIDs(t *testing.T) {
	for id, want := range map[string]bool{
		"node-0": true, "duplex_1": true, "A9": true,
		"": false, "a.b": false, "a/b": false, "é": false, strings.Repeat("a", 64): false,
	} {
		if ValidNodeID(id) != want {
			t.Errorf("ValidNodeID(%q) = %v", id, !want)
		}
	}
	s := &Server{opt: Options{NodeID: "n1"}}
	if got := s.local(s.onNode("abc")); got != "abc" {
		t.Errorf("round trip: %q", got)
	}
	if got := s.local("n2.abc"); got != "n2.abc" {
		t.Errorf("another node's id was stripped: %q", got)
	}
	plain := &Server{}
	if plain.onNode("abc") != "abc" || plain.local("abc") != "abc" {
		t.Error("without a node id, ids must pass unchanged")
	}
}
