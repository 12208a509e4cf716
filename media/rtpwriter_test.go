package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

type rtpRecorder struct{ pkts []rtp.Packet }

func (r *rtpRecorder) WriteRTP(p *rtp.Packet) error {
	c := *p
	c.Payload = append([]byte(nil), p.Payload...)
	r.pkts = append(r.pkts, c)
	return nil
}

func TestOpusRTPWriterGapIsNotLoss(t *testing.T) {
	rec := &rtpRecorder{}
	w := NewOpusRTPWriter(rec)
	write := func(dropped uint16) {
		if err := w.WriteSample(Sample{Data: []byte{1, 2, 3}, Duration: 20 * time.Millisecond, PrevDroppedPackets: dropped}); err != nil {
			t.Fatal(err)
		}
	}
	write(0)
	write(0)
	write(50) // one second of silence before this frame
	write(0)
	p := rec.pkts
	if len(p) != 4 {
		t.Fatalf("%d packets", len(p))
	}
	for i := 1; i < 4; i++ {
		if p[i].SequenceNumber != p[i-1].SequenceNumber+1 {
			t.Fatalf("sequence gap at %d: %d → %d", i, p[i-1].SequenceNumber, p[i].SequenceNumber)
		}
	}
	wantTS := []uint32{0, 960, 960 * 52, 960 * 53}
	for i, want := range wantTS {
		if got := p[i].Timestamp - p[0].Timestamp; got != want {
			t.Errorf("packet %d timestamp +%d, want +%d", i, got, want)
		}
	}
	wantMarker := []bool{true, false, true, false}
	for i, want := range wantMarker {
		if p[i].Marker != want {
			t.Errorf("packet %d marker %v, want %v", i, p[i].Marker, want)
		}
	}
	if string(p[2].Payload) != "\x01\x02\x03" {
		t.Fatal("payload not carried")
	}
}
