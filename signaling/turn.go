package signaling

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/duplex-ai/duplex/turnsrv"
)

// TURNOptions advertise the built-in TURN server (turnsrv) in /v1/config
// with credentials minted per request.
type TURNOptions struct {
	// Host is the TURN server's address as clients reach it; empty: the
	// host name of the request.
	Host string
	// Port is the TURN server's port (UDP and TCP).
	Port int
	// Secret is the TURN server's shared secret.
	Secret []byte
	// TTL is how long minted credentials are valid; default 10 min.
	TTL time.Duration
}

// turnServer returns the TURN entry of /v1/config for r: turn: URLs over
// UDP and TCP, and credentials valid for TTL whose user is a digest of the
// caller's bearer token (or "anon" on an open server), so that a TURN
// allocation can be traced to the token that asked for it.
func (s *Server) turnServer(r *http.Request) ICEServer {
	t := s.opt.TURN
	ttl := t.TTL
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	host := t.Host
	if host == "" {
		host = r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		}
	}
	user := "anon"
	if b := bearer(r); b != "" {
		sum := sha256.Sum256([]byte(b))
		user = hex.EncodeToString(sum[:8])
	}
	name, pass := turnsrv.Credentials(t.Secret, user, s.opt.Now().Add(ttl))
	hp := net.JoinHostPort(host, strconv.Itoa(t.Port))
	return ICEServer{
		URLs:       []string{"turn:" + hp + "?transport=udp", "turn:" + hp + "?transport=tcp"},
		Username:   name,
		Credential: pass,
	}
}
