package browser

import (
	"testing"
	"time"

	"github.com/duplex-ai/duplex/dialogue"
)

// TestICERestartOnNetworkChange: when the browser reports a network
// change, the page restarts ICE on the same call (PATCH with the new
// credentials, RFC 9725 §4.3.2), shows "Reconnecting…" meanwhile, and
// comes back connected on the same call with the server's new ICE
// credentials applied.
func TestICERestartOnNetworkChange(t *testing.T) {
	srv := newServer(t, dialogue.Echo{})
	b := newBrowser(t, browserOptions{audio: speechWAV(t, "one two three", 0, time.Second)})
	b.open(srv.URL)
	b.startCall("echo")
	srv.waitMetric(t, "duplex_active_calls", 1, 5*time.Second)

	ufrag := `(duplex.pc.remoteDescription.sdp.match(/a=ice-ufrag:(\S+)/) || [])[1]`
	before := eval[string](b, ufrag)
	b.evalErr(`(() => {
		window.__status = [];
		const el = document.getElementById('status');
		new MutationObserver(() => window.__status.push(el.dataset.state + ':' + el.textContent))
			.observe(el, {attributes: true, attributeFilter: ['data-state']});
		window.dispatchEvent(new Event('online'));
	})()`)
	b.waitJS(15*time.Second, "the restarted call to connect", `duplex.connectionState === 'connected' && window.__status.length > 0 && `+ufrag+` !== '`+before+`'`)
	status := eval[[]string](b, `window.__status`)
	t.Logf("status changes: %v", status)
	if len(status) == 0 || status[0] != "reconnecting:Reconnecting…" {
		t.Errorf("status changes %v, want Reconnecting… first", status)
	}
	if got := srv.metric(t, "duplex_calls_total"); got != 1 {
		t.Errorf("duplex_calls_total = %v: the restart made a new call", got)
	}
	if got := srv.metric(t, "duplex_active_calls"); got != 1 {
		t.Errorf("duplex_active_calls = %v after the restart", got)
	}
	b.expectNoPageErrors()
}
