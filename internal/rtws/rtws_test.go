package rtws

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/clock"
)

// TestRetryAfter reads seconds and HTTP dates.
func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	if d := RetryAfter("2.5", now); d != 2500*time.Millisecond {
		t.Fatalf("2.5 → %v", d)
	}
	if d := RetryAfter("Sun, 06 Dec 2026 05:00:30 GMT", now); d != 30*time.Second {
		t.Fatalf("HTTP date → %v, want 30s", d)
	}
	if d := RetryAfter("soon", now); d != time.Second {
		t.Fatalf("garbage → %v, want 1s", d)
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDialTimeout: a server that never answers the upgrade is given up
// when the timeout passes on the injected clock, not before.
func TestDialTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	clk := clock.NewManual(time.Unix(1e9, 0))
	done := make(chan error, 1)
	go func() {
		_, err := Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), DialOptions{Clock: clk, Timeout: 5 * time.Second})
		done <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := clk.WaitFor(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(4 * time.Second)
	select {
	case err := <-done:
		t.Fatalf("gave up early: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	clk.Advance(time.Second)
	if err := <-done; !errors.Is(err, ErrDialTimeout) {
		t.Fatalf("err %v, want ErrDialTimeout", err)
	}
	// The owner's end abandons a dial too, and is not a timeout.
	owner, stop := context.WithCancel(context.Background())
	go func() {
		_, err := Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), DialOptions{Clock: clk, Timeout: 5 * time.Second, Owner: owner})
		done <- err
	}()
	stop()
	if err := <-done; err == nil || errors.Is(err, ErrDialTimeout) {
		t.Fatalf("owner ended: %v", err)
	}
}
