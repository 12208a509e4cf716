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
		return fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	if len(sd.MediaDescriptions) == 0 {
		return fmt.Errorf("%w: no media sections", ErrBadOffer)
	}
	if !hasOpusAudio(&sd) {
		return ErrNoOpus
	}
	if dir := opusAudioDirection(&sd); dir != "sendrecv" {
		return fmt.Errorf("%w: the Opus audio section is %s; a call both hears the caller and speaks, so it must be sendrecv", ErrBadOffer, dir)
	}
	return nil
}

// opusAudioDirection returns the direction attribute (sendrecv, sendonly,
// recvonly or inactive) of the first accepted Opus audio section, the
// session-level one when the section has none, and sendrecv (RFC 4566's
// default) when neither is given.
func opusAudioDirection(sd *sdp.SessionDescription) string {
	dir := "sendrecv"
	for _, a := range sd.Attributes {
		if isDirection(a.Key) {
			dir = a.Key
		}
	}
	for _, md := range sd.MediaDescriptions {
		if !isOpusAudio(md) {
			continue
		}
		for _, a := range md.Attributes {
			if isDirection(a.Key) {
				return a.Key
			}
		}
		return dir
	}
	return dir
}

func isDirection(key string) bool {
	switch key {
	case "sendrecv", "sendonly", "recvonly", "inactive":
		return true
	}
	return false
}

// checkAnswerAudio returns an error wrapping ErrBadOffer unless answer, our
// SDP answer to an offer that passed ValidateOffer, accepts an audio
// section with Opus. pion rejects (port 0) what it cannot take — notably
// every section outside the offer's a=group:BUNDLE — and a call without
// audio must fail at set-up, not wait out the connect timeout.
func checkAnswerAudio(answer string) error {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(answer); err != nil {
		return fmt.Errorf("%w: answer: %w", ErrBadOffer, err)
	}
	if !hasOpusAudio(&sd) {
		return fmt.Errorf("%w: its Opus audio section cannot be accepted (only media in a=group:BUNDLE is supported)", ErrBadOffer)
	}
	return nil
}

// hasOpusAudio reports whether sd has an audio section that is not
// rejected (port 0) and maps a payload type to Opus.
func hasOpusAudio(sd *sdp.SessionDescription) bool {
	for _, md := range sd.MediaDescriptions {
		if isOpusAudio(md) {
			return true
		}
	}
	return false
}

func isOpusAudio(md *sdp.MediaDescription) bool {
	if md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
		return false
	}
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		// a=rtpmap:111 opus/48000/2
		if _, enc, ok := strings.Cut(a.Value, " "); ok && strings.HasPrefix(strings.ToLower(enc), "opus/") {
			return true
		}
	}
	return false
}
