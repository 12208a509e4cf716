package realtime

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
)

// IDs mints the identifiers a server puts on the wire: event_id on every
// server event (the official client ignores an event without one), and the
// ids of items, responses and sessions. Each generator has a random prefix,
// so ids are unique across calls as well as within one. Safe for concurrent
// use.
type IDs struct {
	prefix string
	n      atomic.Uint64
}

// NewIDs returns a generator with a random 8-hex-digit prefix.
func NewIDs() *IDs {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return NewIDsPrefix(hex.EncodeToString(b[:]))
}

// NewIDsPrefix returns a generator with a fixed prefix (tests, replays).
func NewIDsPrefix(prefix string) *IDs { return &IDs{prefix: prefix} }

func (g *IDs) next(kind string) string {
	return kind + g.prefix + strconv.FormatUint(g.n.Add(1), 36)
}

// Event returns a new event id ("event_…").
func (g *IDs) Event() string { return g.next("event_") }

// Item returns a new conversation item id ("item_…").
func (g *IDs) Item() string { return g.next("item_") }

// Response returns a new response id ("resp_…").
func (g *IDs) Response() string { return g.next("resp_") }

// Session returns a new session id ("sess_…").
func (g *IDs) Session() string { return g.next("sess_") }
