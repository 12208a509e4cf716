package browser

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
	"time"
)

// preferCodec makes the page's next video transceiver offer only mime (and
// its retransmission), as a client with a hardware encoder would, and keeps
// the transceiver in window.__videoTx.
func preferCodec(mime string) string {
	m, _ := json.Marshal(mime)
	return fmt.Sprintf(`(() => {
  const add = RTCPeerConnection.prototype.addTransceiver;
  RTCPeerConnection.prototype.addTransceiver = function (...args) {
    const tx = add.apply(this, args);
    if (tx.receiver.track.kind === 'video') {
      const all = RTCRtpReceiver.getCapabilities('video').codecs;
      const mine = all.filter(c => c.mimeType.toLowerCase() === %[1]s.toLowerCase() &&
        (!c.sdpFmtpLine || !/packetization-mode=0/.test(c.sdpFmtpLine)));
      if (mine.length === 0) throw new Error('no ' + %[1]s + ' in ' + all.map(c => c.mimeType).join(' '));
      tx.setCodecPreferences(mine);
      window.__videoTx = tx;
    }
    return tx;
  };
  return true;
})()`, m)
}

// TestAssistantVisionCodecs: Chromium's camera (a red picture) sent as
// H.264 and as VP9 (setCodecPreferences with only that codec): the call
// sends that codec and the assistant names the colour.
func TestAssistantVisionCodecs(t *testing.T) {
	srv, name := needAssistant(t)
	for _, mime := range []string{"video/H264", "video/VP9"} {
		t.Run(mime[len("video/"):], func(t *testing.T) {
			b := newBrowser(t, browserOptions{
				audio: speechWAV(t, "What do you see?", 500*time.Millisecond, 25*time.Second),
				video: solidY4M(t, yuvRed, 4),
			})
			b.open(srv.URL)
			eval[bool](b, preferCodec(mime))
			b.startCall(name)
			b.waitJS(10*time.Second, "video sent as "+mime,
				`!!window.__videoTx && (window.__videoTx.sender.getParameters().codecs || []).length > 0`)
			sent := eval[string](b, `window.__videoTx.sender.getParameters().codecs[0].mimeType`)
			if !regexp.MustCompile(`(?i)^` + mime + `$`).MatchString(sent) {
				t.Fatalf("video sent as %s, want %s", sent, mime)
			}
			tr := b.waitTurn(45 * time.Second)
			t.Logf("%s: user %q, reply %q", sent, tr.User, tr.Reply)
			if !regexp.MustCompile(`(?i)\bred\b`).MatchString(tr.Reply) {
				t.Errorf("%s: reply %q does not name the colour red", sent, tr.Reply)
			}
			b.expectNoPageErrors()
		})
	}
}
