package browser

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/session"
)

// occupyCall takes one call slot of srv with a Go peer that connects and
// stays connected until the test ends (a peer that never connected would
// lose its slot to the ICE timeout on a slow machine).
func occupyCall(t *testing.T, srv *server) {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/calls", strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("occupying a call: HTTP %d", resp.StatusCode)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		t.Fatal(err)
	}
}

// errorBanner waits for the error banner and returns its text.
func (b *browser) errorBanner() string {
	b.t.Helper()
	b.waitJS(10*time.Second, "the error banner", `!document.getElementById('error').hidden`)
	return eval[string](b, `document.getElementById('error-text').textContent`)
}

// expectCallAbandoned checks that after a failed call attempt the page is
// back at rest and can call again.
func (b *browser) expectCallAbandoned() {
	b.t.Helper()
	b.waitJS(5*time.Second, "the attempt to end", `document.getElementById('call').disabled === false`)
	if s := eval[string](b, `duplex.connectionState`); s != "closed" {
		b.t.Errorf("connectionState = %q after the failed call, want closed", s)
	}
	if eval[bool](b, `document.getElementById('hangup').disabled`) == false {
		b.t.Error("Hang up is still enabled after the failed call")
	}
	if n := eval[int](b, `duplex.errors.length`); n != 1 {
		b.t.Errorf("%d errors recorded, want 1: %v", n, eval[[]map[string]any](b, `duplex.errors`))
	}
}

// TestCallRefused: the server is full; the page shows its 503 reason.
func TestCallRefused(t *testing.T) {
	srv := newServerConfig(t, session.Config{Pipeline: dialogue.Echo{}, MaxCalls: 1})
	occupyCall(t, srv)
	b := newBrowser(t, browserOptions{})
	b.expectNetworkErrors = []string{"status of 503"}
	b.open(srv.URL)

	b.click("call")
	msg := b.errorBanner()
	t.Logf("#error: %q", msg)
	for _, want := range []string{"too many calls", "503"} {
		if !strings.Contains(msg, want) {
			t.Errorf("#error %q does not contain %q", msg, want)
		}
	}
	b.expectCallAbandoned()
	if got := srv.metric(t, "duplex_active_calls"); got != 1 {
		t.Errorf("duplex_active_calls = %v, want 1 (the occupied slot only)", got)
	}
}

// TestServerDown: the server went away after the page was loaded; the page
// says it cannot reach it.
func TestServerDown(t *testing.T) {
	srv := newServer(t, dialogue.Echo{})
	b := newBrowser(t, browserOptions{})
	b.expectNetworkErrors = []string{"ERR_CONNECTION_REFUSED"}
	b.open(srv.URL)
	srv.close()

	b.click("call")
	msg := b.errorBanner()
	t.Logf("#error: %q", msg)
	if !strings.Contains(msg, "Cannot reach the Duplex server") {
		t.Errorf("#error %q does not say the server cannot be reached", msg)
	}
	b.expectCallAbandoned()
}
