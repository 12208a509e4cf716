package session

import "sync"

// linkState tracks whether the call's transport is down and, while it is,
// ends the resume window when it comes back.
type linkState struct {
	mu sync.Mutex
	// back is closed when the transport is regained; nil while it is up.
	back chan struct{}
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
