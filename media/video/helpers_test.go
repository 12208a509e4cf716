package video

import (
	"errors"
	"github.com/duplex-ai/duplex/clock"
	"github.com/pion/interceptor"
	"image"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// keyFrameIndexes returns the indexes of the key frames.
func keyFrameIndexes(c Codec, frames [][]byte) []int {
	var k []int
	for i, f := range frames {
		if IsKeyFrame(c, f) {
			k = append(k, i)
		}
	}
	return k
}

// videoStream packetizes frames as a WebRTC sender would, with pion's
// payloaders (VP8 with a picture ID; VP9 flexible mode; H.264 STAP-A for
// SPS+PPS and FU-A beyond mtu), marker on each frame's last packet, 15 fps
// timestamps. first[i] is the index of frame i's first packet.
func videoStream(c Codec, frames [][]byte, mtu uint16, seq0 uint16, ts0 uint32) (pkts []*rtp.Packet, first []int) {
	var pay rtp.Payloader
	switch c {
	case VP8:
		pay = &codecs.VP8Payloader{EnablePictureID: true}
	case VP9:
		pay = &codecs.VP9Payloader{}
	case H264:
		pay = &codecs.H264Payloader{}
	}
	seq := seq0
	for i, f := range frames {
		first = append(first, len(pkts))
		parts := pay.Payload(mtu, f)
		for j, p := range parts {
			pkts = append(pkts, &rtp.Packet{
				Header: rtp.Header{
					Version:        2,
					PayloadType:    96,
					SequenceNumber: seq,
					Timestamp:      ts0 + uint32(i)*videoClockRate/15,
					SSRC:           42,
					Marker:         j == len(parts)-1,
				},
				Payload: p,
			})
			seq++
		}
	}
	return pkts, first
}

// newFakeClock is the manual clock the receiver tests step.
func newFakeClock() *clock.Manual {
	return clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
}

// plis counts RequestKeyFrame calls.
type plis struct{ n int }

func (p *plis) request() error { p.n++; return nil }

func newVideoReceiver(t testing.TB, opt ReceiverOptions) *Receiver {
	t.Helper()
	v, err := NewReceiver(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// rgbAt returns the 8-bit RGB of img at (x, y).
func rgbAt(img image.Image, x, y int) [3]int {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
}

// meanRGB averages a (2r+1)² square around (x, y).
func meanRGB(img image.Image, x, y, r int) [3]int {
	var s [3]int
	n := 0
	for yy := y - r; yy <= y+r; yy++ {
		for xx := x - r; xx <= x+r; xx++ {
			c := rgbAt(img, xx, yy)
			for i := range s {
				s[i] += c[i]
			}
			n++
		}
	}
	for i := range s {
		s[i] /= n
	}
	return s
}

func near(got, want [3]int, tol int) bool {
	for i := range got {
		if d := got[i] - want[i]; d > tol || d < -tol {
			return false
		}
	}
	return true
}

// keyPicture decodes the first (key) frame of a test stream at full size.
func keyPicture(tb testing.TB, name string) *image.YCbCr {
	tb.Helper()
	c, frames := videoFrames(tb, name)
	d, err := NewDecoder(c)
	if err != nil {
		tb.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Decode(frames[0]); err != nil {
		tb.Fatal(err)
	}
	img, _, _, err := d.Picture(0, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

// blockingSource blocks ReadRTP until SetReadDeadline is called, as a
// track does when the call's context ends.
type blockingSource struct{ unblock chan struct{} }

func (s *blockingSource) ReadRTP() (*rtp.Packet, interceptor.Attributes, error) {
	<-s.unblock
	return nil, nil, errors.New("i/o timeout")
}

func (s *blockingSource) SetReadDeadline(time.Time) error {
	close(s.unblock)
	return nil
}
