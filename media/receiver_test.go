package media

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// opusStream encodes n 20 ms packets of a tone at 48 kHz, numbered from
// seq0/ts0.
func opusStream(t testing.TB, n int, seq0 uint16, ts0 uint32, fec bool) []*rtp.Packet {
	t.Helper()
	enc, err := NewOpusEncoder(48000, 1, EncoderOptions{FEC: fec, PacketLossPercent: 20})
	if err != nil {
		t.Fatal(err)
	}
	src := tone(n*960, 48000, 440, 8000)
	pkts := make([]*rtp.Packet, n)
	for i := range pkts {
		p, err := enc.Encode(src[i*960 : (i+1)*960])
		if err != nil {
			t.Fatal(err)
		}
		pkts[i] = &rtp.Packet{
			Header: rtp.Header{
				Version:        2,
				PayloadType:    111,
				SequenceNumber: seq0 + uint16(i),
				Timestamp:      ts0 + uint32(i*960),
				SSRC:           1234,
			},
			Payload: append([]byte(nil), p...),
		}
	}
	return pkts
}

func newReceiver(t testing.TB, opt AudioReceiverOptions) *AudioReceiver {
	t.Helper()
	r, err := NewAudioReceiver(opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// receive pushes pkts in the given order, flushes, and returns the frames.
func receive(t testing.TB, r *AudioReceiver, pkts []*rtp.Packet) []Frame {
	t.Helper()
	var frames []Frame
	emit := func(f Frame) { frames = append(frames, f) }
	for _, p := range pkts {
		r.Push(p, emit)
	}
	r.Flush(emit)
	return frames
}

// checkTimeline asserts frames are FrameSamples long and exactly 20 ms apart
// from start.
func checkTimeline(t *testing.T, frames []Frame, start time.Duration) {
	t.Helper()
	for i, f := range frames {
		if len(f.PCM) != FrameSamples {
			t.Fatalf("frame %d: %d samples", i, len(f.PCM))
		}
		if want := start + time.Duration(i)*FrameDuration; f.At != want {
			t.Fatalf("frame %d: At %v, want %v", i, f.At, want)
		}
	}
}

func pcmOf(frames []Frame) []int16 {
	var out []int16
	for _, f := range frames {
		out = append(out, f.PCM...)
	}
	return out
}

func TestAudioReceiverInOrder(t *testing.T) {
	pkts := opusStream(t, 50, 100, 5000, false)
	r := newReceiver(t, AudioReceiverOptions{})
	frames := receive(t, r, pkts)
	if len(frames) != 50 {
		t.Fatalf("%d frames, want 50", len(frames))
	}
	checkTimeline(t, frames, 0)
	for i, f := range frames {
		if f.Concealed {
			t.Errorf("frame %d concealed", i)
		}
	}
	// The decoded, resampled tone is there (skip the codec's start-up).
	if f := dominantFreq(pcmOf(frames)[3200:], 16000, 100, 2000); f < 437 || f > 443 {
		t.Errorf("tone at %.0f Hz, want 440", f)
	}
	if st := r.Stats(); st != (ReceiverStats{Packets: 50}) {
		t.Errorf("stats %+v", st)
	}
}

func TestAudioReceiverFramesOwned(t *testing.T) {
	pkts := opusStream(t, 20, 0, 0, false)
	frames := receive(t, newReceiver(t, AudioReceiverOptions{}), pkts)
	for i := range frames {
		frames[i].PCM[0] = 12345
		if cap(frames[i].PCM) != FrameSamples {
			t.Fatalf("frame %d: cap %d exposes shared memory", i, cap(frames[i].PCM))
		}
	}
	for i := range frames {
		if frames[i].PCM[0] != 12345 {
			t.Fatalf("frame %d was overwritten through another frame", i)
		}
	}
}

func TestAudioReceiverReorder(t *testing.T) {
	pkts := opusStream(t, 40, 1000, 0, false)
	want := pcmOf(receive(t, newReceiver(t, AudioReceiverOptions{}), pkts))

	shuffled := slices.Clone(pkts)
	for i := 2; i+3 < len(shuffled); i += 5 {
		// within the window of 3: i+3 arrives before i, i+1, i+2
		shuffled[i], shuffled[i+3] = shuffled[i+3], shuffled[i]
		shuffled[i+1], shuffled[i+2] = shuffled[i+2], shuffled[i+1]
	}
	r := newReceiver(t, AudioReceiverOptions{})
	frames := receive(t, r, shuffled)
	checkTimeline(t, frames, 0)
	if !slices.Equal(pcmOf(frames), want) {
		t.Error("reordered stream decodes differently from the in-order stream")
	}
	if st := r.Stats(); st.Lost != 0 || st.Late != 0 || st.Concealed != 0 {
		t.Errorf("stats %+v, want no loss", st)
	}
}

func TestAudioReceiverLossConcealed(t *testing.T) {
	for _, fec := range []bool{false, true} {
		pkts := opusStream(t, 40, 7, 100, fec)
		lossy := slices.Delete(slices.Clone(pkts), 20, 21) // lose packet 20
		lossy = slices.Delete(lossy, 29, 31)               // and 30, 31
		r := newReceiver(t, AudioReceiverOptions{})
		frames := receive(t, r, lossy)
		if len(frames) != 40 {
			t.Fatalf("fec=%v: %d frames, want 40 (gaps concealed)", fec, len(frames))
		}
		checkTimeline(t, frames, 0)
		var concealed []int
		for i, f := range frames {
			if f.Concealed {
				concealed = append(concealed, i)
			}
		}
		// Packet k's audio lands in frame k (and the resampler's look-ahead
		// reaches a few samples into frame k-1).
		for _, k := range []int{20, 30, 31} {
			if !slices.Contains(concealed, k) {
				t.Errorf("fec=%v: frame %d not marked concealed (concealed: %v)", fec, k, concealed)
			}
		}
		if len(concealed) > 6 {
			t.Errorf("fec=%v: %d frames marked concealed: %v", fec, len(concealed), concealed)
		}
		if st := r.Stats(); st.Lost != 3 || st.Concealed != 3 || st.Packets != 37 {
			t.Errorf("fec=%v: stats %+v, want Lost 3, Concealed 3, Packets 37", fec, st)
		}
		// The concealed frames are not silent holes.
		if e := rms(frames[20].PCM); e < 500 {
			t.Errorf("fec=%v: concealed frame rms %.0f", fec, e)
		}
	}
}

func TestAudioReceiverLongGapSkipsForward(t *testing.T) {
	pkts := opusStream(t, 60, 0, 0, false)
	lossy := slices.Delete(slices.Clone(pkts), 20, 50) // 30 lost (600 ms)
	r := newReceiver(t, AudioReceiverOptions{MaxConceal: 10})
	frames := receive(t, r, lossy)
	// 20 received + 10 concealed, skip 20, then 10 received.
	if len(frames) != 40 {
		t.Fatalf("%d frames, want 40", len(frames))
	}
	checkTimeline(t, frames[:30], 0)
	checkTimeline(t, frames[30:], 50*FrameDuration)
	if st := r.Stats(); st.Lost != 30 || st.Concealed != 10 {
		t.Errorf("stats %+v, want Lost 30, Concealed 10", st)
	}
}

func TestAudioReceiverDuplicatesAndLate(t *testing.T) {
	pkts := opusStream(t, 30, 500, 0, false)
	want := pcmOf(receive(t, newReceiver(t, AudioReceiverOptions{}), pkts))

	var order []*rtp.Packet
	for i, p := range pkts {
		switch i {
		case 10:
			continue // arrives too late, below
		case 20:
			order = append(order, p, p) // immediate duplicate (decoded already)
		case 21:
			order = append(order, pkts[5]) // old duplicate
			order = append(order, p)
		case 22:
			order = append(order, pkts[23], p) // 23 held, then 22
		case 23:
			order = append(order, p) // duplicate of a held packet
		case 16:
			order = append(order, p, pkts[10]) // 10 is 6 behind: too late
		default:
			order = append(order, p)
		}
	}
	r := newReceiver(t, AudioReceiverOptions{ReorderWindow: 3})
	frames := receive(t, r, order)
	if len(frames) != 30 {
		t.Fatalf("%d frames, want 30", len(frames))
	}
	checkTimeline(t, frames, 0)
	st := r.Stats()
	if st.Duplicates != 3 || st.Late != 1 || st.Lost != 1 || st.Packets != uint64(len(order)) {
		t.Errorf("stats %+v, want Duplicates 3, Late 1, Lost 1, Packets %d", st, len(order))
	}
	// Everything but the neighbourhood of the lost packet is identical.
	got := pcmOf(frames)
	if !slices.Equal(got[:9*FrameSamples], want[:9*FrameSamples]) {
		t.Error("audio before the loss differs")
	}
}

func TestAudioReceiverSequenceWrap(t *testing.T) {
	ref := pcmOf(receive(t, newReceiver(t, AudioReceiverOptions{}), opusStream(t, 30, 0, 0, false)))
	pkts := opusStream(t, 30, 65520, 0xffffffff-960*10, false)
	// Reorder across the wrap too.
	pkts[14], pkts[16] = pkts[16], pkts[14]
	r := newReceiver(t, AudioReceiverOptions{})
	frames := receive(t, r, pkts)
	checkTimeline(t, frames, 0)
	if !slices.Equal(pcmOf(frames), ref) {
		t.Error("stream across the sequence/timestamp wrap decodes differently")
	}
	if st := r.Stats(); st.Lost != 0 || st.Late != 0 || st.Duplicates != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestAudioReceiverSequenceRestart(t *testing.T) {
	a := opusStream(t, 30, 40000, 0, false)
	b := opusStream(t, 40, 100, 30*960, false) // sender restarted numbering
	r := newReceiver(t, AudioReceiverOptions{})
	frames := receive(t, r, append(a, b...))
	if len(frames) < 30+40-resyncAfterLate-2 {
		t.Fatalf("%d frames: receiver did not resync", len(frames))
	}
	for i := 1; i < len(frames); i++ {
		if frames[i].At <= frames[i-1].At {
			t.Fatalf("frame %d: At %v not after %v", i, frames[i].At, frames[i-1].At)
		}
	}
}

func TestAudioReceiverGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	good := opusStream(t, 40, 0, 0, false)
	r := newReceiver(t, AudioReceiverOptions{})
	var frames []Frame
	emit := func(f Frame) { frames = append(frames, f) }
	for i, p := range good {
		if i%4 == 1 {
			junk := make([]byte, rng.IntN(2000))
			for j := range junk {
				junk[j] = byte(rng.Uint32())
			}
			p = &rtp.Packet{Header: p.Header, Payload: junk}
		}
		r.Push(p, emit)
	}
	r.Push(nil, emit)
	r.Push(&rtp.Packet{}, emit)
	r.Flush(emit)
	for i := 1; i < len(frames); i++ {
		if frames[i].At < frames[i-1].At+FrameDuration {
			t.Fatalf("frame %d overlaps the previous one", i)
		}
	}
	if len(frames) < 30 {
		t.Errorf("%d frames from a stream with 1/4 garbage", len(frames))
	}
}

func TestAudioReceiverOptions(t *testing.T) {
	for _, opt := range []AudioReceiverOptions{{Channels: 3}, {ReorderWindow: -1}, {MaxConceal: -2}} {
		if _, err := NewAudioReceiver(opt); err == nil {
			t.Errorf("%+v accepted", opt)
		}
	}
	// Stereo decoding downmixes to mono.
	r := newReceiver(t, AudioReceiverOptions{Channels: 2})
	frames := receive(t, r, opusStream(t, 10, 0, 0, false))
	if len(frames) != 10 {
		t.Errorf("stereo: %d frames, want 10", len(frames))
	}
}

type sliceSource struct {
	pkts []*rtp.Packet
	err  error
}

func (s *sliceSource) ReadRTP() (*rtp.Packet, interceptor.Attributes, error) {
	if len(s.pkts) == 0 {
		return nil, nil, s.err
	}
	p := s.pkts[0]
	s.pkts = s.pkts[1:]
	return p, nil, nil
}

// blockingSource blocks in ReadRTP until SetReadDeadline is called.
type blockingSource struct{ unblock chan struct{} }

func (s *blockingSource) ReadRTP() (*rtp.Packet, interceptor.Attributes, error) {
	<-s.unblock
	return nil, nil, errors.New("i/o timeout")
}

func (s *blockingSource) SetReadDeadline(time.Time) error {
	close(s.unblock)
	return nil
}

func TestAudioReceiverRun(t *testing.T) {
	r := newReceiver(t, AudioReceiverOptions{})
	var n int
	src := &sliceSource{pkts: opusStream(t, 25, 0, 0, false), err: io.EOF}
	if err := r.Run(context.Background(), src, func(Frame) { n++ }); err != nil {
		t.Fatalf("Run on EOF: %v", err)
	}
	if n != 25 {
		t.Errorf("%d frames, want 25", n)
	}

	boom := errors.New("boom")
	err := newReceiver(t, AudioReceiverOptions{}).Run(context.Background(), &sliceSource{err: boom}, nil)
	if !errors.Is(err, boom) {
		t.Errorf("Run error %v, want wrapped boom", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- newReceiver(t, AudioReceiverOptions{}).Run(ctx, &blockingSource{unblock: make(chan struct{})}, nil)
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel: %v, want context.Canceled", err)
	}
}

func FuzzAudioReceiverPush(f *testing.F) {
	good := opusStream(f, 6, 0, 0, true)
	f.Add(good[3].Payload, uint16(3), uint32(3*960))
	f.Add([]byte{}, uint16(65535), uint32(0))
	f.Add([]byte{0x03, 0xff, 0x00}, uint16(2), uint32(1<<31))
	f.Add([]byte{0xfc, 0xff, 0xfe}, uint16(40000), uint32(123))
	f.Fuzz(func(t *testing.T, payload []byte, seq uint16, ts uint32) {
		r, err := NewAudioReceiver(AudioReceiverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var last time.Duration = -1
		emit := func(fr Frame) {
			if len(fr.PCM) != FrameSamples {
				t.Fatalf("frame of %d samples", len(fr.PCM))
			}
			if fr.At <= last {
				t.Fatalf("At %v not after %v", fr.At, last)
			}
			last = fr.At
		}
		for i, p := range good {
			if i == 3 {
				r.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts}, Payload: payload}, emit)
			}
			r.Push(p, emit)
		}
		r.Flush(emit)
	})
}

func BenchmarkAudioReceiverPush(b *testing.B) {
	pkts := opusStream(b, 50, 0, 0, false)
	r := newReceiver(b, AudioReceiverOptions{})
	emit := func(Frame) {}
	pkt := &rtp.Packet{}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		src := pkts[i%len(pkts)]
		pkt.Header = src.Header
		pkt.SequenceNumber = uint16(i)
		pkt.Timestamp = uint32(i * 960)
		pkt.Payload = src.Payload
		r.Push(pkt, emit)
		i++
	}
}

// TestAudioReceiverFrameWithItsPacket: each 20 ms packet received in order
// completes its own frame at once; the frame does not wait for the next
// packet (20 ms more latency on everything the caller says).
func TestAudioReceiverFrameWithItsPacket(t *testing.T) {
	pkts := opusStream(t, 10, 100, 5000, false)
	r := newReceiver(t, AudioReceiverOptions{})
	n := 0
	emit := func(Frame) { n++ }
	for i, p := range pkts {
		r.Push(p, emit)
		if n != i+1 {
			t.Fatalf("after packet %d: %d frames, want %d", i, n, i+1)
		}
	}
	r.Flush(emit)
	if n != 10 {
		t.Fatalf("after Flush: %d frames, want 10 (no padded frame for the resampler's delay)", n)
	}
}
