package media

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// FuzzVP8KeyFrameDecode: no panic, no hang and no huge allocation on any
// bytes handed to the key frame decoder. DecodeVP8KeyFrame recovers from a
// panic inside golang.org/x/image/vp8; set VP8_FUZZ_PANIC=1 to fail on one
// (none found in 250k executions).
func FuzzVP8KeyFrameDecode(f *testing.F) {
	for _, name := range []string{"red-640x480.ivf", "bars-640x480.ivf", "square-640x480.ivf"} {
		key := vp8Frames(f, name)[0]
		f.Add(key)
		f.Add(key[:len(key)/2])
	}
	f.Add([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0x00, 0x10, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		if w, h, ok := vp8KeyFrameSize(data); ok && w*h > 640*480 {
			// Large sizes only cost time (~70 ms at 4096×2304): the same
			// code paths are explored faster at small sizes.
			t.Skip()
		}
		img, _, _, err := DecodeVP8KeyFrame(data, 320, 240)
		if err != nil && strings.Contains(err.Error(), "panic") && os.Getenv("VP8_FUZZ_PANIC") != "" {
			t.Fatal(err)
		}
		if err == nil {
			if b := img.Bounds(); b.Dx() > 320 || b.Dy() > 240 || b.Empty() {
				t.Fatalf("image %v", b)
			}
		}
	})
}

// FuzzVP8Receiver feeds packets built from the fuzz input — each is a
// control byte (marker, sequence step, timestamp step, descriptor bits), a
// length and a payload — into a VideoReceiver: no panic, counters
// consistent.
func FuzzVP8Receiver(f *testing.F) {
	// Seed: a real stream encoded in the input format.
	frames := vp8Frames(f, "red-640x480.ivf")
	pkts, _ := vp8Stream(frames[:3], 200, 0, 0)
	var seed []byte
	var lastTS uint32
	for i, p := range pkts {
		ctl := byte(0)
		if p.Marker {
			ctl |= 1
		}
		if i > 0 && p.Timestamp != lastTS {
			ctl |= 1 << 3 // next frame
		}
		lastTS = p.Timestamp
		ctl |= 1 << 1 // sequence +1
		seed = append(seed, ctl, byte(len(p.Payload)))
		seed = append(seed, p.Payload...)
	}
	f.Add(seed)
	f.Add([]byte{0xff, 0x01, 0x10, 0x00, 0x05, 0x90})
	f.Fuzz(func(t *testing.T, data []byte) {
		clk := newFakeClock()
		calls := 0
		v, err := NewVideoReceiver(VideoReceiverOptions{Clock: clk, MaxWidth: 320, MaxHeight: 240, DecodeInterval: -1,
			MaxFrameBytes: 64 << 10, RequestKeyFrame: func() error { calls++; return nil }})
		if err != nil {
			t.Fatal(err)
		}
		seq, ts := uint16(0), uint32(0)
		n := 0
		for len(data) >= 2 {
			ctl, l := data[0], int(data[1])
			data = data[2:]
			l = min(l, len(data))
			payload := data[:l]
			data = data[l:]
			seq += uint16(ctl>>1&3) - 1 // -1, 0, +1, +2: reorder, duplicate, in order, loss
			switch ctl >> 3 & 3 {
			case 1:
				ts += vp8ClockRate / 15
			case 2:
				ts -= vp8ClockRate / 15
			case 3:
				ts += uint32(ctl) << 16 // jumps, both ways after wrap
			}
			v.Push(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: ctl&1 != 0}, Payload: payload})
			clk.advance(time.Duration(ctl>>5) * 10 * time.Millisecond)
			n++
		}
		st := v.Stats()
		if st.Packets != uint64(n) || st.PLIs != uint64(calls) || st.KeyFrames > st.Frames || st.Decoded+st.DecodeErrors+st.Skipped > st.KeyFrames {
			t.Fatalf("stats %+v after %d packets, %d PLIs", st, n, calls)
		}
		if s := v.Latest(); s != nil {
			if b := s.Image.Bounds(); b.Dx() > 320 || b.Dy() > 240 {
				t.Fatalf("image %v", b)
			}
			if _, _, err := EncodeJPEG(s.Image, 100, 100, 50); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, _ = v.Snapshot(ctx)
	})
}
