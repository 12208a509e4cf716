package media

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/pion/rtp"
)

// RTPWriter accepts RTP packets; *webrtc.TrackLocalStaticRTP satisfies it
// (it sets SSRC and payload type per binding).
type RTPWriter interface {
	WriteRTP(p *rtp.Packet) error
}

// OpusRTPWriter packetizes one Opus frame per RTP packet (RFC 7587) for a
// PacedWriter. Unlike pion's TrackLocalStaticSample, a pause reported in
// Sample.PrevDroppedPackets advances only the RTP timestamp, not the
// sequence number: a silent gap looks like Opus DTX to the receiver, not
// like packet loss. The first packet after a gap carries the marker bit.
// It is used from one goroutine (the PacedWriter's).
type OpusRTPWriter struct {
	w      RTPWriter
	seq    uint16
	ts     uint32
	marker bool
	pkt    rtp.Packet
}

// NewOpusRTPWriter returns a SampleWriter over w with random initial
// sequence number and timestamp.
func NewOpusRTPWriter(w RTPWriter) *OpusRTPWriter {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &OpusRTPWriter{
		w:      w,
		seq:    binary.BigEndian.Uint16(b[0:2]),
		ts:     binary.BigEndian.Uint32(b[2:6]),
		marker: true,
	}
}

// WriteSample implements SampleWriter. Sample.Data is one Opus packet.
func (o *OpusRTPWriter) WriteSample(s Sample) error {
	ticks := uint32(s.Duration * OpusSampleRate / time.Second)
	if s.PrevDroppedPackets > 0 {
		o.ts += ticks * uint32(s.PrevDroppedPackets)
		o.marker = true
	}
	o.pkt.Header = rtp.Header{
		Version:        2,
		Marker:         o.marker,
		SequenceNumber: o.seq,
		Timestamp:      o.ts,
	}
	o.pkt.Payload = s.Data
	o.seq++
	o.ts += ticks
	o.marker = false
	return o.w.WriteRTP(&o.pkt)
}
