package media

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// Sequence and timestamp steps of FuzzAudioReceiverStream records: mostly
// in order, with losses, duplicates, reordering, late packets and sender
// restarts; timestamps regular, short, long, stalled, backwards or jumping,
// or (in the seq-locked mode) 960 per sequence number with jitter.
var (
	fuzzSeqSteps = [8]int64{1, 1, 2, 0, -1, 4, 1000, -3000}
	fuzzTSSteps  = [8]int64{960, 960, 960, 480, 1920, 0, -960, 2880}
	fuzzTSJitter = [8]int64{0, 0, 0, -480, 480, -960, 960, 120}
)

// fuzzMaxLockedGap bounds the timestamp gap between two packets decoded one
// after the other in the seq-locked mode, with sequence steps of at most 2
// and no empty payload: each packet with a new highest sequence number is
// decoded, so decoded sequence numbers are at most 2 apart, and the jitter
// spans 1920.
const fuzzMaxLockedGap = 2*opusFrameSamples + 1920

// encodeAudioFuzzRecords encodes packets in the record format of
// FuzzAudioReceiverStream: sequence +1 and timestamp +960 each.
func encodeAudioFuzzRecords(cfg byte, pkts []*rtp.Packet) []byte {
	out := []byte{cfg}
	for _, p := range pkts {
		out = append(out, 0, byte(len(p.Payload)))
		out = append(out, p.Payload...)
	}
	return out
}

// FuzzAudioReceiverStream drives an AudioReceiver with a packet stream
// built from the fuzz input — a configuration byte, then records of a
// control byte, a length and that many bytes — through Push, the per-packet
// step Run performs for each packet of a live track. The configuration
// picks channels, reorder window, MaxConceal and the timestamp mode; the
// control byte the sequence and timestamp steps, whether the bytes are an
// Opus payload or a whole RTP packet to unmarshal (as pion does for a
// track), and whether to Flush after it. Properties: no panic; every frame
// has FrameSamples samples and its own backing array; media time moves
// forward by at least one frame per frame; and when no timestamp gap can
// exceed what the receiver conceals (so nothing is skipped forward), the
// timeline has no gaps at all: frame k is at k·20 ms.
func FuzzAudioReceiverStream(f *testing.F) {
	good := opusStream(f, 12, 65530, 4000000000, true)
	f.Add(encodeAudioFuzzRecords(0, good))
	f.Add(encodeAudioFuzzRecords(0x0f, good))
	f.Add(encodeAudioFuzzRecords(0x60, good))
	lossy := encodeAudioFuzzRecords(0x01, good)
	f.Add(append(lossy, 0x03, 3, 0xfc, 0xff, 0xfe, 0x87, 0, 0x3d, 0, 0x80, 0))
	raw, err := good[0].Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(append([]byte{0x02, 0x40, byte(len(raw))}, raw...))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		cfg := data[0]
		data = data[1:]
		opt := AudioReceiverOptions{
			Channels:      1 + int(cfg&1),
			ReorderWindow: 1 + int(cfg>>1&7),
			MaxConceal:    [4]int{1, 3, 10, 50}[cfg>>4&3],
		}
		locked := cfg&0x40 != 0
		r, err := NewAudioReceiver(opt)
		if err != nil {
			t.Fatal(err)
		}
		maxConceal := int64(opt.MaxConceal * opusFrameSamples)

		var frames []Frame
		emit := func(fr Frame) { frames = append(frames, fr) }
		seq := int64(cfg) * 257 // unwrapped
		ts0 := int64(binary.LittleEndian.Uint32([]byte{cfg, cfg ^ 0x5a, cfg, 0xf0}))
		ts := ts0
		minTS, maxTS := ts, ts
		var rawPushed, bigStep, empty bool
		pushed := 0
		pkt := &rtp.Packet{}
		for len(data) >= 2 {
			ctl, n := data[0], min(int(data[1]), len(data)-2)
			body := data[2 : 2+n]
			data = data[2+n:]
			if ctl&0x40 != 0 {
				var p rtp.Packet
				if p.Unmarshal(body) != nil {
					continue
				}
				rawPushed = true
				r.Push(&p, emit)
			} else {
				step := fuzzSeqSteps[ctl&7]
				seq += step
				bigStep = bigStep || step > 2 || step < -1
				empty = empty || n == 0
				if locked {
					ts = ts0 + seq*opusFrameSamples + fuzzTSJitter[ctl>>3&7]
				} else {
					ts += fuzzTSSteps[ctl>>3&7]
				}
				minTS, maxTS = min(minTS, ts), max(maxTS, ts)
				pkt.Header = rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(seq), Timestamp: uint32(ts), SSRC: 1}
				pkt.Payload = body
				r.Push(pkt, emit)
			}
			pushed++
			if ctl&0x80 != 0 {
				r.Flush(emit)
			}
		}
		r.Flush(emit)

		if st := r.Stats(); st.Packets != uint64(pushed) {
			t.Fatalf("stats count %d packets, %d pushed", st.Packets, pushed)
		}
		// A timestamp gap is measured from the end of the last decoded
		// packet (or a later timestamp). Every timestamp lies within
		// [minTS, maxTS]; in the seq-locked mode consecutive decoded packets
		// are at most fuzzMaxLockedGap apart.
		contiguous := !rawPushed && (maxTS-minTS <= maxConceal ||
			locked && !bigStep && !empty && fuzzMaxLockedGap <= maxConceal)
		for i, fr := range frames {
			if len(fr.PCM) != FrameSamples || cap(fr.PCM) != FrameSamples {
				t.Fatalf("frame %d: %d samples (cap %d)", i, len(fr.PCM), cap(fr.PCM))
			}
			if contiguous {
				if want := time.Duration(i) * FrameDuration; fr.At != want {
					t.Fatalf("frame %d at %v, want %v (no gap can be skipped)", i, fr.At, want)
				}
			} else if i > 0 && fr.At < frames[i-1].At+FrameDuration {
				t.Fatalf("frame %d at %v, previous at %v", i, fr.At, frames[i-1].At)
			}
		}
	})
}

// FuzzResampler resamples arbitrary PCM between the rates the server uses,
// fed in chunks: no panic; the output never runs ahead of the input and
// holds back at most the filter half-width; after Flush it has
// ceil(n·out/in) samples (the documented length) and equals the one-shot
// Resample.
func FuzzResampler(f *testing.F) {
	f.Add([]byte{}, uint8(0x30), uint16(1))
	f.Add(make([]byte, 1922), uint8(0x31), uint16(160))
	loud := make([]byte, 4800)
	for i := range loud {
		loud[i] = byte(i*i) | 0x80
	}
	f.Add(loud, uint8(0x03), uint16(331))
	f.Add(loud[:999], uint8(0x12), uint16(7))
	rates := [4]int{8000, 16000, 24000, 48000}
	f.Fuzz(func(t *testing.T, data []byte, sel uint8, chunk uint16) {
		in, out := rates[sel&3], rates[sel>>2&3]
		pcm := make([]int16, len(data)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
		r, err := NewResampler(in, out)
		if err != nil {
			t.Fatal(err)
		}
		step := 1 + int(chunk)%4096
		var got []int16
		for off := 0; off < len(pcm); off += step {
			got = r.Process(got, pcm[off:min(off+step, len(pcm))])
			fed := int64(min(off+step, len(pcm)))
			if ceil := (fed*int64(out) + int64(in) - 1) / int64(in); int64(len(got)) > ceil {
				t.Fatalf("%d→%d: %d outputs from %d inputs (at most %d)", in, out, len(got), fed, ceil)
			}
			if p := r.Pending(); p < 0 || p > r.HalfWidth() {
				t.Fatalf("%d→%d: %d inputs pending, half-width %d", in, out, p, r.HalfWidth())
			}
		}
		got = r.Flush(got)
		want := (len(pcm)*out + in - 1) / in
		if len(got) != want {
			t.Fatalf("%d→%d: %d samples from %d, want %d", in, out, len(got), len(pcm), want)
		}
		oneShot, err := Resample(pcm, in, out)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, oneShot) {
			t.Fatalf("%d→%d: chunked output differs from one-shot", in, out)
		}
		if r.Pending() != 0 {
			t.Fatal("Flush left input pending")
		}
	})
}
