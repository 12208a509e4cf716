package media

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/internal/dsp"
)

const (
	// playedHistory is how many utterance ids Played remembers.
	playedHistory = 256
	// compactAfter is how many consumed samples an utterance buffer keeps
	// before its remaining samples are moved to the front.
	compactAfter = OpusSampleRate
)

// Sample is one encoded frame handed to a SampleWriter.
type Sample struct {
	Data      []byte
	Timestamp time.Time
	Duration  time.Duration
	// PrevDroppedPackets is how many frame times of silence (not sent)
	// came just before this sample.
	PrevDroppedPackets uint16
}

// SampleWriter accepts encoded media samples (OpusRTPWriter). Sample.Data
// is only valid during the call.
type SampleWriter interface {
	WriteSample(s Sample) error
}

// PacedWriterOptions configures a PacedWriter. The zero value is usable.
type PacedWriterOptions struct {
	// Clock paces the writes; default clock.Real().
	Clock clock.Clock
	// Encoder configures the 48 kHz Opus encoder (default 32 kbps VoIP).
	Encoder EncoderOptions
	// Channels is the number of Opus channels sent; default 1. With 2 the
	// mono PCM is duplicated into both channels.
	Channels int
	// OnPlayout, if set, is called from the writer goroutine after each frame
	// of utterance id has been written, with the audio of id written so far;
	// done is true on its last queued frame (after EndUtterance). An ended
	// utterance without audio reports done once with played 0. It must not
	// block for long: it delays the next frame.
	OnPlayout func(id int, played time.Duration, done bool)
	// MaxIdleSkip caps Sample.PrevDroppedPackets, the number of idle 20 ms
	// ticks reported on the first write after a pause so the RTP timestamp
	// keeps up with real time; default 1500 (30 s), at most 32767 (half the
	// sequence number space, so receivers still unwrap sequence numbers).
	// pion's TrackLocalStaticSample also advances the sequence number by
	// that count (the receiver sees loss); OpusRTPWriter advances only the
	// timestamp, like Opus DTX. The server uses OpusRTPWriter.
	MaxIdleSkip int

	// tickHook is called by the writer goroutine after each tick (tests).
	tickHook func()
}

type utterance struct {
	id    int
	pcm   []int16 // 48 kHz mono
	off   int     // samples already taken
	ended bool
}

func (u *utterance) remaining() int { return len(u.pcm) - u.off }

// PacedWriter plays PCM to a SampleWriter in real time: it resamples to
// 48 kHz on Enqueue, and its goroutine encodes and writes exactly one 20 ms
// Opus frame per tick. It never bursts; ClearQueue drops the queued,
// unencoded PCM so output stops within one frame (barge-in). All methods are
// safe for concurrent use.
type PacedWriter struct {
	w       SampleWriter
	clock   clock.Clock
	ticker  clock.Ticker
	onPlay  func(int, time.Duration, bool)
	onRef   func([]int16, time.Time)
	maxIdle int
	hook    func()

	// writer goroutine only
	enc       *OpusEncoder
	mono      []int16
	frame     []int16
	idle      int
	wrote     bool
	lastWrite time.Time

	// kick asks the writer goroutine to write at once: a frame became
	// available while the writer was idle (see loop).
	kick chan struct{}

	mu            sync.Mutex
	queue         []*utterance
	cur           *utterance // utterance Enqueue appends to (nil after End/Clear)
	curRate       int
	resamplers    map[int]*Resampler
	inflight      bool
	drained       chan struct{}
	drainedClosed bool
	played        map[int]int64 // frames written per id
	playedOrder   []int
	closed        bool
	paused        bool

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// NewPacedWriter returns a writer and starts its goroutine, which owns the
// ticker and the encoder; Close stops it and waits for it.
func NewPacedWriter(w SampleWriter, opt PacedWriterOptions) (*PacedWriter, error) {
	if w == nil {
		return nil, fmt.Errorf("%w: nil SampleWriter", ErrInvalidOption)
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real()
	}
	if opt.Channels == 0 {
		opt.Channels = 1
	}
	if opt.MaxIdleSkip == 0 {
		opt.MaxIdleSkip = 1500
	}
	if opt.MaxIdleSkip < 0 || opt.MaxIdleSkip > 32767 {
		return nil, fmt.Errorf("%w: MaxIdleSkip %d (want 1..32767)", ErrInvalidOption, opt.MaxIdleSkip)
	}
	enc, err := NewOpusEncoder(OpusSampleRate, opt.Channels, opt.Encoder)
	if err != nil {
		return nil, err
	}
	p := &PacedWriter{
		w:             w,
		clock:         opt.Clock,
		onPlay:        opt.OnPlayout,
		maxIdle:       opt.MaxIdleSkip,
		hook:          opt.tickHook,
		enc:           enc,
		mono:          make([]int16, opusFrameSamples),
		frame:         make([]int16, opusFrameSamples*opt.Channels),
		resamplers:    make(map[int]*Resampler),
		drained:       make(chan struct{}),
		drainedClosed: true,
		played:        make(map[int]int64),
		stop:          make(chan struct{}),
		done:          make(chan struct{}),
		kick:          make(chan struct{}, 1),
	}
	close(p.drained)
	p.ticker = opt.Clock.NewTicker(FrameDuration)
	go p.loop()
	return p, nil
}

// Enqueue appends PCM (mono, sampleRate Hz) to utterance id. The resampler
// state carries over while id stays the same; a different id ends the
// current utterance (its last partial frame is padded and sent) and starts a
// new one behind it. PCM enqueued after ClearQueue plays: cancel the
// producer before clearing.
func (p *PacedWriter) Enqueue(id int, pcm []int16, sampleRate int) error {
	if sampleRate <= 0 || sampleRate > dsp.MaxResampleRate {
		return fmt.Errorf("%w: %d Hz", ErrInvalidSampleRate, sampleRate)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.cur == nil || p.cur.id != id {
		p.endCurrent()
		p.cur = &utterance{id: id}
		p.queue = append(p.queue, p.cur)
		p.markBusy()
	}
	if sampleRate != p.curRate {
		if err := p.switchRate(sampleRate); err != nil {
			return err
		}
	}
	if len(pcm) == 0 {
		return nil
	}
	if sampleRate == OpusSampleRate {
		p.cur.pcm = append(p.cur.pcm, pcm...)
	} else {
		p.cur.pcm = p.resamplers[sampleRate].Process(p.cur.pcm, pcm)
	}
	if !p.inflight && p.cur.off == 0 && len(p.cur.pcm) >= opusFrameSamples && p.onlyCurrentLeft() {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// onlyCurrentLeft reports whether every utterance queued before the
// current one has been played out: the writer is idle. Caller holds mu.
func (p *PacedWriter) onlyCurrentLeft() bool {
	for _, u := range p.queue {
		if u == p.cur {
			return true
		}
		if u.remaining() > 0 || !u.ended {
			return false
		}
	}
	return false
}

// EndUtterance marks utterance id complete: its last partial frame is padded
// with silence and sent. It does nothing if id is not the utterance being
// enqueued.
func (p *PacedWriter) EndUtterance(id int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil && p.cur.id == id {
		p.endCurrent()
	}
}

// ClearQueue drops everything queued (all utterances, including PCM held in
// the resampler) and returns how much audio was dropped. At most the frame
// being written at that moment still goes out.
func (p *PacedWriter) ClearQueue() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.queuedSamples()
	clear(p.queue)
	p.queue = p.queue[:0]
	p.cur = nil
	p.resetRate()
	if !p.inflight {
		p.markIdle()
	}
	return samplesToDuration(n, OpusSampleRate)
}

// WaitForPlayout blocks until the queue is empty and the last frame has been
// written (an utterance not yet ended whose last partial frame waits for
// more PCM counts as queued). It returns ctx.Err() if ctx ends first and
// ErrClosed if the writer is closed.
func (p *PacedWriter) WaitForPlayout(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	ch := p.drained
	p.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return ErrClosed
	}
}

// Played returns the audio of utterance id written to the track so far
// (frames × 20 ms). The last 256 ids are remembered.
func (p *PacedWriter) Played(id int) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Duration(p.played[id]) * FrameDuration
}

// Queued returns the audio waiting to be written.
func (p *PacedWriter) Queued() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return samplesToDuration(p.queuedSamples(), OpusSampleRate)
}

// queuedSamples is the audio waiting in the queue, at 48 kHz; p.mu held.
func (p *PacedWriter) queuedSamples() int64 {
	var n int64
	for _, u := range p.queue {
		n += int64(u.remaining())
	}
	return n
}

// Pause holds the queue: nothing is written until Resume, and nothing is
// dropped. Output stops within one frame. The dialogue engine pauses on a
// tentative interruption and resumes if it was a backchannel or noise.
func (p *PacedWriter) Pause() {
	p.mu.Lock()
	p.paused = true
	p.mu.Unlock()
}

// Resume continues writing after Pause.
func (p *PacedWriter) Resume() {
	p.mu.Lock()
	p.paused = false
	p.mu.Unlock()
}

// Paused reports whether the writer is paused.
func (p *PacedWriter) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

// SetOnPlayout replaces the OnPlayout callback (see PacedWriterOptions);
// nil removes it. The pipeline that owns a call sets it when it starts.
func (p *PacedWriter) SetOnPlayout(fn func(id int, played time.Duration, done bool)) {
	p.mu.Lock()
	p.onPlay = fn
	p.mu.Unlock()
}

// SetOnReference sets a callback run on the writer's goroutine with each
// frame sent (48 kHz mono PCM, valid only during the call) and the time it
// was written: the reference an echo suppressor compares the caller's audio
// with. Silence is not reported. nil removes it.
func (p *PacedWriter) SetOnReference(fn func(pcm []int16, at time.Time)) {
	p.mu.Lock()
	p.onRef = fn
	p.mu.Unlock()
}

// Close stops the writer goroutine and waits for it. Queued audio is
// dropped. Close is idempotent.
func (p *PacedWriter) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		close(p.stop)
		<-p.done
	})
	return nil
}

// endCurrent flushes the resampler into the current utterance and ends it.
// Caller holds mu.
func (p *PacedWriter) endCurrent() {
	if p.cur == nil {
		return
	}
	if rs := p.resamplers[p.curRate]; rs != nil {
		p.cur.pcm = rs.Flush(p.cur.pcm)
	}
	p.cur.ended = true
	p.cur = nil
	p.curRate = 0
}

// switchRate flushes the old rate's resampler into the current utterance
// and readies one for rate. Caller holds mu.
func (p *PacedWriter) switchRate(rate int) error {
	if rs := p.resamplers[p.curRate]; rs != nil {
		p.cur.pcm = rs.Flush(p.cur.pcm)
	}
	p.curRate = rate
	if rate == OpusSampleRate {
		return nil
	}
	rs := p.resamplers[rate]
	if rs == nil {
		var err error
		if rs, err = NewResampler(rate, OpusSampleRate); err != nil {
			return err
		}
		p.resamplers[rate] = rs
	}
	rs.Reset()
	return nil
}

// resetRate drops resampler state. Caller holds mu.
func (p *PacedWriter) resetRate() {
	if rs := p.resamplers[p.curRate]; rs != nil {
		rs.Reset()
	}
	p.curRate = 0
}

func (p *PacedWriter) markBusy() {
	if p.drainedClosed {
		p.drained = make(chan struct{})
		p.drainedClosed = false
	}
}

func (p *PacedWriter) markIdle() {
	if !p.drainedClosed {
		close(p.drained)
		p.drainedClosed = true
	}
}

// loop writes one frame per tick. When the first frame of an utterance
// arrives while the writer is idle and its ticker can be reset, the frame
// goes out at once and the ticker restarts from there, so a reply starts up
// to 20 ms sooner and frames stay 20 ms apart (never two within a period).
func (p *PacedWriter) loop() {
	defer close(p.done)
	defer p.ticker.Stop()
	rt, _ := p.ticker.(clock.ResettableTicker)
	for {
		select {
		case <-p.stop:
			return
		case <-p.ticker.C():
			p.tick()
			if p.hook != nil {
				p.hook()
			}
		case <-p.kick:
			if rt == nil || (p.wrote && p.clock.Now().Sub(p.lastWrite) < FrameDuration) {
				continue // the next tick is at most one period away
			}
			if p.tick() {
				rt.Reset(FrameDuration)
			}
		}
	}
}

// tick writes at most one frame and reports whether it did.
func (p *PacedWriter) tick() bool {
	var (
		have, done bool
		id         int
		emptyDone  []int // ended utterances without audio left, not yet reported
	)
	p.mu.Lock()
	onPlay, onRef := p.onPlay, p.onRef
	for len(p.queue) > 0 && !p.paused {
		u := p.queue[0]
		rem := u.remaining()
		if rem >= opusFrameSamples || (u.ended && rem > 0) {
			n := copy(p.mono, u.pcm[u.off:])
			clear(p.mono[n:])
			u.off += n
			id, have = u.id, true
			if u.ended && u.remaining() == 0 {
				done = true
				p.pop()
			} else if u.off >= compactAfter && u.off*2 >= len(u.pcm) {
				k := copy(u.pcm, u.pcm[u.off:])
				u.pcm, u.off = u.pcm[:k], 0
			}
			break
		}
		if !u.ended {
			break // wait for more PCM
		}
		if u.off == 0 {
			emptyDone = append(emptyDone, u.id)
		}
		p.pop()
	}
	p.inflight = have
	if !have && len(p.queue) == 0 {
		p.markIdle()
	}
	p.mu.Unlock()

	if onPlay != nil {
		for _, eid := range emptyDone {
			onPlay(eid, p.Played(eid), true)
		}
	}
	if !have {
		if p.wrote && p.idle < p.maxIdle {
			p.idle++
		}
		return false
	}
	played, err := p.writeFrame()
	if onRef != nil && played {
		onRef(p.mono, p.lastWrite)
	}

	p.mu.Lock()
	p.inflight = false
	if err == nil {
		p.addPlayed(id)
	}
	total := time.Duration(p.played[id]) * FrameDuration
	if len(p.queue) == 0 {
		p.markIdle()
	}
	p.mu.Unlock()
	if onPlay != nil && (played || done) {
		onPlay(id, total, done)
	}
	return played
}

// writeFrame encodes p.mono and writes it; it reports whether it was
// written.
func (p *PacedWriter) writeFrame() (bool, error) {
	pcm := p.mono
	if len(p.frame) != len(p.mono) {
		for i, s := range p.mono {
			p.frame[2*i], p.frame[2*i+1] = s, s
		}
		pcm = p.frame
	}
	data, err := p.enc.Encode(pcm)
	if err != nil {
		return false, err
	}
	err = p.w.WriteSample(Sample{
		Data:               data,
		Timestamp:          p.clock.Now(),
		Duration:           FrameDuration,
		PrevDroppedPackets: uint16(p.idle),
	})
	if err != nil {
		return false, err
	}
	p.idle = 0
	p.wrote = true
	p.lastWrite = p.clock.Now()
	return true, nil
}

// pop removes the front utterance. Caller holds mu.
func (p *PacedWriter) pop() {
	p.queue[0] = nil
	p.queue = p.queue[1:]
	if len(p.queue) == 0 {
		p.queue = p.queue[:0:0]
	}
}

// addPlayed counts one frame for id. Caller holds mu.
func (p *PacedWriter) addPlayed(id int) {
	if _, ok := p.played[id]; !ok {
		p.playedOrder = append(p.playedOrder, id)
		if len(p.playedOrder) > playedHistory {
			delete(p.played, p.playedOrder[0])
			p.playedOrder = p.playedOrder[1:]
		}
	}
	p.played[id]++
}
