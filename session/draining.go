package session

// Draining reports whether the manager refuses new calls (Drain or Close
// has begun): a load balancer should stop sending calls here.
func (m *Manager) Draining() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}
