package session

import "errors"

var (
	// ErrTooManyCalls: the server already carries its configured maximum of calls.
	ErrTooManyCalls = errors.New("too many calls")
	// ErrBadOffer: the SDP offer cannot be parsed or negotiated.
	ErrBadOffer = errors.New("bad SDP offer")
	// ErrNoOpus: the offer has no audio section that offers Opus.
	ErrNoOpus = errors.New("offer has no Opus audio section")
	// ErrCallNotFound: no call with that id.
	ErrCallNotFound = errors.New("call not found")
	// ErrBadCandidate: a trickled ICE fragment cannot be parsed or applied.
	ErrBadCandidate = errors.New("bad ICE candidate fragment")
	// ErrClosed: the manager is shutting down and takes no new calls.
	ErrClosed = errors.New("the server is shutting down")
	// ErrTooManyCallsFromIP: the client's address already has its maximum of calls.
	ErrTooManyCallsFromIP = errors.New("too many calls from this address")
	// ErrForbidden: the call's secret is missing or wrong.
	ErrForbidden = errors.New("wrong or missing call secret")
)
