package session

// Draining reports whether the manager refuses new calls (Drain or Close
// has begun): a load balancer should stop sending calls here.
func (m *Manager) Draining() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// eventsPending reports whether session.ending waits for, or in, the
// client's open channel (not yet written, or not yet handed to SCTP).
func (c *Call) eventsPending() bool {
	w := c.wire.Load()
	if w == nil || c.TransportDown() { // nothing will reach a dead transport
		return false
	}
	return !c.endingSent.Load() || w.dc.BufferedAmount() > 0
}
