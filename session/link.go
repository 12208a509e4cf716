package session

import (
	"sync"

	"github.com/pion/webrtc/v4"
)

// linkState tracks whether the call's transport is down and, while it is,
// ends the resume window when it comes back.
type linkState struct {
	mu sync.Mutex
	// back is closed when the transport is regained; nil while it is up.
	back chan struct{}
}

// peerStates is what the call last acted on of its current peer
// connection's state.
type peerStates struct {
	mu   sync.Mutex
	pc   *webrtc.PeerConnection
	last webrtc.PeerConnectionState
}

// peerStateChanged handles pion's notice that pc's state changed to
// notified. pion sends each notice from a goroutine of its own, so two
// changes close together (connecting then connected after an ICE
// restart) can arrive in either order: the call acts on pc's current
// state instead, once per change.
func (c *Call) peerStateChanged(pc *webrtc.PeerConnection, notified webrtc.PeerConnectionState) {
	c.states.mu.Lock()
	defer c.states.mu.Unlock()
	if c.peer() != pc {
		return // replaced by a resume: its close does not end the call
	}
	if c.states.pc != pc {
		c.states.pc, c.states.last = pc, webrtc.PeerConnectionStateUnknown
	}
	s := pc.ConnectionState()
	if s != notified {
		c.log.Debug().Str("notified", notified.String()).Str("state", s.String()).Msg("connection state notice out of date")
	}
	if s == c.states.last {
		return
	}
	c.states.last = s
	c.onConnectionState(s)
}

// transportLost starts the resume window when the transport has failed. It
// reports false when there is no window (Config.ResumeWindow is zero).
func (c *Call) transportLost() bool {
	window := c.m.cfg.ResumeWindow
	if window <= 0 {
		return false
	}
	c.link.mu.Lock()
	if c.link.back != nil {
		c.link.mu.Unlock()
		return true
	}
	back := make(chan struct{})
	c.link.back = back
	c.link.mu.Unlock()
	c.log.Info().Dur("window", window).Msg("transport lost: waiting for an ICE restart or a resume")
	c.cancelReply() // not played into the void, nor replayed: history keeps what was heard
	t := c.m.cfg.Clock.NewTimer(window)
	if !c.goRun(func() {
		defer t.Stop()
		select {
		case <-back:
		case <-c.ctx.Done():
		case <-t.C():
			c.requestClose(ReasonResumeExpired)
		}
	}) {
		t.Stop()
	}
	return true
}

// transportRegained ends the resume window, if one is open.
func (c *Call) transportRegained() {
	c.link.mu.Lock()
	defer c.link.mu.Unlock()
	if c.link.back != nil {
		close(c.link.back)
		c.link.back = nil
		c.log.Info().Msg("transport regained")
	}
}

// TransportDown reports whether the call is inside its resume window.
func (c *Call) TransportDown() bool {
	c.link.mu.Lock()
	defer c.link.mu.Unlock()
	return c.link.back != nil
}
