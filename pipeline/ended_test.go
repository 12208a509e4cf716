package pipeline

import (
	"context"
	"fmt"
	"testing"
)

func TestEndReason(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	if got := EndReason(ctx); got != "" {
		t.Fatalf("live context: %q", got)
	}
	child, stop := context.WithCancel(ctx)
	defer stop()
	cancel(fmt.Errorf("teardown: %w", Ended{Reason: "client_hangup"}))
	if got := EndReason(child); got != "client_hangup" {
		t.Errorf("child of an ended call: %q, want client_hangup", got)
	}
	plain, cancelPlain := context.WithCancel(context.Background())
	cancelPlain()
	if got := EndReason(plain); got != "" {
		t.Errorf("plain cancel: %q, want empty", got)
	}
}
