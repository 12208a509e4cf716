package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net"

	"github.com/duplex-ai/duplex/signaling"
	"github.com/duplex-ai/duplex/turnsrv"
)

// startTURN runs the built-in TURN server of -turn-listen. Its secret is
// derived from the token secret, so that every node given the same
// -token-secret accepts the TURN credentials any of them minted; without
// one it is random per process.
func startTURN(cfg *config, tokenSecret []byte) (*turnsrv.Server, *signaling.TURNOptions, error) {
	host, _, err := net.SplitHostPort(cfg.turnListen)
	if err != nil {
		return nil, nil, fmt.Errorf("-turn-listen %q: %w", cfg.turnListen, err)
	}
	relay := cfg.turnRelayIP
	if relay == "" && len(cfg.publicIPs) > 0 {
		relay = cfg.publicIPs[0]
	}
	if relay == "" {
		relay = host
	}
	ip := net.ParseIP(relay)
	if ip == nil && cfg.turnRelayIP != "" {
		return nil, nil, fmt.Errorf("-turn-relay-ip %q is not an IP address", cfg.turnRelayIP)
	}
	if ip == nil || ip.IsUnspecified() {
		return nil, nil, fmt.Errorf("-turn-listen: the relay address is unknown: set -turn-relay-ip or -public-ip (or listen on a specific IP)")
	}
	secret := make([]byte, 32)
	if len(tokenSecret) > 0 {
		m := hmac.New(sha256.New, tokenSecret)
		m.Write([]byte("duplex turn credentials"))
		secret = m.Sum(nil)
	} else if _, err := rand.Read(secret); err != nil {
		return nil, nil, err
	}
	ts, err := turnsrv.Listen(turnsrv.Options{Listen: cfg.turnListen, RelayIP: ip, Secret: secret})
	if err != nil {
		return nil, nil, fmt.Errorf("-turn-listen: %w", err)
	}
	opt := &signaling.TURNOptions{Port: ts.Port(), Secret: secret, TTL: cfg.tokenTTL}
	if len(cfg.publicIPs) > 0 {
		opt.Host = cfg.publicIPs[0]
	}
	return ts, opt, nil
}
