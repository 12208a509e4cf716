package browser

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/internal/wav"
	"github.com/duplex-ai/duplex/session"
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

// TestResumeAfterReload: reloading the page mid-call resumes the same
// conversation (the resume credential kept in sessionStorage, POST with
// Duplex-Resume): the page shows "Reconnecting…", comes back on the same
// call, keeps the transcript shown before the reload, and the assistant
// still remembers the turn typed before it.
func TestResumeAfterReload(t *testing.T) {
	p := assistantPipeline(t)
	srv := newServerConfig(t, session.Config{Pipeline: p, ResumeWindow: 30 * time.Second})
	silence := filepath.Join(t.TempDir(), "silence.wav")
	if err := wav.WriteFile(silence, make([]int16, 48000), 48000); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, browserOptions{audio: silence})
	b.open(srv.URL)
	b.startCall(p.Name())
	callURL, callID := eval[string](b, `duplex.callURL`), eval[string](b, `duplex.callId`)

	const said = "the blue elephant plays chess"
	b.evalErr(`duplex.send({type: 'input.text', text: '` + said + `'})`)
	// Reload while the (long) reply plays: it is cut, not replayed.
	b.waitJS(20*time.Second, "the reply to the first turn", `duplex.transcript.some((e) => e.role === 'user' && e.final && e.text === '`+said+`') && `+
		`duplex.transcript.some((e) => e.role === 'assistant' && e.text)`)
	before := eval[int](b, `duplex.transcript.length`)

	b.do(15*time.Second, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("call")))
	if st := eval[string](b, `document.getElementById('status').dataset.state`); st != "reconnecting" {
		t.Errorf("status right after the reload is %q, want reconnecting", st)
	}
	if txt := eval[string](b, `document.getElementById('status').textContent`); txt != "Reconnecting…" && txt != "Connected" {
		t.Errorf("status text %q", txt)
	}
	b.waitJS(20*time.Second, "the resumed call to connect", `duplex.connectionState === 'connected' && duplex.callId === '`+callID+`'`)
	if got := eval[string](b, `duplex.callURL`); got != callURL {
		t.Errorf("call URL after the reload %q, want %q", got, callURL)
	}
	if got := eval[int](b, `duplex.transcript.length`); got != before {
		t.Errorf("%d transcript lines after the reload, want the %d shown before", got, before)
	}
	if got := eval[string](b, `document.getElementById('transcript').textContent`); !strings.Contains(got, said) {
		t.Errorf("the page's transcript after the reload %q lost %q", got, said)
	}
	if eval[string](b, `window.location.href`) != srv.URL+"/" || strings.Contains(eval[string](b, `document.cookie`), "resume") {
		t.Error("the resume credential leaked into the URL or a cookie")
	}

	b.evalErr(`duplex.send({type: 'input.text', text: 'what did I say'})`)
	b.waitJS(20*time.Second, "the reply after the reload", `duplex.transcript.length > `+fmt.Sprint(before)+` && `+
		`duplex.transcript[duplex.transcript.length - 1].role === 'assistant' && duplex.transcript[duplex.transcript.length - 1].final`)
	last := eval[string](b, `duplex.transcript[duplex.transcript.length - 1].text`)
	if !strings.Contains(strings.ToLower(last), said) {
		t.Errorf("asked what was said before the reload, the assistant answered %q; want it to quote %q", last, said)
	}
	if got := srv.metric(t, "duplex_calls_total"); got != 1 {
		t.Errorf("duplex_calls_total = %v: the reload made a new call", got)
	}
	if got := srv.metric(t, "duplex_calls_resumed_total"); got != 1 {
		t.Errorf("duplex_calls_resumed_total = %v, want 1", got)
	}
	b.expectNoPageErrors()
}
