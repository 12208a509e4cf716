package session_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/duplex-ai/duplex/internal/testpeer"
	"github.com/duplex-ai/duplex/session"
)

// TestErrorsWrapPion: set-up errors wrap both our sentinel and pion's own
// error, so a caller can errors.Is either.
func TestErrorsWrapPion(t *testing.T) {
	m := newManager(t, session.Config{})
	offer, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	noFingerprint := regexp.MustCompile(`(?m)^a=fingerprint:.*\r\n`).ReplaceAllString(offer, "")
	_, _, err = m.Create(context.Background(), noFingerprint)
	if !errors.Is(err, session.ErrBadOffer) || !errors.Is(err, webrtc.ErrSessionDescriptionNoFingerprint) {
		t.Errorf("offer without fingerprint: %v, want ErrBadOffer wrapping pion's ErrSessionDescriptionNoFingerprint", err)
	}

	c, _, err := m.Create(context.Background(), offer)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(session.ReasonClientHangup)
	err = c.AddCandidates("a=candidate:garbage\r\n")
	if !errors.Is(err, session.ErrBadCandidate) {
		t.Fatalf("garbage candidate: %v, want ErrBadCandidate", err)
	}
	// pion/ice's error here is unexported: check that it is wrapped, not
	// flattened into the text.
	var multi interface{ Unwrap() []error }
	if !errors.As(err, &multi) || len(multi.Unwrap()) != 2 || multi.Unwrap()[1] == nil {
		t.Errorf("garbage candidate: %v does not wrap pion's error", err)
	}
}
