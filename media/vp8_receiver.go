package media

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/duplex-ai/duplex/clock"
)

// VideoReceiverOptions configures a VideoReceiver. The zero value is usable
// (but without RequestKeyFrame a fresh picture waits for the sender's next
// periodic key frame).
type VideoReceiverOptions struct {
	// Clock stamps pictures and rate-limits PLIs; default clock.Real().
	Clock clock.Clock
	// MaxAge: Snapshot returns the held picture if it is at most this old,
	// otherwise asks for a new key frame and waits; default 2 s.
	MaxAge time.Duration
	// PLIInterval is the least time between two RequestKeyFrame calls;
	// default 1 s. While a fresh picture is wanted and none has come, the
	// request is repeated at this interval (a PLI or its key frame may be
	// lost).
	PLIInterval time.Duration
	// DecodeInterval: a key frame nobody asked for (the sender's periodic
	// ones) is decoded only if the held picture is at least this old;
	// default 500 ms; negative decodes every key frame. Requested key
	// frames (Refresh, Snapshot, no picture yet) are always decoded.
	DecodeInterval time.Duration
	// MaxWidth×MaxHeight caps the held picture: larger key frames are
	// decoded and then downscaled to fit (aspect kept); default 1280×720
	// (set both or neither).
	MaxWidth, MaxHeight int
	// MaxFrameBytes: a frame larger than this is dropped; default 2 MiB.
	MaxFrameBytes int
	// RequestKeyFrame asks the sender for a key frame; the session sends an
	// RTCP PLI for the track's SSRC. It is called without locks held from
	// Push (Run's goroutine), Refresh or Snapshot, so possibly concurrently:
	// it must be safe for concurrent use (pc.WriteRTCP is) and should not
	// block. Errors are only counted (VideoStats.PLIErrors); the request is
	// repeated after PLIInterval while a picture is still wanted.
	RequestKeyFrame func() error
}

// VideoStats are running counters of a VideoReceiver.
type VideoStats struct {
	Packets      uint64  // RTP packets pushed
	BadPackets   uint64  // packets whose VP8 payload descriptor did not parse
	Late         uint64  // packets of frames already finished or too old
	Duplicates   uint64  // packets received twice within a frame
	Frames       uint64  // complete frames assembled (key and inter)
	KeyFrames    uint64  // complete key frames
	Dropped      uint64  // incomplete frames given up on (loss, limits)
	Decoded      uint64  // key frames decoded into pictures
	Skipped      uint64  // key frames not decoded (DecodeInterval, or older than the picture)
	DecodeErrors uint64  // key frames that failed to decode
	PLIs         uint64  // RequestKeyFrame calls
	PLIErrors    uint64  // RequestKeyFrame calls that returned an error
	Width        int     // encoded size of the latest key frame
	Height       int     //
	FPS          float64 // frame rate over the last second or more of RTP time
}

// VideoReceiver keeps the latest camera picture of one RTP/VP8 track. Push
// (or Run) assembles frames from packets, skips inter frames after looking
// at one bit, and decodes key frames in pure Go (golang.org/x/image/vp8
// decodes nothing else). Snapshot returns the picture if it is fresh, or
// asks for a key frame (RequestKeyFrame: an RTCP PLI, rate-limited) and
// waits for it. It starts no goroutine.
//
// Push and Run must be called from one goroutine; Refresh, Snapshot, Latest
// and Stats from any.
type VideoReceiver struct {
	opt VideoReceiverOptions
	asm *vp8Assembler // Push's goroutine only

	// Push's goroutine only
	haveKeyTS bool
	lastKeyTS uint32 // RTP timestamp of the last decoded key frame
	keyEpoch  uint32 // its assembler epoch

	mu         sync.Mutex
	img        *Snapshot
	want       bool // a fresh picture is wanted: PLIs continue until one decodes
	havePLI    bool
	lastPLI    time.Time
	lastDecode time.Time
	started    bool
	ended      bool
	lastPacket time.Time
	changed    chan struct{} // closed (and replaced) on a new picture or the end
	stats      VideoStats
}

// NewVideoReceiver returns a receiver; see VideoReceiverOptions for
// defaults.
func NewVideoReceiver(opt VideoReceiverOptions) (*VideoReceiver, error) {
	if opt.Clock == nil {
		opt.Clock = clock.Real()
	}
	if opt.MaxAge == 0 {
		opt.MaxAge = 2 * time.Second
	}
	if opt.PLIInterval == 0 {
		opt.PLIInterval = time.Second
	}
	if opt.DecodeInterval == 0 {
		opt.DecodeInterval = 500 * time.Millisecond
	}
	if opt.MaxWidth == 0 && opt.MaxHeight == 0 {
		opt.MaxWidth, opt.MaxHeight = 1280, 720
	}
	if opt.MaxFrameBytes == 0 {
		opt.MaxFrameBytes = 2 << 20
	}
	switch {
	case opt.MaxAge < 0:
		return nil, fmt.Errorf("%w: MaxAge %v", ErrInvalidOption, opt.MaxAge)
	case opt.PLIInterval < 0:
		return nil, fmt.Errorf("%w: PLIInterval %v", ErrInvalidOption, opt.PLIInterval)
	case opt.MaxWidth < 16 || opt.MaxHeight < 16:
		return nil, fmt.Errorf("%w: MaxWidth×MaxHeight %dx%d (want both >= 16)", ErrInvalidOption, opt.MaxWidth, opt.MaxHeight)
	case opt.MaxFrameBytes < 1024 || opt.MaxFrameBytes > 64<<20:
		return nil, fmt.Errorf("%w: MaxFrameBytes %d (want 1 KiB..64 MiB)", ErrInvalidOption, opt.MaxFrameBytes)
	}
	return &VideoReceiver{
		opt:     opt,
		asm:     newVP8Assembler(opt.MaxFrameBytes),
		changed: make(chan struct{}),
	}, nil
}

// Push adds one RTP packet of the track. It assembles frames, decodes the
// key frames wanted (see DecodeInterval) and sends a PLI when one is due.
// The packet is not retained. Decoding a 720p key frame takes a few
// milliseconds on this goroutine, about once a second at most.
func (v *VideoReceiver) Push(pkt *rtp.Packet) {
	if pkt == nil {
		return
	}
	now := v.opt.Clock.Now()
	v.asm.push(pkt, func(f vp8Frame) { v.onFrame(f, now) }, v.onDrop)
	a := v.asm
	v.mu.Lock()
	v.started = true
	v.ended = false
	v.lastPacket = now
	v.stats.Packets, v.stats.BadPackets, v.stats.Late, v.stats.Duplicates = a.packets, a.bad, a.late, a.dups
	v.stats.Frames, v.stats.KeyFrames, v.stats.Dropped, v.stats.FPS = a.frames, a.keyFrames, a.dropped, a.fps
	send := v.pliDueLocked(now)
	v.mu.Unlock()
	if send {
		v.sendPLI()
	}
}

// Run reads packets from src and pushes them until src fails or ctx is
// cancelled, like AudioReceiver.Run: nil on io.EOF or a closed connection,
// ctx.Err() on cancellation, other read errors wrapped. When it returns
// the stream is marked ended: waiting Snapshots return ErrNoVideo.
func (v *VideoReceiver) Run(ctx context.Context, src RTPSource) error {
	defer v.end()
	_, err := readRTP(ctx, src, v.Push)
	return err
}

// Refresh asks for a fresh key frame: a PLI now, or as soon as PLIInterval
// allows, repeated until a key frame is decoded. Call it when a fresh view
// will be needed soon, e.g. when the user starts speaking, so the picture
// is ready when the turn ends.
func (v *VideoReceiver) Refresh() {
	v.mu.Lock()
	v.want = true
	send := v.pliDueLocked(v.opt.Clock.Now())
	v.mu.Unlock()
	if send {
		v.sendPLI()
	}
}

// Snapshot returns the held picture if it is at most MaxAge old. Otherwise
// it asks for a key frame (as Refresh) and waits for the next picture or
// ctx. It returns ErrNoVideo at once, without waiting, if no packet ever
// arrived, the stream ended, or no packet arrived for MaxAge; and ctx's
// error (wrapped) if ctx ends first — Latest then still gives the stale
// picture, if any.
func (v *VideoReceiver) Snapshot(ctx context.Context) (*Snapshot, error) {
	v.mu.Lock()
	now := v.opt.Clock.Now()
	if v.img != nil && now.Sub(v.img.Captured) <= v.opt.MaxAge {
		img := v.img
		v.mu.Unlock()
		return img, nil
	}
	if !v.started || v.ended || now.Sub(v.lastPacket) > v.opt.MaxAge {
		v.mu.Unlock()
		return nil, ErrNoVideo
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
			return nil, fmt.Errorf("media: waiting for a key frame: %w", ctx.Err())
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
			return nil, ErrNoVideo
		}
	}
}

// Latest returns the last picture whatever its age, nil if none.
func (v *VideoReceiver) Latest() *Snapshot {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.img
}

// Stats returns the counters; safe from any goroutine.
func (v *VideoReceiver) Stats() VideoStats {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stats
}

// onFrame handles one complete frame (Push's goroutine).
func (v *VideoReceiver) onFrame(f vp8Frame, now time.Time) {
	if !f.Key {
		v.mu.Lock()
		if v.img == nil {
			v.want = true // video but no picture yet: ask for a key frame
		}
		v.mu.Unlock()
		return
	}
	w, h, _ := vp8KeyFrameSize(f.Data)
	v.mu.Lock()
	v.stats.Width, v.stats.Height = w, h
	// A key frame completed after a newer one (reordering) is not shown; a
	// timestamp far behind is a sender restart, not an older frame.
	d := int32(f.TS - v.lastKeyTS)
	older := v.haveKeyTS && f.Epoch == v.keyEpoch && d <= 0 && d >= -vp8HoldTicks
	need := v.want || v.img == nil || v.opt.DecodeInterval < 0 || now.Sub(v.lastDecode) >= v.opt.DecodeInterval
	if older || !need {
		v.stats.Skipped++
		v.mu.Unlock()
		return
	}
	v.mu.Unlock()

	img, w, h, err := DecodeVP8KeyFrame(f.Data, v.opt.MaxWidth, v.opt.MaxHeight)

	v.mu.Lock()
	defer v.mu.Unlock()
	if err != nil {
		v.stats.DecodeErrors++
		if v.img == nil {
			v.want = true
		}
		return
	}
	v.haveKeyTS, v.lastKeyTS, v.keyEpoch = true, f.TS, f.Epoch
	id := uint64(1)
	if v.img != nil {
		id = v.img.ID + 1
	}
	v.img = &Snapshot{Image: img, Captured: now, Width: w, Height: h, ID: id}
	v.stats.Decoded++
	v.want = false
	v.lastDecode = now
	close(v.changed)
	v.changed = make(chan struct{})
}

// onDrop handles an incomplete frame (Push's goroutine): a lost key frame
// (or a frame of unknown kind) while there is no picture yet asks for
// another. With a picture, loss alone sends no PLI: only inter frames are
// lost otherwise, and they are never decoded.
func (v *VideoReceiver) onDrop(kind vp8Kind) {
	if kind == vp8Inter {
		return
	}
	v.mu.Lock()
	if v.img == nil {
		v.want = true
	}
	v.mu.Unlock()
}

// pliDueLocked reports whether a PLI should be sent now and, if so,
// records it. v.mu must be held.
func (v *VideoReceiver) pliDueLocked(now time.Time) bool {
	if !v.want || v.opt.RequestKeyFrame == nil {
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
func (v *VideoReceiver) sendPLI() {
	if err := v.opt.RequestKeyFrame(); err != nil {
		v.mu.Lock()
		v.stats.PLIErrors++
		v.mu.Unlock()
	}
}

// end marks the stream ended and wakes waiting Snapshots.
func (v *VideoReceiver) end() {
	v.mu.Lock()
	v.ended = true
	close(v.changed)
	v.changed = make(chan struct{})
	v.mu.Unlock()
}
