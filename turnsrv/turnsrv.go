// Package turnsrv is Duplex's optional built-in TURN server (RFC 8656, on
// pion/turn) for callers whose network blocks UDP: it listens on one
// address over UDP and TCP and relays over UDP from RelayIP. Credentials
// are time-windowed (the TURN REST API form, draft-uberti-behave-turn-rest):
// a username "<unix expiry>:<user>" and an HMAC of it with the shared
// secret, so that any node holding the secret can mint them per call and
// none are stored.
package turnsrv

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the TURN REST credential scheme is HMAC-SHA1
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"
)

// Options configure a Server.
type Options struct {
	// Listen is host:port for both the UDP and the TCP listener.
	Listen string
	// RelayIP is the address announced for relayed candidates; it must be
	// reachable by the media server's peers (the node's public IP).
	RelayIP net.IP
	// Secret signs credentials (Credentials); required.
	Secret []byte
	// Realm defaults to "duplex".
	Realm string
	// LoggerFactory receives pion/turn's logs; nil: pion's default (errors
	// to stderr).
	LoggerFactory logging.LoggerFactory
}

// Server is a running TURN server.
type Server struct {
	srv *turn.Server
	udp net.PacketConn
	tcp net.Listener
}

// Listen starts a TURN server on opt.Listen, UDP and TCP.
func Listen(opt Options) (*Server, error) {
	if len(opt.Secret) == 0 {
		return nil, errors.New("turnsrv: a secret is required")
	}
	if opt.RelayIP == nil {
		return nil, errors.New("turnsrv: a relay IP is required")
	}
	if opt.Realm == "" {
		opt.Realm = "duplex"
	}
	udp, err := net.ListenPacket("udp", opt.Listen)
	if err != nil {
		return nil, fmt.Errorf("turnsrv: %w", err)
	}
	// The TCP listener takes the port UDP got (Listen may name port 0).
	port := udp.LocalAddr().(*net.UDPAddr).Port
	host, _, err := net.SplitHostPort(opt.Listen)
	if err != nil {
		_ = udp.Close()
		return nil, fmt.Errorf("turnsrv: listen address: %w", err)
	}
	tcp, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		_ = udp.Close()
		return nil, fmt.Errorf("turnsrv: %w", err)
	}
	lf := opt.LoggerFactory
	if lf == nil {
		lf = logging.NewDefaultLoggerFactory()
	}
	relay := func() turn.RelayAddressGenerator {
		return &turn.RelayAddressGeneratorStatic{RelayAddress: opt.RelayIP, Address: "0.0.0.0"}
	}
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm:             opt.Realm,
		AuthHandler:       turn.LongTermTURNRESTAuthHandler(string(opt.Secret), lf.NewLogger("turn")),
		LoggerFactory:     lf,
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: udp, RelayAddressGenerator: relay()}},
		ListenerConfigs:   []turn.ListenerConfig{{Listener: tcp, RelayAddressGenerator: relay()}},
	})
	if err != nil {
		_ = udp.Close()
		_ = tcp.Close()
		return nil, fmt.Errorf("turnsrv: %w", err)
	}
	return &Server{srv: srv, udp: udp, tcp: tcp}, nil
}

// Port is the port the server listens on (UDP and TCP).
func (s *Server) Port() int { return s.udp.LocalAddr().(*net.UDPAddr).Port }

// Close stops the server and its relays.
func (s *Server) Close() error { return s.srv.Close() }

// Credentials mints a username and password valid until expiry for user
// (an opaque tag: no ':' in it), checked by any server with secret.
func Credentials(secret []byte, user string, expiry time.Time) (username, password string) {
	username = strconv.FormatInt(expiry.Unix(), 10) + ":" + user
	mac := hmac.New(sha1.New, secret)
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
