package pipeline

import (
	"context"
	"errors"
)

// Ended is the cause (context.Cause) a session gives a pipeline's context
// when the call ends: Reason is the call's close reason, e.g.
// "client_hangup" or "server_shutdown". A pipeline records what the end
// cut short with it before Run returns.
type Ended struct{ Reason string }

// Error implements error.
func (e Ended) Error() string { return "pipeline: call ended: " + e.Reason }

// EndReason returns why ctx ended: the Reason of an Ended cause, or "" if
// ctx is not done or ended for another cause.
func EndReason(ctx context.Context) string {
	var e Ended
	if errors.As(context.Cause(ctx), &e) {
		return e.Reason
	}
	return ""
}
