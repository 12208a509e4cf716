package browser

import (
	"testing"
	"time"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/vad"
)

// turnEcho is the server's default echo pipeline (cmd/duplex with
// -pipeline echo and no -echo-delay): each utterance the VAD detects is
// played back when it ends.
func turnEcho(t *testing.T) dialogue.Echo {
	t.Helper()
	f, err := dialogue.VADFactory(vad.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return dialogue.Echo{NewDetector: f}
}

const echoPhrase = "Hello there. This is a test of the echo pipeline, one two three four."

// startCall clicks Call and waits for the WebRTC connection and the
// session.ready event. Every assistant state the page shows from then on
// is recorded in window.__states.
func (b *browser) startCall(pipeline string) {
	b.t.Helper()
	b.evalErr(`(() => {
		window.__states = [];
		const el = document.getElementById('assistant-state');
		new MutationObserver(() => window.__states.push(el.dataset.state))
			.observe(el, {attributes: true, attributeFilter: ['data-state']});
	})()`)
	b.click("call")
	b.waitJS(15*time.Second, "the call to connect", `duplex.connectionState === 'connected'`)
	b.waitJS(5*time.Second, "session.ready", `duplex.pipeline === '`+pipeline+`' && !!duplex.callId`)
}

// TestEchoCall: the page calls the server's default (turn-based) echo
// pipeline, hears itself back and shows the assistant's states.
func TestEchoCall(t *testing.T) {
	srv := newServer(t, turnEcho(t))
	b := newBrowser(t, browserOptions{
		// The pause before the (looping) phrase repeats is longer than the
		// phrase, so the last echo plays out before the user speaks again.
		audio: speechWAV(t, echoPhrase, 200*time.Millisecond, 6*time.Second),
		video: solidY4M(t, yuvGrey, 4),
	})
	b.open(srv.URL)
	b.startCall("echo")

	if got := eval[string](b, `document.getElementById('status').textContent`); got != "Connected" {
		t.Errorf("#status = %q, want Connected", got)
	}
	if eval[bool](b, `document.getElementById('hangup').disabled`) {
		t.Error("#hangup is disabled during the call")
	}
	if got := srv.metric(t, "duplex_active_calls"); got != 1 {
		t.Errorf("duplex_active_calls = %v during the call", got)
	}

	// Each utterance comes back when it ends.
	deadline := time.Now().Add(15 * time.Second)
	var st audioStats
	for {
		st = b.inboundAudio()
		if st.Energy > 0.01 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no remote audio energy after 15 s: %+v", st)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("remote audio: %+v", st)
	if !eval[bool](b, `document.getElementById('remote-audio').srcObject instanceof MediaStream`) {
		t.Error("the remote audio element has no stream")
	}
	// user_speaking → speaking → listening, in that order (more turns may
	// follow: the fake microphone loops).
	b.waitJS(20*time.Second, "the states of a whole echo turn", `(s => {
		const i = s.indexOf('user_speaking'), j = s.indexOf('speaking', i + 1);
		return i >= 0 && j > i && s.indexOf('listening', j + 1) > j;
	})(window.__states)`)
	t.Logf("assistant states: %v", eval[[]string](b, `window.__states`))
	b.expectNoPageErrors()
}

// TestHangup: Hang up ends the call on both sides.
func TestHangup(t *testing.T) {
	srv := newServer(t, dialogue.Echo{})
	b := newBrowser(t, browserOptions{audio: speechWAV(t, "one two three", 0, time.Second)})
	b.open(srv.URL)
	b.startCall("echo")
	srv.waitMetric(t, "duplex_active_calls", 1, 5*time.Second)

	b.click("hangup")
	srv.waitMetric(t, "duplex_active_calls", 0, 5*time.Second)
	b.waitJS(5*time.Second, "the page to close the call", `duplex.connectionState === 'closed' && duplex.pc.connectionState === 'closed'`)
	if got := srv.metric(t, `duplex_calls_closed_total{reason="client_hangup"}`); got != 1 {
		t.Errorf(`duplex_calls_closed_total{reason="client_hangup"} = %v, want 1`, got)
	}
	if got := eval[string](b, `document.getElementById('status').textContent`); got != "Call ended" {
		t.Errorf("#status = %q, want Call ended", got)
	}
	if eval[bool](b, `document.getElementById('call').disabled`) || !eval[bool](b, `document.getElementById('hangup').disabled`) {
		t.Error("after hang-up Call should be enabled and Hang up disabled")
	}
	b.expectNoPageErrors()
}

// TestNarrowScreen: during a call on a 360 px wide phone screen nothing
// overflows sideways and the controls stay on screen.
func TestNarrowScreen(t *testing.T) {
	srv := newServer(t, dialogue.Echo{})
	b := newBrowser(t, browserOptions{
		audio:  speechWAV(t, "one two three", 0, time.Second),
		video:  solidY4M(t, yuvRed, 4),
		width:  360,
		height: 740,
		mobile: true,
	})
	b.open(srv.URL)
	b.startCall("echo")
	b.waitJS(5*time.Second, "the self view to play", `document.getElementById('self-view').videoWidth > 0`)

	if w := eval[float64](b, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("the page is %v px wider than the 360 px screen", w)
	}
	// Every visible control lies within the screen's width.
	off := eval[[]string](b, `[...document.querySelectorAll('button, select, input, #status, #latency, #session-info')]
		.filter((e) => e.offsetParent !== null)
		.filter((e) => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth + 0.5; })
		.map((e) => e.id || e.tagName)`)
	if len(off) > 0 {
		t.Errorf("controls cut off at the sides: %v", off)
	}
	b.fullScreenshot("in-call")
	b.expectNoPageErrors()
}
