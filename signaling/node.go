package signaling

import "strings"

// Many nodes: with Options.NodeID set, a call's URL is
// /v1/calls/{node}.{id} and its resume credential {node}.{credential}, so
// that a proxy routes PATCH, DELETE, the transcript and a resume to the
// node holding the call from the path or header alone (deploy/nginx.conf).
// Node ids are letters, digits, '-' and '_' (no dot).

// onNode prefixes v with this node's id, if it has one.
func (s *Server) onNode(v string) string {
	if s.opt.NodeID == "" {
		return v
	}
	return s.opt.NodeID + "." + v
}

// local strips this node's prefix from a call id or resume credential. A
// value naming another node comes back unchanged: it matches no call here.
func (s *Server) local(v string) string {
	if node, rest, ok := strings.Cut(v, "."); ok && node == s.opt.NodeID {
		return rest
	}
	return v
}

// ValidNodeID reports whether id can name a node in URLs.
func ValidNodeID(id string) bool {
	if id == "" || len(id) > 63 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
