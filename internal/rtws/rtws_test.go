package rtws

import (
	"testing"
	"time"
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
