package session

import (
	"testing"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// BenchmarkCallAPI measures what building a pion API per call (for its
// logger) adds to a peer connection's own set-up.
func BenchmarkCallAPI(b *testing.B) {
	m, err := NewManager(Config{Pipeline: idlePipeline{}, Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = m.Close(ReasonServerShutdown) }()
	b.Run("api", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.newAPI(zerolog.Nop()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("peer-connection", func(b *testing.B) {
		api, err := m.newAPI(zerolog.Nop())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			pc, err := api.NewPeerConnection(webrtc.Configuration{})
			if err != nil {
				b.Fatal(err)
			}
			_ = pc.Close()
		}
	})
}
