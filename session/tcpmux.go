package session

import (
	"fmt"
	"net"

	"github.com/pion/webrtc/v4"
)

// tcpMuxBacklog is how many ICE-TCP packets wait per connection before the
// mux drops (pion's examples/ice-tcp uses 8).
const tcpMuxBacklog = 8

// listenTCP opens Config.TCPPort for passive ICE-TCP candidates (RFC 6544)
// shared by every call, and enables TCP beside UDP in se.
func (m *Manager) listenTCP(se *webrtc.SettingEngine) error {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{Port: m.cfg.TCPPort})
	if err != nil {
		return fmt.Errorf("session: ICE-TCP port %d: %w", m.cfg.TCPPort, err)
	}
	m.tcpLn = ln
	m.tcpMux = webrtc.NewICETCPMux(nil, ln, tcpMuxBacklog)
	se.SetICETCPMux(m.tcpMux)
	se.SetNetworkTypes([]webrtc.NetworkType{
		webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6,
		webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6,
	})
	return nil
}

// closeMuxes closes the shared UDP and TCP ports.
func (m *Manager) closeMuxes() {
	if m.udpMux != nil {
		_ = m.udpMux.Close()
	}
	if m.muxPC != nil {
		_ = m.muxPC.Close()
	}
	if m.tcpMux != nil {
		_ = m.tcpMux.Close()
	}
	if m.tcpLn != nil {
		_ = m.tcpLn.Close()
	}
}
