package session_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/internal/testpeer"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/transcript"
)

type createResult struct {
	call *session.Call
	err  error
}

// blockCreateLog makes m's transcript creation wait for release; entered
// is closed when the first creation starts.
func blockCreateLog(m *session.Manager) (entered, release chan struct{}) {
	entered, release = make(chan struct{}), make(chan struct{})
	first := true
	session.WrapCreateLog(m, func(next func(id, secret, pipeline string) (*transcript.Log, error)) func(id, secret, pipeline string) (*transcript.Log, error) {
		return func(id, secret, pipeline string) (*transcript.Log, error) {
			if first {
				first = false
				close(entered)
				<-release
			}
			return next(id, secret, pipeline)
		}
	})
	return entered, release
}

// createBlocked starts m.Create on a manager with transcripts in dir whose
// first transcript creation waits for release, and returns once that
// creation has begun; the Create's result arrives on res.
func createBlocked(t *testing.T, dir string, cfg session.Config) (m *session.Manager, offer string, release chan struct{}, res chan createResult) {
	t.Helper()
	store, err := transcript.NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Transcripts = store
	m = newManager(t, cfg)
	entered, release := blockCreateLog(m)
	if offer, err = testpeer.Offer(false); err != nil {
		t.Fatal(err)
	}
	res = make(chan createResult, 1)
	go func() {
		c, _, err := m.Create(context.Background(), offer)
		res <- createResult{c, err}
	}()
	<-entered
	return m, offer, release, res
}

// TestTranscriptCreatedOutsideLock: while one call's transcript file is
// being created (slow disk), the manager still answers, and the call being
// admitted already counts against MaxCalls.
func TestTranscriptCreatedOutsideLock(t *testing.T) {
	m, offer, release, res := createBlocked(t, t.TempDir(), session.Config{MaxCalls: 1})
	answered := make(chan int, 1)
	go func() { answered <- m.Active() }()
	select {
	case n := <-answered:
		if n != 0 {
			t.Errorf("Active %d while the first call is still being created, want 0", n)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("Active waited for a transcript file to be created")
	}
	if _, _, err := m.Create(context.Background(), offer); !errors.Is(err, session.ErrTooManyCalls) {
		t.Errorf("second Create while the first is admitted: %v, want ErrTooManyCalls", err)
	}
	close(release)
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := m.Active(); n != 1 {
		t.Errorf("Active %d after the call was created, want 1", n)
	}
	r.call.Close(session.ReasonClientHangup)
	<-r.call.Done()
}

// TestCloseWaitsForCallBeingCreated: Close during a transcript creation
// waits for it; the call is refused and its transcript file removed.
func TestCloseWaitsForCallBeingCreated(t *testing.T) {
	dir := t.TempDir()
	m, _, release, res := createBlocked(t, dir, session.Config{})
	closed := make(chan error, 1)
	go func() { closed <- m.Close(session.ReasonServerShutdown) }()
	select {
	case <-closed:
		t.Error("Close returned while a call was still being created")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if r := <-res; !errors.Is(r.err, session.ErrClosed) || r.call != nil {
		t.Errorf("Create during Close: call %v, err %v; want no call, ErrClosed", r.call != nil, r.err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d transcript files left for a call that never started", len(left))
	}
}
