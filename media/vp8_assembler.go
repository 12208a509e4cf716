package media

import (
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

const (
	// vp8ClockRate is the RTP clock of VP8 (RFC 7741).
	vp8ClockRate = 90000
	// vp8MaxPending is how many frames may be assembled at once (reordering,
	// NACK retransmissions); beyond it the oldest is dropped.
	vp8MaxPending = 8
	// vp8HoldTicks: an incomplete frame is dropped once a packet 300 ms (RTP
	// time) newer has arrived; until then a retransmission may complete it.
	vp8HoldTicks = vp8ClockRate * 3 / 10
	// vp8MaxFramePackets bounds the packets of one frame (a 4K key frame is
	// a few hundred).
	vp8MaxFramePackets = 2048
	// vp8DoneRing is how many finished (completed or dropped) frames are
	// remembered so their late packets are ignored.
	vp8DoneRing = 32
	// vp8ResyncAfterLate consecutive too-old packets make the assembler
	// assume the sender restarted its timestamps.
	vp8ResyncAfterLate = 50
	// vp8KeepBuffer: pending-frame buffers larger than this are released
	// after use instead of kept for the next frame.
	vp8KeepBuffer = 512 << 10
)

// vp8Kind is what a frame is known to be from its first packet.
type vp8Kind uint8

const (
	vp8Unknown vp8Kind = iota // first packet not received yet
	vp8Key
	vp8Inter
)

// vp8Frame is one complete frame handed out by the assembler.
type vp8Frame struct {
	TS  uint32
	Key bool
	// Data is the assembled VP8 frame for key frames (nil for inter
	// frames, whose payload is not kept); valid only during the callback.
	Data    []byte
	Packets int
	// Epoch counts timeline resyncs (sender restarts): timestamps of two
	// frames compare only within one epoch.
	Epoch uint32
}

type vp8Part struct {
	seq    uint16
	off, n int32
}

// vp8Pending is a frame being assembled.
type vp8Pending struct {
	used      bool
	broken    bool
	kind      vp8Kind
	ts        uint32
	ref       uint16 // first sequence number seen: origin for ordering parts
	haveStart bool
	startSeq  uint16
	haveEnd   bool
	endSeq    uint16
	parts     []vp8Part // sorted by int16(seq-ref)
	data      []byte    // payloads (not kept for inter frames)
}

// vp8Assembler turns RTP/VP8 packets into complete frames. A frame is the
// packets sharing one RTP timestamp, from the one with S=1, PID=0 to the
// one with the marker bit, with no sequence gap. Packets may arrive out of
// order and duplicated; a frame still incomplete when the stream is
// vp8HoldTicks past it, or that overflows a limit, is dropped. Inter frames
// are only counted: their payload is not copied once their first packet
// has shown they are not key frames. Not safe for concurrent use.
type vp8Assembler struct {
	maxBytes int

	pending    [vp8MaxPending]vp8Pending
	haveNewest bool
	newest     uint32 // newest RTP timestamp seen
	done       [vp8DoneRing]uint32
	nDone      int // entries of done in use (ring, oldest overwritten)
	doneAt     int // next slot of done to write
	lateStreak int
	epoch      uint32

	desc codecs.VP8Packet
	out  []byte // assembly buffer for key frames

	// frame-rate window (RTP time)
	fpsStart  uint32
	fpsFrames int
	fpsOK     bool
	fps       float64

	packets, bad, late, dups, frames, keyFrames, dropped uint64
}

func newVP8Assembler(maxBytes int) *vp8Assembler {
	return &vp8Assembler{maxBytes: maxBytes}
}

// push adds one packet; onFrame is called for each frame it completes and
// onDrop for each frame it gives up on (with what the frame was known to
// be). The packet is not retained.
func (a *vp8Assembler) push(pkt *rtp.Packet, onFrame func(vp8Frame), onDrop func(vp8Kind)) {
	if pkt == nil {
		return
	}
	a.packets++
	payload, err := a.desc.Unmarshal(pkt.Payload)
	if err != nil {
		a.bad++
		return
	}
	ts, seq := pkt.Timestamp, pkt.SequenceNumber
	if !a.haveNewest {
		a.haveNewest = true
		a.newest = ts
	}
	d := int32(ts - a.newest)
	if d < -vp8HoldTicks {
		a.late++
		a.lateStreak++
		if a.lateStreak < vp8ResyncAfterLate {
			return
		}
		// The sender restarted its timestamps: forget everything.
		a.resync(onDrop)
		a.haveNewest = true
		a.newest = ts
		d = 0
	}
	a.lateStreak = 0
	if a.isDone(ts) {
		a.late++
		return
	}
	if d > 0 {
		a.newest = ts
		a.expire(onDrop)
	}
	f := a.frameFor(ts, seq, onDrop)
	a.add(f, seq, payload, pkt.Marker)
	if f.broken {
		a.drop(f, onDrop)
		return
	}
	if a.complete(f) {
		a.finish(f, onFrame)
	}
}

// frameFor returns the pending frame of ts, starting one if needed.
func (a *vp8Assembler) frameFor(ts uint32, seq uint16, onDrop func(vp8Kind)) *vp8Pending {
	var free, oldest *vp8Pending
	for i := range a.pending {
		p := &a.pending[i]
		if !p.used {
			if free == nil {
				free = p
			}
			continue
		}
		if p.ts == ts {
			return p
		}
		if oldest == nil || int32(p.ts-oldest.ts) < 0 {
			oldest = p
		}
	}
	if free == nil {
		a.drop(oldest, onDrop)
		free = oldest
	}
	*free = vp8Pending{used: true, ts: ts, ref: seq, parts: free.parts[:0], data: free.data[:0]}
	return free
}

// add inserts one packet's payload into f.
func (a *vp8Assembler) add(f *vp8Pending, seq uint16, payload []byte, marker bool) {
	key := int16(seq - f.ref)
	lo, hi := 0, len(f.parts)
	if hi > 0 && int16(f.parts[hi-1].seq-f.ref) < key {
		lo = hi // in order: the common case
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if int16(f.parts[m].seq-f.ref) < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(f.parts) && f.parts[lo].seq == seq {
		a.dups++
		return
	}
	if len(f.parts) >= vp8MaxFramePackets {
		f.broken = true
		return
	}
	part := vp8Part{seq: seq}
	if a.desc.S == 1 && a.desc.PID == 0 {
		f.haveStart = true
		f.startSeq = seq
		if len(payload) > 0 {
			if payload[0]&1 == 0 {
				f.kind = vp8Key
			} else {
				f.kind = vp8Inter
				f.data = f.data[:0]
				for i := range f.parts {
					f.parts[i].off, f.parts[i].n = 0, 0
				}
			}
		}
	}
	if f.kind != vp8Inter {
		if len(f.data)+len(payload) > a.maxBytes {
			f.broken = true
			return
		}
		part.off = int32(len(f.data))
		part.n = int32(len(payload))
		f.data = append(f.data, payload...)
	}
	if marker {
		f.haveEnd = true
		f.endSeq = seq
	}
	f.parts = append(f.parts, vp8Part{})
	copy(f.parts[lo+1:], f.parts[lo:])
	f.parts[lo] = part
}

// complete reports whether f holds every packet from its start to its end.
func (a *vp8Assembler) complete(f *vp8Pending) bool {
	if !f.haveStart || !f.haveEnd {
		return false
	}
	n := len(f.parts)
	return f.parts[0].seq == f.startSeq && f.parts[n-1].seq == f.endSeq &&
		int(uint16(f.endSeq-f.startSeq))+1 == n
}

// finish hands out a complete frame and frees its slot.
func (a *vp8Assembler) finish(f *vp8Pending, onFrame func(vp8Frame)) {
	fr := vp8Frame{TS: f.ts, Packets: len(f.parts), Epoch: a.epoch}
	if f.kind != vp8Inter {
		a.out = a.out[:0]
		for _, p := range f.parts {
			a.out = append(a.out, f.data[p.off:p.off+p.n]...)
		}
		fr.Key = len(a.out) > 0 && a.out[0]&1 == 0
		if fr.Key {
			fr.Data = a.out
		}
	}
	a.frames++
	if fr.Key {
		a.keyFrames++
	}
	a.countFPS(f.ts)
	a.release(f)
	if onFrame != nil {
		onFrame(fr)
	}
	if cap(a.out) > vp8KeepBuffer {
		a.out = nil
	}
}

// drop gives up on f.
func (a *vp8Assembler) drop(f *vp8Pending, onDrop func(vp8Kind)) {
	kind := f.kind
	a.dropped++
	a.countFPS(f.ts)
	a.release(f)
	if onDrop != nil {
		onDrop(kind)
	}
}

// release frees f's slot and remembers its timestamp as done.
func (a *vp8Assembler) release(f *vp8Pending) {
	a.done[a.doneAt] = f.ts
	a.doneAt = (a.doneAt + 1) % vp8DoneRing
	a.nDone = min(a.nDone+1, vp8DoneRing)
	f.used = false
	if cap(f.data) > vp8KeepBuffer {
		f.data = nil
	}
}

func (a *vp8Assembler) isDone(ts uint32) bool {
	for i := range a.nDone {
		if a.done[i] == ts {
			return true
		}
	}
	return false
}

// expire drops pending frames the stream has moved vp8HoldTicks past.
func (a *vp8Assembler) expire(onDrop func(vp8Kind)) {
	for i := range a.pending {
		p := &a.pending[i]
		if p.used && int32(a.newest-p.ts) > vp8HoldTicks {
			a.drop(p, onDrop)
		}
	}
}

// resync drops every pending frame and forgets the timeline.
func (a *vp8Assembler) resync(onDrop func(vp8Kind)) {
	for i := range a.pending {
		if p := &a.pending[i]; p.used {
			a.drop(p, onDrop)
		}
	}
	a.nDone, a.doneAt = 0, 0
	a.lateStreak = 0
	a.epoch++
	a.fpsOK = false
}

// countFPS estimates the frame rate over windows of at least one second
// of RTP time, counting every finished frame (complete or dropped).
func (a *vp8Assembler) countFPS(ts uint32) {
	if !a.fpsOK {
		a.fpsOK = true
		a.fpsStart = ts
		a.fpsFrames = 0
		return
	}
	d := int32(ts - a.fpsStart)
	if d <= 0 {
		return // reordered or older than the window
	}
	a.fpsFrames++
	if d >= vp8ClockRate {
		a.fps = float64(a.fpsFrames) * vp8ClockRate / float64(d)
		a.fpsStart = ts
		a.fpsFrames = 0
	}
}

// vp8KeyFrameSize reads the size from a key frame's 10-byte header (RFC
// 6386 section 9.1); ok is false for an inter frame or a bad sync code.
func vp8KeyFrameSize(b []byte) (w, h int, ok bool) {
	if len(b) < 10 || b[0]&1 != 0 || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
		return 0, 0, false
	}
	w = int(b[7]&0x3f)<<8 | int(b[6])
	h = int(b[9]&0x3f)<<8 | int(b[8])
	return w, h, true
}
