package session

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/duplex-ai/duplex/pipeline"
)

// Resume: a call whose transport died keeps its conversation (the pipeline
// run, with its memory, transcript and mode) for Config.ResumeWindow. A
// client that comes back, from any address, with the call's resume
// credential gets a new peer connection attached to the same call: the
// same audio track, frames channel, transcript and events. The credential
// is single use and rotated at each resume; it never appears in logs.

var (
	// ErrResumeUnknown: the resume credential names no call.
	ErrResumeUnknown = errors.New("unknown resume credential")
	// ErrResumeExpired: the call's resume window passed before it was resumed.
	ErrResumeExpired = errors.New("resume_expired: the call's resume window passed")
)

// expiredKeep bounds how long, and how many, spent credentials of calls
// that ended with resume_expired are remembered, to tell a late client why.
const (
	expiredKeep    = 10 * time.Minute
	expiredMaxKeys = 4096
)

// resumeIndex maps resume credentials (by SHA-256, so that a lookup's time
// does not depend on the secret) to calls. Guarded by Manager.mu.
type resumeIndex struct {
	live    map[[sha256.Size]byte]*Call
	expired map[[sha256.Size]byte]time.Time
	// ICE restarts and peer connections attached (resumes and Reattach)
	// that succeeded; atomic, not under the lock.
	restarts, reattached atomic.Uint64
}

// Reconnects returns how many ICE restarts (PATCH or Renegotiate) and
// how many new peer connections attached to live calls (Resume, Reattach)
// have succeeded since start.
func (m *Manager) Reconnects() (restarts, reattached uint64) {
	return m.resumes.restarts.Load(), m.resumes.reattached.Load()
}

func resumeHash(cred string) [sha256.Size]byte { return sha256.Sum256([]byte(cred)) }

// issue gives c a new credential, replacing its old one.
func (r *resumeIndex) issue(c *Call) {
	if r.live == nil {
		r.live = make(map[[sha256.Size]byte]*Call)
	}
	if c.resumeKey != "" {
		delete(r.live, resumeHash(c.resumeKey))
		c.resumeKey = ""
	}
	key, err := newID()
	if err != nil {
		c.log.Error().Err(err).Msg("no resume credential")
		return
	}
	c.resumeKey = key
	r.live[resumeHash(key)] = c
}

// retire forgets c's credential; a call that expired is remembered for a
// while so that a late resume gets ErrResumeExpired.
func (r *resumeIndex) retire(c *Call, reason CloseReason, now time.Time) {
	if c.resumeKey == "" {
		return
	}
	h := resumeHash(c.resumeKey)
	delete(r.live, h)
	if reason != ReasonResumeExpired {
		return
	}
	if r.expired == nil {
		r.expired = make(map[[sha256.Size]byte]time.Time)
	}
	for k, at := range r.expired {
		if now.Sub(at) > expiredKeep || len(r.expired) >= expiredMaxKeys {
			delete(r.expired, k)
		}
	}
	r.expired[h] = now
}

// ResumeCredential returns the call's current resume credential: secret,
// single use, replaced at each resume.
func (c *Call) ResumeCredential() string {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	return c.resumeKey
}

// peer returns the call's current peer connection.
func (c *Call) peer() *webrtc.PeerConnection {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pc
}

// bindPeer routes pc's callbacks to the call while pc is its current peer
// connection; a replaced one (after a resume) is ignored, its close too.
func (c *Call) bindPeer(pc *webrtc.PeerConnection) {
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) { c.peerStateChanged(pc, s) })
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		if c.peer() == pc {
			c.onTrack(t, r)
		}
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		if c.peer() == pc {
			c.onDataChannel(dc)
		}
	})
}

// Resume attaches a new peer connection, negotiated from offer, to the
// call that cred names, and returns the call with the SDP answer. The old
// peer connection is closed; a reply in progress is cancelled, not
// replayed (the conversation keeps what was heard). cred is spent: the
// call's new credential is ResumeCredential.
func (m *Manager) Resume(ctx context.Context, cred, offer string) (*Call, string, error) {
	if err := ValidateOffer(offer); err != nil {
		return nil, "", err
	}
	h := resumeHash(cred)
	m.mu.Lock()
	c, ok := m.resumes.live[h]
	if !ok {
		_, expired := m.resumes.expired[h]
		m.mu.Unlock()
		if expired {
			return nil, "", ErrResumeExpired
		}
		return nil, "", ErrResumeUnknown
	}
	if m.closed {
		m.mu.Unlock()
		return nil, "", ErrClosed
	}
	m.resumes.issue(c) // single use: the presented credential is spent now
	m.mu.Unlock()
	answer, err := c.reattach(ctx, offer)
	if err != nil {
		return nil, "", err
	}
	return c, answer, nil
}

// Reattach attaches a new peer connection negotiated from offer to the
// call, as Resume does, for a signaling route that has authorised the
// caller itself (SmallWebRTC's restart_pc, for instance). It returns the
// SDP answer.
func (c *Call) Reattach(ctx context.Context, offer string) (string, error) {
	if err := ValidateOffer(offer); err != nil {
		return "", err
	}
	return c.reattach(ctx, offer)
}

// reattach replaces the call's peer connection with one negotiated from
// offer, sending the call's audio track.
func (c *Call) reattach(ctx context.Context, offer string) (string, error) {
	c.restartMu.Lock()
	defer c.restartMu.Unlock()
	api, err := c.m.newAPI(c.log)
	if err != nil {
		return "", err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: c.m.cfg.ICEServers})
	if err != nil {
		return "", fmt.Errorf("session: new peer connection: %w", err)
	}
	var old *webrtc.PeerConnection
	if !c.attach(func() { old, c.pc = c.pc, pc }) {
		_ = pc.Close()
		return "", ErrClosed
	}
	c.bindPeer(pc)
	// The old transport is dead or dying: stop the reply the caller is
	// missing rather than play it into the void.
	c.cancelReply()
	if old != nil {
		c.goRun(func() { _ = old.Close() }) // may wait on a dead peer: off the request
	}
	// A failed resume leaves the call waiting for another, in its window.
	fail := func(err error) (string, error) {
		if !c.transportLost() {
			c.requestClose(ReasonSetupFailed)
		}
		return "", err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(fmt.Errorf("%w: %w", ErrBadOffer, err))
	}
	sender, err := pc.AddTrack(c.track)
	if err != nil {
		return fail(fmt.Errorf("%w: cannot send audio: %w", ErrBadOffer, err))
	}
	c.goRun(func() { drainRTCP(sender) })
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(fmt.Errorf("%w: %w", ErrBadOffer, err))
	}
	if err := checkAnswerAudio(answer.SDP); err != nil {
		return fail(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fail(fmt.Errorf("%w: %w", ErrBadOffer, err))
	}
	gt := c.m.cfg.Clock.NewTimer(c.m.cfg.GatherTimeout)
	defer gt.Stop()
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(ctx.Err())
	case <-gt.C():
	}
	c.m.resumes.reattached.Add(1)
	c.log.Info().Msg("call resumed on a new peer connection")
	return pc.LocalDescription().SDP, nil
}

// cancelReply asks the pipeline to stop the reply in progress, if any.
func (c *Call) cancelReply() {
	if !c.busy.Load() {
		return
	}
	select {
	case c.commands <- pipeline.Command{Kind: pipeline.CmdResponseCancel}:
	default:
	}
}
