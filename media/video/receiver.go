package video

import (
	"context"
	"fmt"
	"github.com/duplex-ai/duplex/media"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/duplex-ai/duplex/clock"
)

const (
	// videoClockRate is the RTP clock of every video codec (RFC 7741,
	// 6184, the VP9 payload format).
	videoClockRate = 90000
	// videoMaxLate is the sample builder's window in packets: a frame not
	// complete within it (or within videoHold) is dropped.
	videoMaxLate = 512
	// videoHold: a frame still incomplete 300 ms (RTP time) after a newer
	// packet arrived is dropped; until then a NACK retransmission may
	// complete it.
	videoHold = 300 * time.Millisecond
	// videoPadRing is how many recent padding-only sequence numbers are
	// remembered to renumber packets reordered around them.
	videoPadRing = 64
)

// ReceiverOptions configures a Receiver. The zero value is usable
// (VP8, no PLIs).
type ReceiverOptions struct {
	// Codec of the track: VP8 (default), VP9 or H264
	// (packetization-mode 1: single NAL, STAP-A, FU-A).
	Codec Codec
	// Clock stamps pictures and rate-limits PLIs; default clock.Real().
	Clock clock.Clock
	// MaxAge: Snapshot returns the held picture if it is at most this old,
	// otherwise it waits for the next decoded frame; default 2 s.
	MaxAge time.Duration
	// PLIInterval is the least time between two RequestKeyFrame calls;
	// default 1 s. While a key frame is needed (at start, after loss or a
	// decode error) the request is repeated at this interval.
	PLIInterval time.Duration
	// SampleInterval: while sampling (SetSampling), a picture is made from
	// the decoded stream this often and kept in the ring; default 1 s.
	SampleInterval time.Duration
	// IdleInterval: while not sampling, a picture is made this often;
	// default 2 s; negative makes one from every decoded frame.
	IdleInterval time.Duration
	// Ring is how many timestamped pictures are kept for PictureAt and
	// PicturesBetween; default 10 (at most 12 MB at 1200×675).
	Ring int
	// DecodeNonRefWhenIdle decodes frames no other frame refers to even
	// while idle; by default they are skipped then (they cannot change a
	// later picture).
	DecodeNonRefWhenIdle bool
	// MaxWidth×MaxHeight caps the held pictures: larger frames are
	// downscaled to fit (aspect kept); default 1280×720 (set both or
	// neither).
	MaxWidth, MaxHeight int
	// MaxFrameBytes: a frame larger than this is dropped; default 2 MiB.
	MaxFrameBytes int
	// RequestKeyFrame asks the sender for a key frame; the session sends an
	// RTCP PLI for the track's SSRC. It is called without locks held from
	// Push (Run's goroutine), Refresh or Snapshot, so possibly concurrently:
	// it must be safe for concurrent use (pc.WriteRTCP is) and should not
	// block. Errors are only counted (Stats.PLIErrors).
	RequestKeyFrame func() error
	// DecodeSlots, when set, is shared by receivers: a receiver holds one
	// of its cap() slots (a send) while libavcodec decodes or converts a
	// frame, so at most that many decode at once. A goroutine in a C call
	// keeps its Go processor (P) until the runtime takes it back, so with
	// fewer slots than GOMAXPROCS the audio goroutines always have a P.
	DecodeSlots chan struct{}
}

// Stats are running counters of a Receiver.
type Stats struct {
	Codec        Codec
	Packets      uint64  // RTP packets pushed
	BadPackets   uint64  // padding-only packets (no payload): left out of assembly
	Dropped      uint64  // packets the sample builder gave up on (loss, reordering beyond its window)
	Frames       uint64  // complete frames assembled
	KeyFrames    uint64  // complete key frames
	Decoded      uint64  // frames decoded into a picture of the stream
	Skipped      uint64  // frames not decoded: waiting for a key frame, too large, or non-reference while idle
	DecodeErrors uint64  // frames the decoder refused
	Pictures     uint64  // pictures made (converted and scaled) from decoded frames
	PLIs         uint64  // RequestKeyFrame calls
	PLIErrors    uint64  // RequestKeyFrame calls that returned an error
	Width        int     // encoded size of the latest decoded frame
	Height       int     //
	FPS          float64 // frame rate over the last second or more of RTP time
}

// Receiver decodes every frame of one RTP video track (VP8, VP9 or
// H.264) with libavcodec and keeps the latest picture, scaled to
// MaxWidth×MaxHeight, plus a ring of timestamped ones. Decoding every frame
// keeps the decoder's references current, so a picture is at most one
// frame away without a PLI; pictures (the costly conversion) are made only
// as often as asked: every SampleInterval while sampling, every
// IdleInterval otherwise, and at once for Refresh and Snapshot. A key frame
// is requested (PLI) only at start and after loss or a decode error. It
// starts no goroutine.
//
// Push and Run must be called from one goroutine; every other method from
// any. Close (or Run's return) frees the decoder.
type Receiver struct {
	opt ReceiverOptions

	// Push's goroutine only (and Close, under decMu)
	decMu    sync.Mutex
	dec      *Decoder
	sb       *samplebuilder.SampleBuilder
	awaitKey bool // decoder has no valid reference: frames wait for a key frame
	skipping bool // decoder set to skip non-reference frames
	fpsStart uint32
	fpsN     int
	fpsOK    bool
	// Padding-only packets (bandwidth probes) are left out and the
	// sequence numbers after them shifted down, so the sample builder does
	// not take them for loss.
	pads  [videoPadRing]uint16
	nPads uint16 // total padding packets seen (mod 2^16, like sequence numbers)
	held  int    // entries of pads in use

	mu         sync.Mutex
	img        *media.Snapshot
	ring       []*media.Snapshot // circular, oldest at ringAt when full
	ringAt     int
	want       bool // a picture is wanted from the next decoded frame
	needKey    bool // a key frame is needed: PLIs continue until one decodes
	sampling   bool
	havePLI    bool
	lastPLI    time.Time
	lastPic    time.Time
	started    bool
	ended      bool
	lastPacket time.Time
	changed    chan struct{} // closed (and replaced) on a new picture or the end
	stats      Stats
}

// NewReceiver returns a receiver with its decoder; see
// ReceiverOptions for defaults. Close it (or let Run return).
func NewReceiver(opt ReceiverOptions) (*Receiver, error) {
	if opt.Clock == nil {
		opt.Clock = clock.Real()
	}
	if opt.MaxAge == 0 {
		opt.MaxAge = 2 * time.Second
	}
	if opt.PLIInterval == 0 {
		opt.PLIInterval = time.Second
	}
	if opt.SampleInterval == 0 {
		opt.SampleInterval = time.Second
	}
	if opt.IdleInterval == 0 {
		opt.IdleInterval = 2 * time.Second
	}
	if opt.Ring == 0 {
		opt.Ring = 10
	}
	if opt.MaxWidth == 0 && opt.MaxHeight == 0 {
		opt.MaxWidth, opt.MaxHeight = 1280, 720
	}
	if opt.MaxFrameBytes == 0 {
		opt.MaxFrameBytes = 2 << 20
	}
	switch {
	case opt.MaxAge < 0:
		return nil, fmt.Errorf("%w: MaxAge %v", media.ErrInvalidOption, opt.MaxAge)
	case opt.PLIInterval < 0:
		return nil, fmt.Errorf("%w: PLIInterval %v", media.ErrInvalidOption, opt.PLIInterval)
	case opt.SampleInterval < 0:
		return nil, fmt.Errorf("%w: SampleInterval %v", media.ErrInvalidOption, opt.SampleInterval)
	case opt.Ring < 1 || opt.Ring > 256:
		return nil, fmt.Errorf("%w: Ring %d (want 1..256)", media.ErrInvalidOption, opt.Ring)
	case opt.MaxWidth < 16 || opt.MaxHeight < 16:
		return nil, fmt.Errorf("%w: MaxWidth×MaxHeight %dx%d (want both >= 16)", media.ErrInvalidOption, opt.MaxWidth, opt.MaxHeight)
	case opt.MaxFrameBytes < 1024 || opt.MaxFrameBytes > 64<<20:
		return nil, fmt.Errorf("%w: MaxFrameBytes %d (want 1 KiB..64 MiB)", media.ErrInvalidOption, opt.MaxFrameBytes)
	}
	var dep rtp.Depacketizer
	switch opt.Codec {
	case VP8:
		dep = &codecs.VP8Packet{}
	case VP9:
		dep = &codecs.VP9Packet{}
	case H264:
		dep = &codecs.H264Packet{}
	default:
		return nil, fmt.Errorf("%w: %v", ErrCodec, opt.Codec)
	}
	dec, err := NewDecoder(opt.Codec)
	if err != nil {
		return nil, err
	}
	v := &Receiver{
		opt:      opt,
		dec:      dec,
		awaitKey: true,
		ring:     make([]*media.Snapshot, 0, opt.Ring),
		changed:  make(chan struct{}),
	}
	v.stats.Codec = opt.Codec
	v.sb = samplebuilder.New(videoMaxLate, dep, videoClockRate, samplebuilder.WithMaxTimeDelay(videoHold))
	return v, nil
}

// Push adds one RTP packet of the track. Its payload is kept until its
// frame is complete: the caller must not reuse it (pion's ReadRTP returns
// a new packet each time). Each complete frame is
// decoded on this goroutine (about 0.4–1.5 ms at 720p, by codec), and a
// picture made when one is due.
func (v *Receiver) Push(pkt *rtp.Packet) {
	if pkt == nil {
		return
	}
	now := v.opt.Clock.Now()
	v.mu.Lock()
	v.started = true
	v.ended = false
	v.lastPacket = now
	v.stats.Packets++
	bad := len(pkt.Payload) == 0
	if bad {
		v.stats.BadPackets++
	}
	v.mu.Unlock()
	v.decMu.Lock()
	if bad {
		v.pads[int(v.nPads)%videoPadRing] = pkt.SequenceNumber
		v.nPads++
		v.held = min(v.held+1, videoPadRing)
	} else if v.dec != nil {
		q := *pkt
		q.SequenceNumber -= v.padShift(pkt.SequenceNumber)
		v.sb.Push(&q)
		for s := v.sb.Pop(); s != nil; s = v.sb.Pop() {
			v.onFrame(s.Data, s.PacketTimestamp, s.PrevDroppedPackets, now)
		}
	}
	v.decMu.Unlock()
	v.mu.Lock()
	send := v.pliDueLocked(now)
	v.mu.Unlock()
	if send {
		v.sendPLI()
	}
}

// padShift is how many padding packets came before seq in sequence order.
func (v *Receiver) padShift(seq uint16) uint16 {
	shift := v.nPads
	for i := range v.held {
		if int16(v.pads[i]-seq) > 0 {
			shift-- // a padding packet after seq (seq arrived late)
		}
	}
	return shift
}

// Run reads packets from src and pushes them until src fails or ctx is
// cancelled, like AudioReceiver.Run: nil on io.EOF or a closed connection,
// ctx.Err() on cancellation, other read errors wrapped. When it returns
// the stream is marked ended (waiting Snapshots return media.ErrNoVideo) and the
// decoder freed; pictures already made stay available.
func (v *Receiver) Run(ctx context.Context, src media.RTPSource) error {
	defer v.Close()
	_, err := media.ReadRTP(ctx, src, v.Push)
	return err
}

// Close ends the stream and frees the decoder; safe to call twice and from
// any goroutine. Pictures already made stay available.
func (v *Receiver) Close() {
	v.decMu.Lock()
	if v.dec != nil {
		v.dec.Close()
		v.dec = nil
	}
	v.decMu.Unlock()
	v.end()
}

// Refresh asks for a picture from the next decoded frame (and, if the
// decoder has no valid reference, a key frame). Call it when a fresh view
// will be needed soon, e.g. when the user starts speaking.
func (v *Receiver) Refresh() {
	v.mu.Lock()
	v.want = true
	send := v.pliDueLocked(v.opt.Clock.Now())
	v.mu.Unlock()
	if send {
		v.sendPLI()
	}
}

// SetSampling turns sampling on (a picture every SampleInterval into the
// ring, non-reference frames decoded) or off (every IdleInterval). The
// engine turns it on while the user speaks.
func (v *Receiver) SetSampling(on bool) {
	v.mu.Lock()
	v.sampling = on
	v.mu.Unlock()
}

// Snapshot returns the held picture if it is at most MaxAge old. Otherwise
// it asks for a picture from the next decoded frame (as Refresh) and waits
// for it or ctx. It returns media.ErrNoVideo at once, without waiting, if no
// packet ever arrived, the stream ended, or no packet arrived for MaxAge;
// and ctx's error (wrapped) if ctx ends first — Latest then still gives
// the stale picture, if any.
func (v *Receiver) Snapshot(ctx context.Context) (*media.Snapshot, error) {
	v.mu.Lock()
	now := v.opt.Clock.Now()
	if v.img != nil && now.Sub(v.img.Captured) <= v.opt.MaxAge {
		img := v.img
		v.mu.Unlock()
		return img, nil
	}
	if !v.started || v.ended || now.Sub(v.lastPacket) > v.opt.MaxAge {
		v.mu.Unlock()
		return nil, media.ErrNoVideo
	}
	var id uint64
	if v.img != nil {
		id = v.img.ID
	}
	v.want = true
	send := v.pliDueLocked(now)
	ch := v.changed
	v.mu.Unlock()
	if send {
		v.sendPLI()
	}
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("media: waiting for a video frame: %w", ctx.Err())
		case <-ch:
		}
		v.mu.Lock()
		img, ended := v.img, v.ended
		ch = v.changed
		v.mu.Unlock()
		if img != nil && img.ID > id {
			return img, nil
		}
		if ended {
			return nil, media.ErrNoVideo
		}
	}
}

// Latest returns the last picture whatever its age, nil if none.
func (v *Receiver) Latest() *media.Snapshot {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.img
}

// Stats returns the counters; safe from any goroutine.
func (v *Receiver) Stats() Stats {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stats
}

// onFrame decodes one complete frame (Push's goroutine, decMu held).
func (v *Receiver) onFrame(data []byte, ts uint32, dropped uint16, now time.Time) {
	key := IsKeyFrame(v.opt.Codec, data)
	v.countFPS(ts)
	v.mu.Lock()
	v.stats.Frames++
	v.stats.Dropped += uint64(dropped)
	if key {
		v.stats.KeyFrames++
	}
	if dropped > 0 && !key {
		// Lost packets: later frames may refer to what was lost.
		v.awaitKey = true
	}
	if len(data) > v.opt.MaxFrameBytes {
		v.awaitKey = true // later frames may refer to this one
		v.stats.Skipped++
		v.needKey = true
		v.mu.Unlock()
		return
	}
	if v.awaitKey && !key {
		v.stats.Skipped++
		v.needKey = true
		v.mu.Unlock()
		return
	}
	active := v.sampling || v.want || v.img == nil
	v.mu.Unlock()

	if skip := !active && !v.opt.DecodeNonRefWhenIdle; skip != v.skipping {
		v.dec.SetSkipNonRef(skip)
		v.skipping = skip
	}
	recovered := v.awaitKey // first frame after start, loss or an error
	v.takeSlot()
	got, err := v.dec.Decode(data)
	v.giveSlot()
	if err != nil {
		v.mu.Lock()
		v.stats.DecodeErrors++
		v.awaitKey, v.needKey = true, true
		v.mu.Unlock()
		return
	}
	if key {
		v.awaitKey = false
	}
	v.mu.Lock()
	if !got {
		v.stats.Skipped++ // a non-reference frame skipped while idle
		v.mu.Unlock()
		return
	}
	v.stats.Decoded++
	if key {
		v.needKey = false
	}
	interval := v.opt.IdleInterval
	if v.sampling {
		interval = v.opt.SampleInterval
	}
	due := v.want || v.img == nil || recovered || interval < 0 || now.Sub(v.lastPic) >= interval
	v.mu.Unlock()
	if !due {
		return
	}

	v.takeSlot()
	img, w, h, err := v.dec.Picture(v.opt.MaxWidth, v.opt.MaxHeight)
	v.giveSlot()

	v.mu.Lock()
	defer v.mu.Unlock()
	v.stats.Width, v.stats.Height = w, h
	if err != nil {
		v.stats.DecodeErrors++
		return
	}
	id := uint64(1)
	if v.img != nil {
		id = v.img.ID + 1
	}
	v.img = &media.Snapshot{Image: img, Captured: now, Width: w, Height: h, ID: id}
	if len(v.ring) < cap(v.ring) {
		v.ring = append(v.ring, v.img)
	} else {
		v.ring[v.ringAt] = v.img
		v.ringAt = (v.ringAt + 1) % len(v.ring)
	}
	v.stats.Pictures++
	v.want = false
	v.lastPic = now
	close(v.changed)
	v.changed = make(chan struct{})
}

// takeSlot waits for one of the shared DecodeSlots, if any.
func (v *Receiver) takeSlot() {
	if v.opt.DecodeSlots != nil {
		v.opt.DecodeSlots <- struct{}{}
	}
}

func (v *Receiver) giveSlot() {
	if v.opt.DecodeSlots != nil {
		<-v.opt.DecodeSlots
	}
}

// countFPS estimates the frame rate over windows of at least one second
// of RTP time (Push's goroutine).
func (v *Receiver) countFPS(ts uint32) {
	if !v.fpsOK {
		v.fpsOK, v.fpsStart, v.fpsN = true, ts, 0
		return
	}
	d := int32(ts - v.fpsStart)
	if d <= 0 {
		return
	}
	v.fpsN++
	if d >= videoClockRate {
		fps := float64(v.fpsN) * videoClockRate / float64(d)
		v.fpsStart, v.fpsN = ts, 0
		v.mu.Lock()
		v.stats.FPS = fps
		v.mu.Unlock()
	}
}

// pliDueLocked reports whether a PLI should be sent now and, if so,
// records it. v.mu must be held.
func (v *Receiver) pliDueLocked(now time.Time) bool {
	if !v.needKey || v.opt.RequestKeyFrame == nil {
		return false
	}
	if v.havePLI && now.Sub(v.lastPLI) < v.opt.PLIInterval {
		return false
	}
	v.havePLI = true
	v.lastPLI = now
	v.stats.PLIs++
	return true
}

// sendPLI calls RequestKeyFrame without holding v.mu.
func (v *Receiver) sendPLI() {
	if err := v.opt.RequestKeyFrame(); err != nil {
		v.mu.Lock()
		v.stats.PLIErrors++
		v.mu.Unlock()
	}
}

// end marks the stream ended and wakes waiting Snapshots.
func (v *Receiver) end() {
	v.mu.Lock()
	v.ended = true
	close(v.changed)
	v.changed = make(chan struct{})
	v.mu.Unlock()
}

// IsKeyFrame reports whether a complete frame is a key frame (one that
// refers to no other).
func IsKeyFrame(c Codec, b []byte) bool {
	switch c {
	case VP8:
		return len(b) >= 10 && b[0]&1 == 0 // RFC 6386 9.1: frame tag bit 0
	case VP9:
		return vp9IsKey(b)
	case H264:
		return H264IsKey(b)
	}
	return false
}

// vp9IsKey reads the start of a VP9 uncompressed header: frame_marker,
// profile, show_existing_frame, frame_type (0 = key frame).
func vp9IsKey(b []byte) bool {
	if len(b) < 1 || b[0]>>6 != 2 {
		return false
	}
	bit := 2
	profile := int(b[0]>>5&1) | int(b[0]>>4&1)<<1
	bit += 2
	if profile == 3 {
		bit++ // reserved_zero
	}
	if b[0]>>(7-bit)&1 == 1 {
		return false // show_existing_frame
	}
	bit++
	if bit > 7 {
		return len(b) > 1 && b[1]&0x80 == 0
	}
	return b[0]>>(7-bit)&1 == 0
}
