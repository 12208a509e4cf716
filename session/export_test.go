package session

import (
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/duplex-ai/duplex/transcript"
)

// WrapCreateLog lets a test wrap how m opens transcripts.
func WrapCreateLog(m *Manager, wrap func(next func(id, secret, pipeline string) (*transcript.Log, error)) func(id, secret, pipeline string) (*transcript.Log, error)) {
	m.createLog = wrap(m.createLog)
}

// LastActive is how long after its start c last saw caller activity, on
// the call's clock.
func LastActive(c *Call) time.Duration { return time.Duration(c.lastActive.Load()) }

// Age is how long c has existed, on the call's clock.
func Age(c *Call) time.Duration { return c.since() }

// DroppedCommands is how many client messages c's rate limit dropped.
func DroppedCommands(c *Call) uint64 { return c.lostCommands.Load() }

// PeerStateNotice delivers pion's notice that c's peer connection changed
// to s, as pion's goroutine for that change would: perhaps late.
func PeerStateNotice(c *Call, s webrtc.PeerConnectionState) { c.peerStateChanged(c.peer(), s) }
