package main

import (
	"context"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/heardcheck"
	"github.com/duplex-ai/duplex/transcript"
)

// cutReply checks the transcript of a call whose reply the end of the call
// cut: on disk (dataDir) and through GET …/transcript alike, the reply is
// interrupted with reason and a non-empty heard prefix just before
// call.end, and the heard text matches the reply audio the caller received
// within one word. It returns the interrupted entry.
func cutReply(t *testing.T, dataDir string, res *callbot.Result, reason string) transcript.Entry {
	t.Helper()
	return cutReplyAt(t, dataDir, res.CallURL, res, reason)
}

// cutReplyAt is cutReply with the transcript read through callURL (a
// server other than the one of the call may serve it).
func cutReplyAt(t *testing.T, dataDir, callURL string, res *callbot.Result, reason string) transcript.Entry {
	t.Helper()
	got := fetchTranscript(t, callURL)
	u, err := url.Parse(callURL)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dataDir, callIDOf(u.Path)+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	disk, err := transcript.Entries(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(disk) {
		t.Fatalf("GET transcript has %d entries, the file %d:\n%s", len(got), len(disk), b)
	}
	for i := range got {
		if got[i].Kind != disk[i].Kind || got[i].Text != disk[i].Text || got[i].Heard != disk[i].Heard || !got[i].Time.Equal(disk[i].Time) {
			t.Fatalf("entry %d: GET %+v, file %+v", i, got[i], disk[i])
		}
	}
	a := heardcheck.CutTail(t, disk, b, reason)
	if len(a.Heard) >= len(a.Text) {
		t.Fatalf("entry before call.end %+v: the whole reply heard, want it cut", a)
	}
	heardcheck.WithinOneWord(t, a, res.Received)
	return a
}

// clientInterrupted returns the reply.interrupted event the caller got.
func clientInterrupted(res *callbot.Result) (events.Event, bool) {
	for _, ev := range res.Events {
		if ev.Type == events.TypeReplyInterrupted {
			return ev, true
		}
	}
	return events.Event{}, false
}

// TestHangUpMidReply: "tell me a story", then the caller hangs up while it
// plays. The transcript keeps the story up to what was heard.
func TestHangUpMidReply(t *testing.T) {
	dir := t.TempDir()
	base := startServer(t, "-data-dir", dir)
	story, rate := speak(t, "tell me a story")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := callbot.Run(ctx, callbot.Options{Server: base, Turns: [][]int16{story}, AudioRate: rate, Tail: 3 * time.Second, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	a := cutReply(t, dir, res, "client_hangup")
	// DELETE returns once the call is torn down; the caller, still
	// connected until then, got the same interruption.
	if ev, ok := clientInterrupted(res); !ok || ev.Heard != a.Heard || ev.Reason != "client_hangup" {
		t.Errorf("caller's reply.interrupted %+v (sent: %v), transcript heard %q", ev, ok, a.Heard)
	}
}

// TestShutdownMidReply: SIGTERM while the story plays, with a drain grace
// shorter than the story: the call ends at the deadline and the story is
// kept up to what was heard; the caller is told the same.
func TestShutdownMidReply(t *testing.T) {
	dir := t.TempDir()
	base, stop := startServerCtl(t, "-data-dir", dir, "-shutdown-grace", "1500ms")
	defer stop()
	story, rate := speak(t, "tell me a story")
	sw := &signalWriter{needle: `"state":"speaking"`, seen: make(chan struct{})}
	type out struct {
		res *callbot.Result
		err error
	}
	got := make(chan out, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		res, err := callbot.Run(ctx, callbot.Options{Server: base, Turns: [][]int16{story}, AudioRate: rate, Tail: 20 * time.Second,
			Log: zerolog.New(sw).Level(zerolog.DebugLevel)})
		got <- out{res, err}
	}()
	select {
	case <-sw.seen:
	case o := <-got:
		t.Fatalf("call ended before the story started: %+v %v", o.res, o.err)
	}
	time.Sleep(time.Second) // a second of the story, then SIGTERM
	if err := stop(); err != nil {
		t.Fatalf("run returned %v, want nil", err)
	}
	o := <-got
	if o.err != nil {
		t.Fatal(o.err)
	}
	// run has returned: the transcript is complete on disk, and a new
	// server on the same data directory serves it.
	next := startServer(t, "-data-dir", dir)
	u, err := url.Parse(o.res.CallURL)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := url.Parse(next)
	u.Host = n.Host
	a := cutReplyAt(t, dir, u.String(), o.res, "server_shutdown")
	if ev, ok := clientInterrupted(o.res); !ok || ev.Heard != a.Heard || ev.Reason != "server_shutdown" {
		t.Errorf("caller's reply.interrupted %+v (sent: %v), transcript heard %q", ev, ok, a.Heard)
	}
}

// TestHangUpMidUtterance: the caller hangs up in the middle of a question
// (the turn has not ended): the transcript keeps what the recogniser had
// as a partial user turn, before call.end.
func TestHangUpMidUtterance(t *testing.T) {
	dir := t.TempDir()
	base := startServer(t, "-data-dir", dir)
	q, rate := speak(t, "what is twelve times seven and what time is it now")
	// Hang up two thirds of the way through the question.
	q = q[:len(q)*2/3]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// A first call loads the recogniser's decoders: on a cold server they
	// may take longer than the 2 s this call lasts.
	hi, _ := speak(t, "hello")
	if _, err := callbot.Run(ctx, callbot.Options{Server: base, Turns: [][]int16{hi}, AudioRate: rate, Log: zerolog.Nop()}); err != nil {
		t.Fatal(err)
	}
	res, err := callbot.Run(ctx, callbot.Options{Server: base, Turns: [][]int16{q}, AudioRate: rate, Tail: -1, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	es := fetchTranscript(t, res.CallURL)
	b, err := os.ReadFile(filepath.Join(dir, callIDOf(mustURL(t, res.CallURL).Path)+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	disk, err := transcript.Entries(b)
	if err != nil || len(disk) != len(es) {
		t.Fatalf("GET %d entries, file %d (%v):\n%s", len(es), len(disk), err, b)
	}
	n := len(es)
	if n != 3 || es[n-1].Kind != transcript.KindEnd || es[n-1].Reason != "client_hangup" {
		t.Fatalf("want call.start, a partial user turn, call.end client_hangup:\n%s", b)
	}
	u := es[1]
	t.Logf("partial user turn %q", u.Text)
	if u.Kind != transcript.KindUser || !u.Partial || u.TurnID != 1 ||
		u.Text != disk[1].Text || !disk[1].Partial || !u.Time.Equal(disk[1].Time) {
		t.Fatalf("entry %+v: want turn 1, partial, as on disk\n%s", u, b)
	}
	// What the recogniser had at the hang-up: on a starved machine its
	// live pass may not have reached the words yet, and the caller then
	// got no partial with words either.
	if u.Text == "" {
		for _, ev := range res.Events {
			if ev.Type == events.TypeTranscriptPartial && strings.TrimSpace(ev.Text) != "" {
				t.Fatalf("the caller was sent the partial %q, the transcript kept none\n%s", ev.Text, b)
			}
		}
		t.Skip("the recogniser had no words yet at the hang-up (a starved machine)")
	}
	spoken := map[string]bool{}
	for _, w := range strings.Fields("what is twelve times seven and what time is it now") {
		spoken[w] = true
	}
	known := 0
	for _, w := range strings.Fields(strings.ToLower(u.Text)) {
		if spoken[w] {
			known++
		}
	}
	if known == 0 {
		t.Errorf("partial %q has none of the words spoken", u.Text)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// callIDOf is the call id of a call URL's path (/v1/calls/{node}.{id}): the
// transcript file's name.
func callIDOf(p string) string {
	base := path.Base(p)
	return base[strings.LastIndex(base, ".")+1:]
}
