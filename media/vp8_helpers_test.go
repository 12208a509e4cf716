package media

import (
	"bytes"
	"errors"
	"image"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
)

// vp8Frames reads the frames of testdata/name (made by scripts/gen-video.sh).
func vp8Frames(t testing.TB, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("%v (run scripts/gen-video.sh)", err)
	}
	r, _, err := ivfreader.NewWith(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for {
		f, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
	}
}

// keyFrameIndexes returns the indexes of the key frames.
func keyFrameIndexes(frames [][]byte) []int {
	var k []int
	for i, f := range frames {
		if len(f) > 0 && f[0]&1 == 0 {
			k = append(k, i)
		}
	}
	return k
}

// vp8Stream packetizes frames as a WebRTC sender would (RFC 7741 payload
// descriptor with a picture ID, marker on each frame's last packet, 15 fps
// timestamps). first[i] is the index of frame i's first packet.
func vp8Stream(frames [][]byte, mtu uint16, seq0 uint16, ts0 uint32) (pkts []*rtp.Packet, first []int) {
	pay := &codecs.VP8Payloader{EnablePictureID: true}
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
					Timestamp:      ts0 + uint32(i)*vp8ClockRate/15,
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

// advance moves the fake clock forward.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// plis counts RequestKeyFrame calls.
type plis struct{ n int }

func (p *plis) request() error { p.n++; return nil }

func newVideoReceiver(t testing.TB, opt VideoReceiverOptions) *VideoReceiver {
	t.Helper()
	v, err := NewVideoReceiver(opt)
	if err != nil {
		t.Fatal(err)
	}
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
