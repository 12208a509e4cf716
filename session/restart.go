package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/pion/webrtc/v4"
)

// ICE restart, WHIP style (RFC 9725 §4.3.2): the client sends only its new
// ice-ufrag/ice-pwd (and perhaps candidates) in a trickle-ICE fragment; the
// server applies them as a new remote offer on the same peer connection and
// answers with its own new credentials and candidates. DTLS, SCTP, tracks
// and the conversation are kept.

// ETag is the entity tag of the call's current ICE session (RFC 9725
// §4.3.1), quoted; it changes at each ICE restart.
func (c *Call) ETag() string {
	c.mu.Lock()
	pc := c.pc
	c.mu.Unlock()
	if pc == nil {
		return ""
	}
	ld := pc.LocalDescription()
	if ld == nil {
		return ""
	}
	ufrag, _ := iceCredentials(ld.SDP)
	return `"` + ufrag + `"`
}

// IsRestart reports whether a trickle-ICE fragment asks for an ICE restart:
// it carries an ice-ufrag other than the one the call is using.
func (c *Call) IsRestart(frag string) bool {
	ufrag, _ := iceCredentials(frag)
	if ufrag == "" {
		return false
	}
	c.mu.Lock()
	pc := c.pc
	c.mu.Unlock()
	if pc == nil {
		return false
	}
	rd := pc.RemoteDescription()
	if rd == nil {
		return false
	}
	cur, _ := iceCredentials(rd.SDP)
	return ufrag != cur
}

// RestartICE restarts ICE on the call's peer connection with the client's
// new credentials in frag (an application/trickle-ice-sdpfrag body) and
// returns the server's answer fragment: its new ice-ufrag, ice-pwd and
// candidates. The error wraps ErrBadCandidate for a bad fragment, ErrClosed
// once the call is ending.
func (c *Call) RestartICE(ctx context.Context, frag string) (string, error) {
	ufrag, pwd := iceCredentials(frag)
	if ufrag == "" || pwd == "" {
		return "", fmt.Errorf("%w: an ICE restart needs a=ice-ufrag and a=ice-pwd lines", ErrBadCandidate)
	}
	cands, _, err := parseTrickleFragment(frag)
	if err != nil {
		cands = nil // candidates may follow in later PATCHes
	}
	c.restartMu.Lock()
	defer c.restartMu.Unlock()
	pc := c.livePC()
	if pc == nil {
		return "", ErrClosed
	}
	rd := pc.RemoteDescription()
	if rd == nil {
		return "", ErrClosed
	}
	offer := withICECredentials(rd.SDP, ufrag, pwd)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: restart offer: %w", ErrBadCandidate, err)
	}
	if err := c.answerAgain(ctx, pc); err != nil {
		return "", err
	}
	for _, init := range cands {
		if err := pc.AddICECandidate(init); err != nil {
			return "", fmt.Errorf("%w: %w", ErrBadCandidate, err)
		}
	}
	c.m.resumes.restarts.Add(1)
	c.log.Info().Msg("ICE restarted")
	return answerFragment(pc.LocalDescription().SDP), nil
}

// Renegotiate applies a complete new offer from the client to the call's
// peer connection (an ICE restart when its credentials are new) and
// returns the complete answer. The offer must keep the call's media
// sections; the error wraps ErrBadOffer when pion refuses it.
func (c *Call) Renegotiate(ctx context.Context, offer string) (string, error) {
	if err := ValidateOffer(offer); err != nil {
		return "", err
	}
	c.restartMu.Lock()
	defer c.restartMu.Unlock()
	pc := c.livePC()
	if pc == nil {
		return "", ErrClosed
	}
	var prev string
	if rd := pc.RemoteDescription(); rd != nil {
		prev, _ = iceCredentials(rd.SDP)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	if err := c.answerAgain(ctx, pc); err != nil {
		return "", err
	}
	if ufrag, _ := iceCredentials(offer); ufrag != prev {
		c.m.resumes.restarts.Add(1)
	}
	c.log.Info().Msg("renegotiated")
	return pc.LocalDescription().SDP, nil
}

// answerAgain answers the remote offer just applied to pc and waits for
// gathering (bounded by GatherTimeout).
func (c *Call) answerAgain(ctx context.Context, pc *webrtc.PeerConnection) error {
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("session: answer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fmt.Errorf("session: answer: %w", err)
	}
	gt := c.m.cfg.Clock.NewTimer(c.m.cfg.GatherTimeout)
	defer gt.Stop()
	select {
	case <-gathered:
	case <-ctx.Done():
		return ctx.Err()
	case <-gt.C():
		c.log.Warn().Msg("ICE gathering incomplete; answering with the candidates so far")
	}
	return nil
}

// iceCredentials returns the first a=ice-ufrag and a=ice-pwd values of an
// SDP or SDP fragment.
func iceCredentials(sdp string) (ufrag, pwd string) {
	for _, line := range strings.FieldsFunc(sdp, func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "a=ice-ufrag:"); ok && ufrag == "" {
			ufrag = v
		}
		if v, ok := strings.CutPrefix(line, "a=ice-pwd:"); ok && pwd == "" {
			pwd = v
		}
	}
	return ufrag, pwd
}

// withICECredentials rewrites a remote offer for an ICE restart: new
// credentials on every a=ice-ufrag/a=ice-pwd line, the old candidates and
// end-of-candidates dropped, and the o= session version bumped.
func withICECredentials(sdp, ufrag, pwd string) string {
	lines := strings.Split(strings.ReplaceAll(sdp, "\r\n", "\n"), "\n")
	out := make([]string, 0, len(lines))
	for _, line := range lines {
		switch {
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			line = "a=ice-ufrag:" + ufrag
		case strings.HasPrefix(line, "a=ice-pwd:"):
			line = "a=ice-pwd:" + pwd
		case strings.HasPrefix(line, "a=candidate:"), line == "a=end-of-candidates":
			continue
		case strings.HasPrefix(line, "o="):
			// o=<user> <sess-id> <sess-version> ...: a new offer has a higher version.
			if f := strings.Fields(line); len(f) >= 3 {
				var v uint64
				if _, err := fmt.Sscan(f[2], &v); err == nil {
					f[2] = fmt.Sprint(v + 1)
					line = strings.Join(f, " ")
				}
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\r\n")
}

// answerFragment is the trickle-ICE fragment of a local answer after a
// restart (RFC 9725 §4.3.2): its credentials, then each media section's
// mid and candidates.
func answerFragment(sdp string) string {
	var b strings.Builder
	ufrag, pwd := iceCredentials(sdp)
	fmt.Fprintf(&b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", ufrag, pwd)
	var mline string
	for _, line := range strings.FieldsFunc(sdp, func(r rune) bool { return r == '\n' || r == '\r' }) {
		switch {
		case strings.HasPrefix(line, "m="):
			mline = line
		case strings.HasPrefix(line, "a=mid:"):
			if mline != "" {
				b.WriteString(mline + "\r\n" + line + "\r\n")
			}
		case strings.HasPrefix(line, "a=candidate:"), line == "a=end-of-candidates":
			b.WriteString(line + "\r\n")
		}
	}
	return b.String()
}

// livePC returns the call's peer connection, or nil once teardown began.
func (c *Call) livePC() *webrtc.PeerConnection {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return nil
	}
	return c.pc
}
