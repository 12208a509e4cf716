package faults

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/internal/heardcheck"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/transcript"
)

// TestCallerVanishesMidReply: "tell me a story"; two seconds into the
// story the caller's network goes dead. The server reaps the call on the
// ICE timeouts, seconds later, yet the transcript keeps the story only up
// to what reached the caller (within one word), interrupted with
// ice_failed, before call.end; GET …/transcript serves the same lines.
func TestCallerVanishesMidReply(t *testing.T) {
	store, err := transcript.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sp := speak(t, "en-us", "tell me a story")
	b := newBed(t, bedOptions{pipeline: assistantPipeline(t), transcripts: store})
	c := &cut{n: 100} // 2 s of reply packets
	b.link.set(c.policy)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := b.callUntilCancelled(ctx, sp)
	deadline := time.Now().Add(40 * time.Second)
	for !(b.mgr.Total() == 1 && b.mgr.Active() == 0) {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("%d calls, %d live: the vanished caller was not reaped", b.mgr.Total(), b.mgr.Active())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel() // the caller gives up; its DELETE finds no call
	o := <-done
	if o.err != nil {
		t.Fatalf("callbot: %v", o.err)
	}
	if reasons := b.mgr.ClosedByReason(); reasons[session.ReasonICEFailed] != 1 {
		t.Fatalf("close reasons %v, want %s", reasons, session.ReasonICEFailed)
	}

	u, err := url.Parse(o.res.CallURL)
	if err != nil || o.res.CallURL == "" {
		t.Fatalf("call URL %q: %v", o.res.CallURL, err)
	}
	raw, err := os.ReadFile(store.Path(path.Base(u.Path)))
	if err != nil {
		t.Fatal(err)
	}
	u.Path += "/transcript"
	resp, err := http.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(got) != string(raw) {
		t.Fatalf("GET transcript %d:\n%s\nthe file:\n%s", resp.StatusCode, got, raw)
	}
	es, err := transcript.Entries(raw)
	if err != nil {
		t.Fatal(err)
	}
	a := heardcheck.CutTail(t, es, raw, string(session.ReasonICEFailed))
	heardcheck.WithinOneWord(t, a, o.res.Received)
}
