package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"

	"github.com/duplex-ai/duplex/internal/dsp"
)

const (
	// resyncAfterLate is how many consecutive too-late packets make the
	// receiver assume the sender restarted its sequence numbers.
	resyncAfterLate = 25
	// maxPayload is the largest payload copied into the reorder buffer.
	maxPayload = 1500
	// frameSlab is how many frames share one allocation.
	frameSlab = 8
)

// RTPSource yields RTP packets; *webrtc.TrackRemote satisfies it.
type RTPSource interface {
	ReadRTP() (*rtp.Packet, interceptor.Attributes, error)
}

// AudioReceiverOptions configures an AudioReceiver. The zero value is usable.
type AudioReceiverOptions struct {
	// Channels to decode; default 1 (Opus decodes a stereo stream to mono).
	// With 2 the channels are averaged to mono before resampling.
	Channels int
	// ReorderWindow is how many packets after a missing one are held while
	// waiting for it before it is declared lost; default 3 (60 ms).
	ReorderWindow int
	// MaxConceal is the longest gap, in 20 ms packets, filled with PLC/FEC;
	// default 10 (200 ms). Longer gaps are concealed for MaxConceal packets,
	// then skipped forward: fewer frames are emitted, but Frame.At still
	// reflects real media time (the RTP timestamp).
	MaxConceal int
}

// ReceiverStats are running counters of an AudioReceiver.
type ReceiverStats struct {
	Packets    uint64 // packets pushed
	Lost       uint64 // packets never received (sequence gaps) or undecodable
	Concealed  uint64 // 20 ms of audio synthesised by PLC/FEC, in frames
	Late       uint64 // packets dropped because their turn had passed
	Duplicates uint64 // packets dropped because already received
}

type heldPacket struct {
	used    bool
	seq     uint16
	ts      uint32
	payload []byte
}

// AudioReceiver turns an RTP/Opus stream into 16 kHz mono 20 ms Frames:
// it reorders packets by sequence number, drops duplicates and late packets,
// conceals losses (FEC from the next packet for the one just before it, PLC
// for earlier ones), decodes at 48 kHz, resamples to 16 kHz and cuts exact
// 20 ms frames. Push, Flush and Run must be called from one goroutine; Stats
// may be called from any.
type AudioReceiver struct {
	opt  AudioReceiverOptions
	dec  *OpusDecoder
	rs   *Resampler
	maxC int // max concealment in 48 kHz samples

	// Reorder buffer: ReorderWindow+1 slots indexed by sequence number,
	// payloads copied. In-order packets pass at once; after a hole the later
	// ones wait until it fills or ReorderWindow are held (60 ms at 20 ms
	// packets), then it is declared lost and the next packet's FEC conceals
	// it. Why not pion's jitterbuffer interceptor: media/README.md.
	started    bool
	next       uint16 // next sequence number to decode
	held       []heldPacket
	nHeld      int
	recent     uint64 // bit k: seq next-1-k was received
	lateStreak int

	// timeline (48 kHz samples of media time)
	haveTS    bool
	expTS     uint32 // RTP timestamp expected for the next packet
	segStart  int64  // media time of the segment's first sample
	segIn     int64  // 48 kHz samples fed into the resampler this segment
	segOut    int64  // 16 kHz samples emitted (as frames) this segment
	concealLo int64  // pending concealed 16 kHz range [lo, hi) in the segment
	concealHi int64

	mono []int16 // downmix scratch
	acc  []int16 // 16 kHz samples not yet emitted
	slab []int16

	packets, lost, concealed, late, dups atomic.Uint64
}

// NewAudioReceiver returns a receiver; see AudioReceiverOptions for defaults.
func NewAudioReceiver(opt AudioReceiverOptions) (*AudioReceiver, error) {
	if opt.Channels == 0 {
		opt.Channels = 1
	}
	if opt.Channels != 1 && opt.Channels != 2 {
		return nil, fmt.Errorf("%w: %d", ErrInvalidChannels, opt.Channels)
	}
	if opt.ReorderWindow == 0 {
		opt.ReorderWindow = 3
	}
	if opt.ReorderWindow < 0 || opt.ReorderWindow > 512 {
		return nil, fmt.Errorf("%w: ReorderWindow %d (want 1..512)", ErrInvalidOption, opt.ReorderWindow)
	}
	if opt.MaxConceal == 0 {
		opt.MaxConceal = 10
	}
	if opt.MaxConceal < 0 || opt.MaxConceal > 500 {
		return nil, fmt.Errorf("%w: MaxConceal %d (want 1..500)", ErrInvalidOption, opt.MaxConceal)
	}
	dec, err := NewOpusDecoder(OpusSampleRate, opt.Channels)
	if err != nil {
		return nil, err
	}
	// Delayed (by the filter's half-width, 1 ms) rather than holding it
	// back: each 20 ms packet then completes its own frame, instead of the
	// frame waiting 20 ms for the next packet's first millisecond.
	rs, err := dsp.NewDelayedResampler(OpusSampleRate, PipelineSampleRate)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSampleRate, err)
	}
	r := &AudioReceiver{
		opt:  opt,
		dec:  dec,
		rs:   rs,
		maxC: opt.MaxConceal * opusFrameSamples,
		held: make([]heldPacket, opt.ReorderWindow+1),
		mono: make([]int16, maxOpusDuration),
		acc:  make([]int16, 0, 4*maxOpusDuration/3),
	}
	for i := range r.held {
		r.held[i].payload = make([]byte, 0, maxPayload)
	}
	return r, nil
}

// Stats returns the counters; safe from any goroutine.
func (r *AudioReceiver) Stats() ReceiverStats {
	return ReceiverStats{
		Packets:    r.packets.Load(),
		Lost:       r.lost.Load(),
		Concealed:  r.concealed.Load(),
		Late:       r.late.Load(),
		Duplicates: r.dups.Load(),
	}
}

// Push adds one packet and emits every frame that became complete. The
// packet is copied; the caller may reuse it after Push returns. Payloads
// longer than 1500 bytes or that fail to decode count as lost.
func (r *AudioReceiver) Push(pkt *rtp.Packet, emit func(Frame)) {
	if pkt == nil {
		return
	}
	r.packets.Add(1)
	seq := pkt.SequenceNumber
	if !r.started {
		r.started = true
		r.next = seq
	}
	size := len(r.held)
	d := int(int16(seq - r.next))
	if d < 0 {
		if -d <= 64 && r.recent&(1<<uint(-d-1)) != 0 {
			r.dups.Add(1)
			return
		}
		r.late.Add(1)
		r.lateStreak++
		if r.lateStreak < resyncAfterLate {
			return
		}
		// The sender restarted its sequence: drain and follow the new one.
		r.releaseAll(emit)
		r.next = seq
		r.recent = 0
		d = 0
	}
	r.lateStreak = 0
	slot := &r.held[int(seq)%size]
	if d < size && slot.used && slot.seq == seq {
		r.dups.Add(1)
		return
	}
	if d >= size {
		r.releaseUntil(seq-uint16(size-1), emit)
		slot = &r.held[int(seq)%size]
	}
	slot.used = true
	slot.seq = seq
	slot.ts = pkt.Timestamp
	n := min(len(pkt.Payload), maxPayload)
	slot.payload = append(slot.payload[:0], pkt.Payload[:n]...)
	if len(pkt.Payload) > maxPayload {
		slot.payload = slot.payload[:0] // undecodable: treated as lost
	}
	r.nHeld++
	r.drain(emit)
}

// Flush decodes what the reorder buffer holds, flushes the resampler and
// emits the last partial frame padded with silence. A later Push continues
// the timeline after the padded frame; a timestamp gap is concealed or
// skipped forward as in Push.
func (r *AudioReceiver) Flush(emit func(Frame)) {
	r.releaseAll(emit)
	r.endSegment(emit)
}

// Run reads packets from src until it fails and pushes them. It returns nil
// when src reports io.EOF or a closed connection (after flushing), ctx.Err()
// when ctx is cancelled, and other read errors wrapped. ReadRTP blocks: the
// owner unblocks it by closing the track or peer connection; if src has a
// SetReadDeadline(time.Time) error method (as *webrtc.TrackRemote does),
// cancelling ctx also sets a past read deadline to unblock it.
func (r *AudioReceiver) Run(ctx context.Context, src RTPSource, emit func(Frame)) error {
	clean, err := ReadRTP(ctx, src, func(pkt *rtp.Packet) { r.Push(pkt, emit) })
	if clean {
		r.Flush(emit)
	}
	return err
}

// ReadRTP reads packets from src into push until src fails or ctx is
// cancelled: clean (with a nil error) on io.EOF or a closed connection,
// ctx.Err() on cancellation, other read errors wrapped. If src has a
// SetReadDeadline method, cancelling ctx sets a past deadline to unblock
// the read. The receivers' Run methods share it.
func ReadRTP(ctx context.Context, src RTPSource, push func(*rtp.Packet)) (clean bool, err error) {
	if dl, ok := src.(interface{ SetReadDeadline(time.Time) error }); ok {
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(fired)
			_ = dl.SetReadDeadline(time.Unix(1, 0))
		})
		defer func() {
			if !stop() {
				<-fired // join the AfterFunc goroutine
			}
		}()
	}
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		pkt, _, err := src.ReadRTP()
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return false, ctxErr
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) {
				return true, nil
			}
			return false, fmt.Errorf("media: read rtp: %w", err)
		}
		push(pkt)
	}
}

// drain decodes held packets in sequence order while the next one is here.
func (r *AudioReceiver) drain(emit func(Frame)) {
	for r.nHeld > 0 {
		slot := &r.held[int(r.next)%len(r.held)]
		if !slot.used || slot.seq != r.next {
			return
		}
		r.take(slot, emit)
	}
}

// take decodes slot (which holds r.next) and advances.
func (r *AudioReceiver) take(slot *heldPacket, emit func(Frame)) {
	slot.used = false
	r.nHeld--
	r.decode(slot.ts, slot.payload, emit)
	r.advance(true)
}

func (r *AudioReceiver) advance(received bool) {
	r.recent <<= 1
	if received {
		r.recent |= 1
	}
	r.next++
}

// releaseUntil decodes or declares lost every sequence number before target.
func (r *AudioReceiver) releaseUntil(target uint16, emit func(Frame)) {
	for r.next != target {
		if r.nHeld == 0 {
			gap := uint64(target - r.next)
			r.lost.Add(gap)
			if gap >= 64 {
				r.recent = 0
			} else {
				r.recent <<= gap
			}
			r.next = target
			return
		}
		r.releaseNext(emit)
	}
}

// releaseAll decodes every held packet, declaring the holes lost.
func (r *AudioReceiver) releaseAll(emit func(Frame)) {
	for r.nHeld > 0 {
		r.releaseNext(emit)
	}
}

// releaseNext decodes r.next if it is held, or declares it lost.
func (r *AudioReceiver) releaseNext(emit func(Frame)) {
	slot := &r.held[int(r.next)%len(r.held)]
	if slot.used && slot.seq == r.next {
		r.take(slot, emit)
		return
	}
	r.lost.Add(1)
	r.advance(false)
}

// decode conceals the gap before the packet (from its RTP timestamp),
// decodes it and feeds the resampler.
func (r *AudioReceiver) decode(ts uint32, payload []byte, emit func(Frame)) {
	if len(payload) == 0 {
		r.lost.Add(1)
		return
	}
	if !r.haveTS {
		r.haveTS = true
		r.expTS = ts
	}
	gap := int64(int32(ts - r.expTS))
	if gap > 0 {
		r.conceal(gap, payload, emit)
	}
	r.expTS = ts
	pcm, err := r.dec.Decode(payload)
	if err != nil {
		// Undecodable: the next packet's timestamp gap conceals it.
		r.lost.Add(1)
		return
	}
	n := len(pcm) / r.opt.Channels
	r.expTS = ts + uint32(n)
	r.feed(pcm, emit)
}

// conceal fills gap 48 kHz samples before the packet payload: PLC for all
// but the last packet, FEC from payload for the last one. Beyond maxC the
// rest of the gap is skipped forward.
func (r *AudioReceiver) conceal(gap int64, payload []byte, emit func(Frame)) {
	const step = OpusSampleRate / 400 // 2.5 ms
	c := min((gap+step/2)/step*step, int64(r.maxC))
	skip := gap - c
	if skip > 0 && skip < step {
		skip = 0 // rounding of an odd timestamp gap: keep the timeline
	}
	plc := c
	fec := int64(0)
	if skip == 0 && c > 0 {
		fec = min(c, opusFrameSamples)
		plc = c - fec
	}
	for plc > 0 {
		n := min(plc, maxOpusDuration)
		pcm, err := r.dec.DecodePLC(int(n))
		if err != nil {
			break
		}
		r.feedConcealed(pcm, emit)
		plc -= n
	}
	if fec > 0 {
		pcm, err := r.dec.DecodeFEC(payload, int(fec))
		if err != nil {
			pcm, err = r.dec.DecodePLC(int(fec))
		}
		if err == nil {
			r.feedConcealed(pcm, emit)
		}
	}
	if skip > 0 {
		end := r.segStart + r.segIn + skip
		r.endSegment(emit)
		r.segStart = max(r.segStart, end)
	}
}

func (r *AudioReceiver) feedConcealed(pcm []int16, emit func(Frame)) {
	n := int64(len(pcm) / r.opt.Channels)
	lo := r.segIn / 3
	hi := (r.segIn + n + 2) / 3
	if r.concealHi > r.concealLo {
		r.concealHi = hi
	} else {
		r.concealLo, r.concealHi = lo, hi
	}
	r.concealed.Add(uint64((n + opusFrameSamples - 1) / opusFrameSamples))
	r.feed(pcm, emit)
}

// feed resamples decoded 48 kHz PCM into the accumulator and emits frames.
func (r *AudioReceiver) feed(pcm []int16, emit func(Frame)) {
	if r.opt.Channels == 2 {
		n := len(pcm) / 2
		mono := r.mono[:n]
		for i := range mono {
			mono[i] = int16((int32(pcm[2*i]) + int32(pcm[2*i+1])) / 2)
		}
		pcm = mono
	}
	r.segIn += int64(len(pcm))
	r.acc = r.rs.Process(r.acc, pcm)
	r.emitFrames(emit)
}

func (r *AudioReceiver) emitFrames(emit func(Frame)) {
	off := 0
	for len(r.acc)-off >= FrameSamples {
		r.emitFrame(r.acc[off:off+FrameSamples], emit)
		off += FrameSamples
	}
	if off > 0 {
		n := copy(r.acc, r.acc[off:])
		r.acc = r.acc[:n]
	}
}

func (r *AudioReceiver) emitFrame(src []int16, emit func(Frame)) {
	if len(r.slab) < FrameSamples {
		r.slab = make([]int16, FrameSamples*frameSlab)
	}
	pcm := r.slab[:FrameSamples:FrameSamples]
	r.slab = r.slab[FrameSamples:]
	copy(pcm, src)
	lo, hi := r.segOut, r.segOut+FrameSamples
	concealed := r.concealLo < hi && r.concealHi > lo
	if r.concealHi <= hi {
		r.concealLo, r.concealHi = 0, 0
	}
	at := samplesToDuration(r.segStart+3*r.segOut, OpusSampleRate)
	r.segOut += FrameSamples
	if emit != nil {
		emit(Frame{PCM: pcm, At: at, Concealed: concealed})
	}
}

// endSegment flushes the resampler, pads and emits the partial frame, and
// starts a new segment at the end of the last emitted frame.
func (r *AudioReceiver) endSegment(emit func(Frame)) {
	r.acc = r.rs.Flush(r.acc)
	// The delayed resampler's flush also gives the delay's outputs: keep the
	// segment as long as its input.
	if want := int((r.segIn+2)/3 - r.segOut); want >= 0 && len(r.acc) > want {
		r.acc = r.acc[:want]
	}
	r.emitFrames(emit)
	if len(r.acc) > 0 {
		n := len(r.acc)
		r.acc = r.acc[:FrameSamples]
		clear(r.acc[n:])
		r.emitFrames(emit)
	}
	r.segStart += 3 * r.segOut
	r.segIn, r.segOut = 0, 0
	r.concealLo, r.concealHi = 0, 0
}
