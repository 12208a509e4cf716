package session

import (
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
)

// ValidateOffer checks that an SDP offer parses and carries an audio
// section offering Opus. It reports what is wrong in words; the error wraps
// ErrBadOffer or ErrNoOpus.
func ValidateOffer(offer string) error {
	if strings.TrimSpace(offer) == "" {
		return fmt.Errorf("%w: empty body", ErrBadOffer)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	if len(sd.MediaDescriptions) == 0 {
		return fmt.Errorf("%w: no media sections", ErrBadOffer)
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		for _, a := range md.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			// a=rtpmap:111 opus/48000/2
			if _, enc, ok := strings.Cut(a.Value, " "); ok && strings.HasPrefix(strings.ToLower(enc), "opus/") {
				return nil
			}
		}
	}
	return ErrNoOpus
}
