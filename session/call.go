package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/threadprio"
	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/media/video"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/transcript"
)

// EventsLabel is the label of the client-created data channel that carries
// the events protocol.
const EventsLabel = events.Label

// The call's media as the pipeline sees it.
var (
	_ pipeline.AudioOut    = (*media.PacedWriter)(nil)
	_ pipeline.VideoSource = (*video.Receiver)(nil)
)

// wire is the call's client protocol: the data channel and its codec.
type wire struct {
	dc    *webrtc.DataChannel
	proto pipeline.Protocol
	seq   uint64 // order of creation: a newer channel replaces an older one
}

// Call is one live WebRTC call. Its supervisor goroutine, owned by the
// Manager, tears it down exactly once; every other goroutine of the call
// is started through goRun and joined during teardown.
type Call struct {
	id       string
	secret   string
	clientIP string
	m        *Manager
	log      zerolog.Logger
	// protocols maps data channel labels to the codecs this call accepts.
	protocols map[string]func() pipeline.Protocol
	tlog      *transcript.Log

	ctx    context.Context
	cancel context.CancelFunc
	// pctx is the pipeline's context: teardown ends it first, with the
	// close reason as its cause (pipeline.Ended), and waits for pdone.
	pctx    context.Context
	pcancel context.CancelCauseFunc
	pdone   chan struct{}
	// estop ends the events writer once the pipeline has returned, after
	// it has sent what is queued; edone follows.
	estop chan struct{}
	edone chan struct{}

	pc  *webrtc.PeerConnection
	out *media.PacedWriter
	// pout is out as the pipeline sees it; set with out.
	pout atomic.Pointer[callerOut]
	// track is the assistant's audio; a resumed call's new peer
	// connection sends the same track.
	track *webrtc.TrackLocalStaticRTP
	// rewired signals writeEvents that a resumed call's channel opened.
	rewired chan struct{}
	// resumeKey is the call's current resume credential (resume.go).
	resumeKey string

	frames   chan media.Frame
	commands chan pipeline.Command
	outbox   chan pipeline.Event
	// tqueue feeds the transcript writer; tstop ends it once the pipeline
	// has returned, after it has written what is queued.
	tqueue chan pipeline.Event
	tstop  chan struct{}
	tdone  chan struct{}

	closeReq   chan CloseReason
	done       chan struct{}
	connected  chan struct{}
	connOnce   sync.Once
	dcOpen     chan struct{}
	dcOnce     sync.Once
	wire       atomic.Pointer[wire]
	wireSeq    atomic.Uint64
	video      atomic.Pointer[video.Receiver]
	mu         sync.Mutex // guards closing and wg.Add
	closing    bool
	running    bool // the pipeline and the events writer were started
	wg         sync.WaitGroup
	reason     CloseReason
	created    time.Time
	lostFrames atomic.Uint64
	lostEvents atomic.Uint64
	// lostCommands counts client messages dropped by the rate limit.
	lostCommands atomic.Uint64

	// busy: the pipeline's last state was thinking or speaking.
	busy atomic.Bool
	// lastActive is when the caller last spoke or sent a command, in
	// nanoseconds since created (monotonic).
	lastActive atomic.Int64
	cmdMu      sync.Mutex
	cmdRate    *rate.Limiter
	cmdWarn    time.Time

	// restartMu serialises ICE restarts and resumes (restart.go, resume.go).
	restartMu sync.Mutex
	link      linkState
	states    peerStates
	// endingSent: session.ending has been handed to the client's channel.
	endingSent atomic.Bool
}

func newCall(m *Manager, id, secret, clientIP string) *Call {
	ctx, cancel := context.WithCancel(context.Background())
	pctx, pcancel := context.WithCancelCause(ctx)
	return &Call{
		id:        id,
		secret:    secret,
		clientIP:  clientIP,
		cmdRate:   rate.NewLimiter(rate.Limit(m.cfg.CommandRate), m.cfg.CommandBurst),
		m:         m,
		protocols: m.cfg.Protocols,
		log:       m.cfg.Log.With().Str("call_id", id).Logger(),
		ctx:       ctx,
		cancel:    cancel,
		pctx:      pctx,
		pcancel:   pcancel,
		pdone:     make(chan struct{}),
		estop:     make(chan struct{}),
		edone:     make(chan struct{}),
		frames:    make(chan media.Frame, m.cfg.FrameQueue),
		commands:  make(chan pipeline.Command, 32),
		outbox:    make(chan pipeline.Event, m.cfg.EventQueue),
		tqueue:    make(chan pipeline.Event, transcriptQueue),
		tstop:     make(chan struct{}),
		tdone:     make(chan struct{}),
		closeReq:  make(chan CloseReason, 1),
		done:      make(chan struct{}),
		connected: make(chan struct{}),
		dcOpen:    make(chan struct{}),
		rewired:   make(chan struct{}, 1),
		created:   m.cfg.Clock.Now(),
	}
}

// ID returns the call's unguessable id. It appears in logs; the secret
// does not.
func (c *Call) ID() string { return c.id }

// Secret returns the call's own secret: 128 random bits that PATCH, DELETE
// and the transcript of the call require.
func (c *Call) Secret() string { return c.secret }

// Done is closed when the call is fully torn down.
func (c *Call) Done() <-chan struct{} { return c.done }

// Reason returns why the call ended; valid after Done is closed.
func (c *Call) Reason() CloseReason {
	<-c.done
	return c.reason
}

// Close ends the call with reason and waits until it is torn down. The
// first reason given wins.
func (c *Call) Close(reason CloseReason) {
	c.requestClose(reason)
	<-c.done
}

func (c *Call) requestClose(reason CloseReason) {
	select {
	case c.closeReq <- reason:
	default:
	}
}

// goRun starts fn as a goroutine of the call, unless teardown has begun.
func (c *Call) goRun(fn func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn()
	}()
	return true
}

// supervise waits for a close request, the connect timeout, the idle
// timeout or the maximum duration, and tears the call down.
func (c *Call) supervise() {
	cfg := &c.m.cfg
	connect := cfg.Clock.NewTimer(cfg.ConnectTimeout)
	defer connect.Stop()
	var maxC <-chan time.Time
	if cfg.MaxDuration > 0 {
		t := cfg.Clock.NewTimer(cfg.MaxDuration)
		defer t.Stop()
		maxC = t.C()
	}
	var idleC <-chan time.Time
	if cfg.IdleTimeout > 0 {
		every := min(max(cfg.IdleTimeout/8, 10*time.Millisecond), time.Second)
		t := cfg.Clock.NewTicker(every)
		defer t.Stop()
		idleC = t.C()
	}
	var reason CloseReason
	for reason == "" {
		select {
		case reason = <-c.closeReq:
		case <-connect.C():
			select {
			case <-c.connected:
			default:
				reason = ReasonConnectTimeout
			}
		case <-maxC:
			reason = ReasonMaxDuration
		case <-idleC:
			if c.busy.Load() {
				c.markActive()
			} else if c.since()-time.Duration(c.lastActive.Load()) > cfg.IdleTimeout {
				reason = ReasonIdleTimeout
			}
		}
	}
	c.teardown(reason)
}

// markActive records caller activity now, for the idle timeout.
func (c *Call) markActive() { c.lastActive.Store(int64(c.since())) }

// since is the call's age on its clock.
func (c *Call) since() time.Duration { return c.m.cfg.Clock.Now().Sub(c.created) }

// attach stores a resource set up during negotiation, unless teardown has
// begun; then the caller must release it.
func (c *Call) attach(set func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	set()
	return true
}

// startRun starts the pipeline and the events writer, unless teardown has
// begun.
func (c *Call) startRun(pipe, writer func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.running = true
	c.wg.Add(2)
	go func() {
		defer c.wg.Done()
		defer close(c.pdone)
		pipe()
	}()
	go func() {
		defer c.wg.Done()
		defer close(c.edone)
		writer()
	}()
}

func (c *Call) teardown(reason CloseReason) {
	c.mu.Lock()
	c.closing = true
	pc, out, running := c.pc, c.out, c.running
	c.mu.Unlock()
	// The pipeline ends first, told why, while media and the data channel
	// are still up: what the end cut short (the reply at its playback
	// position, the user's unfinished turn) reaches the transcript and, if
	// the caller is still there, the client.
	// A vanished caller heard nothing sent after they went silent.
	if o := c.pout.Load(); o != nil && reason == ReasonICEFailed {
		o.vanished()
	}
	c.pcancel(pipeline.Ended{Reason: string(reason)})
	if running {
		<-c.pdone
		close(c.estop)
		<-c.edone
	}
	c.cancel()
	if pc != nil {
		if err := pc.Close(); err != nil {
			c.log.Debug().Err(err).Msg("peer connection close")
		}
	}
	c.wg.Wait()
	if out != nil {
		_ = out.Close()
	}
	c.reason = reason
	// The pipeline has returned: the transcript writer writes what is
	// queued, then call.end follows it.
	close(c.tstop)
	<-c.tdone
	if c.tlog != nil {
		if err := c.tlog.Close(string(reason)); err != nil {
			c.log.Error().Err(err).Msg("transcript")
		}
	}
	c.m.remove(c, reason)
	c.log.Info().Str("reason", string(reason)).
		Dur("duration", c.since()).
		Uint64("frames_dropped", c.lostFrames.Load()).
		Uint64("events_dropped", c.lostEvents.Load()).
		Uint64("commands_dropped", c.lostCommands.Load()).
		Msg("call closed")
	close(c.done)
}

// negotiate applies the offer and returns the answer with candidates.
func (c *Call) negotiate(ctx context.Context, offer string) (string, error) {
	api, err := c.m.newAPI(c.log)
	if err != nil {
		return "", err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: c.m.cfg.ICEServers})
	if err != nil {
		return "", fmt.Errorf("session: new peer connection: %w", err)
	}
	if !c.attach(func() { c.pc = pc }) {
		_ = pc.Close()
		return "", ErrClosed
	}
	c.bindPeer(pc)

	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "duplex")
	if err != nil {
		return "", fmt.Errorf("session: audio track: %w", err)
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		return "", fmt.Errorf("%w: cannot send audio: %w", ErrBadOffer, err)
	}
	c.track = track
	c.goRun(func() { drainRTCP(sender) })
	out, err := media.NewPacedWriter(media.NewOpusRTPWriter(track), media.PacedWriterOptions{
		Clock:   c.m.cfg.Clock,
		Encoder: media.EncoderOptions{Complexity: c.m.cfg.OpusComplexity},
	})
	if err != nil {
		return "", fmt.Errorf("session: paced writer: %w", err)
	}
	if !c.attach(func() { c.out = out; c.pout.Store(newCallerOut(out)) }) {
		_ = out.Close()
		return "", ErrClosed
	}

	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	if err := checkAnswerAudio(answer.SDP); err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	gt := c.m.cfg.Clock.NewTimer(c.m.cfg.GatherTimeout)
	defer gt.Stop()
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	case <-gt.C():
		c.log.Warn().Dur("timeout", c.m.cfg.GatherTimeout).Msg("ICE gathering incomplete; answering with the candidates so far")
	}

	io := &pipeline.IO{
		CallID: c.id, Frames: c.frames, Commands: c.commands, Out: c.pout.Load(), Log: c.log,
		Video: c.camera, Events: pipeline.SinkFunc(c.emit), Clock: c.m.cfg.Clock,
	}
	p := c.m.cfg.Pipeline
	c.startRun(func() {
		if err := p.Run(c.pctx, io); err != nil && c.pctx.Err() == nil {
			c.log.Error().Err(err).Msg("pipeline failed")
			c.requestClose(ReasonPipelineError)
		}
	}, c.writeEvents)
	c.log.Info().Str("pipeline", p.Name()).Msg("call created")
	return pc.LocalDescription().SDP, nil
}

// AddCandidates applies a trickle-ICE SDP fragment (RFC 8840).
func (c *Call) AddCandidates(frag string) error {
	cands, _, err := parseTrickleFragment(frag)
	if err != nil {
		return err
	}
	for _, init := range cands {
		if err := c.peer().AddICECandidate(init); err != nil {
			return fmt.Errorf("%w: %w", ErrBadCandidate, err)
		}
	}
	return nil
}

func (c *Call) onConnectionState(s webrtc.PeerConnectionState) {
	c.log.Debug().Str("state", s.String()).Msg("connection state")
	switch s {
	case webrtc.PeerConnectionStateConnected:
		c.connOnce.Do(func() { close(c.connected) })
		c.transportRegained()
		c.log.Info().Msg("call connected")
	case webrtc.PeerConnectionStateFailed:
		if !c.transportLost() {
			c.requestClose(ReasonICEFailed)
		}
	case webrtc.PeerConnectionStateClosed:
		// The client closed its connection (DTLS close_notify) without a
		// DELETE, as a reloading page does: with a resume window the
		// conversation waits for a resume, as after an ICE failure.
		if c.ctx.Err() != nil || !c.transportLost() {
			c.requestClose(ReasonPeerClosed)
		}
	}
}

func (c *Call) onTrack(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	log := c.log.With().Str("kind", track.Kind().String()).Str("codec", track.Codec().MimeType).Logger()
	log.Info().Msg("track started")
	switch track.Kind() {
	case webrtc.RTPCodecTypeAudio:
		c.goRun(func() {
			rcv, err := media.NewAudioReceiver(media.AudioReceiverOptions{})
			if err != nil {
				log.Error().Err(err).Msg("audio receiver")
				return
			}
			if err := rcv.Run(c.ctx, track, c.pushFrame); err != nil && !errors.Is(err, context.Canceled) {
				log.Debug().Err(err).Msg("audio receiver stopped")
			}
			st := rcv.Stats()
			log.Info().Uint64("packets", st.Packets).Uint64("lost", st.Lost).Uint64("concealed", st.Concealed).Msg("audio track ended")
		})
	default:
		ssrc := uint32(track.SSRC())
		codec, err := video.CodecFromMime(track.Codec().MimeType)
		if err != nil {
			// Only negotiated codecs arrive; this guards a registration
			// the receiver cannot decode.
			log.Error().Err(err).Msg("video receiver")
			return
		}
		if !c.m.takeVideo() {
			log.Warn().Int("max_video_calls", c.m.cfg.MaxVideoCalls).Msg("video call limit reached: camera not decoded")
			c.goRun(func() { drain(track) })
			return
		}
		vr, err := video.NewReceiver(video.ReceiverOptions{
			Codec: codec,
			// Held pictures are scaled on arrival to what the model gets, so
			// a turn's end pays only for the JPEG.
			MaxWidth: media.ImageMaxWidth, MaxHeight: media.ImageMaxHeight,
			Clock:       c.m.cfg.Clock,
			DecodeSlots: c.m.decodeSlots,
			RequestKeyFrame: func() error {
				return c.peer().WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
			},
		})
		if err != nil {
			c.m.releaseVideo()
			log.Error().Err(err).Msg("video receiver")
			return
		}
		c.video.Store(vr)
		if !c.goRun(func() {
			defer c.m.releaseVideo()
			threadprio.Lower(c.m.cfg.VideoNice) // audio first when the CPU is short
			if err := vr.Run(c.ctx, track); err != nil && !errors.Is(err, context.Canceled) {
				log.Debug().Err(err).Msg("video receiver stopped")
			}
			st := vr.Stats()
			log.Info().Str("codec", st.Codec.String()).Uint64("frames", st.Frames).Uint64("key_frames", st.KeyFrames).Int("width", st.Width).Int("height", st.Height).Msg("video track ended")
		}) {
			vr.Close() // the call is closing
			c.m.releaseVideo()
		}
	}
}

// drain reads and drops a track's packets until it ends (the call
// closes), so pion's buffers do not fill with what nobody decodes.
func drain(track *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := track.Read(buf); err != nil {
			return
		}
	}
}

func (c *Call) pushFrame(f media.Frame) {
	if o := c.pout.Load(); o != nil {
		o.heardFrom()
	}
	var e float64
	for _, v := range f.PCM {
		e += float64(v) * float64(v)
	}
	if e > c.m.activity {
		c.markActive()
	}
	select {
	case c.frames <- f:
	default:
		c.lostFrames.Add(1)
	}
}

func (c *Call) onDataChannel(dc *webrtc.DataChannel) {
	newProto, ok := c.protocols[dc.Label()]
	if !ok {
		c.log.Warn().Str("label", dc.Label()).Msg("ignoring unknown data channel")
		return
	}
	w := &wire{dc: dc, proto: newProto(), seq: c.wireSeq.Add(1)}
	dc.OnOpen(func() {
		c.adopt(w)
		if o, ok := w.proto.(pipeline.Opener); ok {
			for _, cmd := range o.Open() {
				select {
				case c.commands <- cmd:
				default:
					c.log.Warn().Str("kind", string(cmd.Kind)).Msg("command queue full: opening command lost")
				}
			}
		}
	})
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		// A message may be handled before the channel's OnOpen callback
		// (a resumed call's first client message): its answer must go
		// to this channel.
		c.adopt(w)
		if !c.allowCommand() {
			return
		}
		cmd, err := w.proto.Decode(msg.Data, msg.IsString)
		if err != nil {
			var pe pipeline.Error
			if !errors.As(err, &pe) {
				pe = pipeline.Error{Code: pipeline.CodeBadMessage, Message: err.Error()}
			}
			c.emit(pe)
			return
		}
		c.markActive()
		if cmd.Reply != nil {
			c.emit(pipeline.Reply{Payload: cmd.Reply})
		}
		switch cmd.Kind {
		case pipeline.CmdReply:
			return
		case pipeline.CmdHangup:
			c.requestClose(ReasonClientHangup)
			return
		}
		select {
		case c.commands <- cmd:
		default:
			c.emit(pipeline.Error{Code: pipeline.CodeTooLarge, Message: "too many commands queued; slow down"})
		}
	})
}

// adopt makes w the call's channel unless a newer one already is; events
// go out on the channel adopted last.
func (c *Call) adopt(w *wire) {
	for {
		cur := c.wire.Load()
		if cur != nil && cur.seq >= w.seq {
			return
		}
		if c.wire.CompareAndSwap(cur, w) {
			if cur != nil {
				select {
				case c.rewired <- struct{}{}:
				default:
				}
			}
			c.dcOnce.Do(func() { close(c.dcOpen) })
			return
		}
	}
}

// allowCommand applies the per-call message rate limit; over it, the
// message is dropped and the client told (at most once a second).
func (c *Call) allowCommand() bool {
	c.cmdMu.Lock()
	defer c.cmdMu.Unlock()
	now := c.m.cfg.Clock.Now()
	if c.cmdRate.AllowN(now, 1) {
		return true
	}
	c.lostCommands.Add(1)
	if now.Sub(c.cmdWarn) >= time.Second {
		c.cmdWarn = now
		c.emit(pipeline.Error{Code: pipeline.CodeRateLimited,
			Message: fmt.Sprintf("more than %g messages per second on the events channel: messages are being dropped", c.m.cfg.CommandRate)})
	}
	return false
}

// camera is the pipeline's view of the caller's video.
func (c *Call) camera() pipeline.VideoSource {
	if v := c.video.Load(); v != nil {
		return v
	}
	return nil
}

// transcriptQueue bounds the events waiting for the transcript writer;
// only conversation events (a few per turn) are queued.
const transcriptQueue = 1024

// emit is the call's one event tap: it never blocks. It keeps the busy
// state for drain and the idle timeout, queues conversation events for
// the transcript writer and every event for the client's protocol.
func (c *Call) emit(ev pipeline.Event) {
	if s, ok := ev.(pipeline.StateChanged); ok {
		c.busy.Store(s.State == pipeline.StateThinking || s.State == pipeline.StateSpeaking)
	}
	if c.tlog != nil && transcript.Records(ev) {
		select {
		case c.tqueue <- ev:
		default:
			c.log.Error().Msg("transcript queue full: entry lost")
		}
	}
	select {
	case c.outbox <- ev:
	default:
		c.lostEvents.Add(1)
	}
}

// writeTranscript records the conversation off the engine goroutine until
// tstop, then writes what is still queued.
func (c *Call) writeTranscript() {
	defer close(c.tdone)
	for {
		select {
		case ev := <-c.tqueue:
			c.tlog.Event(ev)
		case <-c.tstop:
			for {
				select {
				case ev := <-c.tqueue:
					c.tlog.Event(ev)
				default:
					return
				}
			}
		}
	}
}

// ready is the call's session.ready, in the given mode.
func (c *Call) ready(mode pipeline.Mode) pipeline.Ready {
	p := c.m.cfg.Pipeline
	return pipeline.Ready{CallID: c.id, Mode: mode, Pipeline: p.Name(), Engines: p.Engines()}
}

// flushTimeout bounds the wait for the client to take the events of a
// call's end before the peer connection closes (a vanished caller never
// takes them). It is a network bound, on the wall clock.
const flushTimeout = 500 * time.Millisecond

// writeEvents waits for the client's protocol channel to open, sends Ready,
// then encodes queued events until estop, when it sends what is still
// queued. It is the only sender of Ready: at open, and as the answer to a
// mode change.
func (c *Call) writeEvents() {
	select {
	case <-c.dcOpen:
	case <-c.estop:
		return
	case <-c.ctx.Done():
		return
	}
	write := func(ev pipeline.Event) {
		w := c.wire.Load()
		msgs, err := w.proto.Encode(ev)
		if err != nil {
			c.log.Error().Err(err).Str("protocol", w.proto.Name()).Msg("encode event")
			return
		}
		for _, b := range msgs {
			if err := w.dc.SendText(string(b)); err != nil {
				c.lostEvents.Add(1)
			}
		}
	}
	mode := pipeline.ModeFullDuplex
	if m, ok := c.m.cfg.Pipeline.(pipeline.Moder); ok {
		mode = m.Mode()
	}
	write(c.ready(mode))
	send := func(ev pipeline.Event) {
		if mc, ok := ev.(pipeline.ModeChanged); ok {
			mode = mc.Mode
			ev = c.ready(mc.Mode)
		}
		write(ev)
		if _, ok := ev.(pipeline.Ending); ok {
			c.endingSent.Store(true)
		}
	}
	for {
		select {
		case ev := <-c.outbox:
			send(ev)
		case <-c.rewired:
			// A resumed call's new channel: Ready again, in the current mode.
			write(c.ready(mode))
		case <-c.estop:
			for {
				select {
				case ev := <-c.outbox:
					send(ev)
				default:
					c.flush(c.wire.Load().dc)
					return
				}
			}
		case <-c.ctx.Done():
			return
		}
	}
}

// flush waits, up to flushTimeout, until dc has handed everything sent to
// the network, so closing the peer connection does not drop the last
// events.
func (c *Call) flush(dc *webrtc.DataChannel) {
	deadline := time.Now().Add(flushTimeout)
	for dc.ReadyState() == webrtc.DataChannelStateOpen && dc.BufferedAmount() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

func drainRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := s.Read(buf); err != nil {
			return
		}
	}
}
