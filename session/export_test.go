package session

import "github.com/duplex-ai/duplex/transcript"

// WrapCreateLog lets a test wrap how m opens transcripts.
func WrapCreateLog(m *Manager, wrap func(next func(id, secret, pipeline string) (*transcript.Log, error)) func(id, secret, pipeline string) (*transcript.Log, error)) {
	m.createLog = wrap(m.createLog)
}
