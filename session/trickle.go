package session

import (
	"fmt"
	"strings"

	"github.com/pion/webrtc/v4"
)

// parseTrickleFragment parses a trickle-ICE SDP fragment (RFC 8840): the
// a=candidate lines it carries, each bound to the a=mid line before it (or,
// without one, to the first m-line), and whether it holds
// a=end-of-candidates. Other lines are ignored; lines may end in CRLF, LF
// or a bare CR (which therefore never reaches a candidate).
// The candidates are not validated here: pion's AddICECandidate does that.
// The error wraps ErrBadCandidate.
func parseTrickleFragment(frag string) (cands []webrtc.ICECandidateInit, end bool, err error) {
	mid := ""
	lines := strings.FieldsFunc(frag, func(r rune) bool { return r == '\n' || r == '\r' })
	for _, line := range lines {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "a=mid:"):
			mid = strings.TrimPrefix(line, "a=mid:")
		case strings.HasPrefix(line, "a=candidate:"):
			init := webrtc.ICECandidateInit{Candidate: strings.TrimPrefix(line, "a=")}
			if mid != "" {
				m := mid
				init.SDPMid = &m
			} else {
				var zero uint16
				init.SDPMLineIndex = &zero
			}
			cands = append(cands, init)
		case line == "a=end-of-candidates":
			end = true
		}
	}
	if len(cands) == 0 && !end {
		return nil, false, fmt.Errorf("%w: no a=candidate or a=end-of-candidates line", ErrBadCandidate)
	}
	return cands, end, nil
}

// AddICECandidates applies candidates trickled as RTCIceCandidateInit
// (SmallWebRTC's PATCH). The error wraps ErrBadCandidate.
func (c *Call) AddICECandidates(cands []webrtc.ICECandidateInit) error {
	for _, init := range cands {
		if err := c.pc.AddICECandidate(init); err != nil {
			return fmt.Errorf("%w: %w", ErrBadCandidate, err)
		}
	}
	return nil
}
