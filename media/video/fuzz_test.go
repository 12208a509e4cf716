package video

import (
	"context"
	"errors"
	"fmt"
	"github.com/duplex-ai/duplex/media"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// FuzzVideoDecoder: any bytes, as a first frame and a second one, never
// crash the decoder; failures wrap ErrDecode or ErrFrameSize.
// Seeds (testdata/fuzz/FuzzVideoDecoder): real key and inter frames of each
// codec.
func FuzzVideoDecoder(f *testing.F) {
	for _, name := range []string{"testsrc-160x120-h264.h264", "testsrc-160x120-vp8.ivf", "testsrc-160x120-vp9.ivf"} {
		c, frames := videoFrames(f, name)
		f.Add(uint8(c), frames[0], frames[1])
	}
	f.Fuzz(func(t *testing.T, codec uint8, first, second []byte) {
		d, err := NewDecoder(Codec(codec % 3))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		for _, b := range [][]byte{first, second} {
			if _, err := d.Decode(b); err != nil && !errors.Is(err, ErrDecode) {
				t.Fatalf("decode: %v", err)
			}
			if _, _, _, err := d.Picture(64, 64); err != nil && !errors.Is(err, media.ErrNoVideo) &&
				!errors.Is(err, ErrDecode) && !errors.Is(err, ErrFrameSize) {
				t.Fatalf("picture: %v", err)
			}
		}
	})
}

// FuzzVideoReceiver feeds packets built from the fuzz input into a
// Receiver of the codec the first byte picks: each packet is a
// control byte (marker, sequence step, timestamp step, clock step), a
// length and a payload. No crash; counters consistent. Seeds: real streams
// of each codec in that format.
func FuzzVideoReceiver(f *testing.F) {
	for c, file := range codecFiles {
		_, frames := videoFrames(f, fmt.Sprintf(file, "red"))
		pkts, _ := videoStream(c, frames[:3], 200, 0, 0)
		seed := []byte{byte(c)}
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
	}
	f.Add([]byte{2, 0xff, 0x01, 0x10, 0x00, 0x05, 0x90})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		codec := Codec(data[0] % 3)
		data = data[1:]
		clk := newFakeClock()
		calls := 0
		v, err := NewReceiver(ReceiverOptions{Codec: codec, Clock: clk, MaxWidth: 320, MaxHeight: 240, IdleInterval: -1,
			MaxFrameBytes: 64 << 10, RequestKeyFrame: func() error { calls++; return nil }})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		seq, ts := uint16(0), uint32(0)
		n := 0
		for len(data) >= 2 {
			ctl, l := data[0], int(data[1])
			data = data[2:]
			l = min(l, len(data))
			payload := data[:l:l]
			data = data[l:]
			seq += uint16(ctl>>1&3) - 1 // -1, 0, +1, +2: reorder, duplicate, in order, loss
			switch ctl >> 3 & 3 {
			case 1:
				ts += videoClockRate / 15
			case 2:
				ts -= videoClockRate / 15
			case 3:
				ts += uint32(ctl) << 16 // jumps, both ways after wrap
			}
			v.Push(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: ctl&1 != 0}, Payload: payload})
			clk.Advance(time.Duration(ctl>>5) * 10 * time.Millisecond)
			n++
		}
		st := v.Stats()
		if st.Packets != uint64(n) || st.PLIs != uint64(calls) || st.KeyFrames > st.Frames || st.Decoded+st.Skipped > st.Frames {
			t.Fatalf("stats %+v after %d packets, %d PLIs", st, n, calls)
		}
		if s := v.Latest(); s != nil {
			if b := s.Image.Bounds(); b.Dx() > 320 || b.Dy() > 240 {
				t.Fatalf("image %v", b)
			}
			if _, _, err := media.EncodeJPEG(s.Image, 100, 100, 50); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, _ = v.Snapshot(ctx)
	})
}
