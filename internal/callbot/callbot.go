// Package callbot is a headless WebRTC caller for Duplex: it places a call
// (POST {server}/v1/calls with an SDP offer), speaks prepared audio in real
// time, turn by turn, waiting for each reply (optionally barging in on the
// last one), optionally streams a VP8 IVF file, records the reply audio and
// the data-channel events, and reports turns and latencies.
package callbot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"
	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/media"
)

const (
	defaultLead        = 500 * time.Millisecond
	defaultTail        = 3 * time.Second
	defaultGap         = 600 * time.Millisecond
	defaultTurnTimeout = 20 * time.Second
	connectTimeout     = 20 * time.Second
	hangUpTimeout      = 5 * time.Second
	// waitQuiet: with Options.Wait satisfied, the reply audio must have
	// been quiet this long before the call ends early.
	waitQuiet = time.Second
	// maxEvents bounds the events kept from one call.
	maxEvents = 100_000
)

// Options configures one call.
//
// The caller sends audio without a break from the first frame to the hang
// up: Lead silence, turn 1, silence until the server's reply to it is over
// (reply.done or reply.interrupted of the turn and 400 ms without reply
// audio, or state listening after a reply, or TurnTimeout), Gap silence,
// turn 2, and so on. After the last turn, BargeIn (if any) is spoken over
// the reply, then silence for the Tail.
type Options struct {
	Server string // base URL, e.g. http://127.0.0.1:8080
	Token  string // optional bearer token
	// Turns are the utterances to speak, in order, mono, at AudioRate.
	Turns [][]int16
	// Audio is a shortcut for a single turn (Turns must then be empty).
	Audio     []int16
	AudioRate int           // sample rate of Turns, Audio and BargeIn (required with any of them)
	VideoPath string        // optional IVF (VP8, VP9) or H.264 Annex-B file, sent in real time and looping
	Lead      time.Duration // silence sent before the first turn; 0 = 500 ms, negative = none
	Tail      time.Duration // call time after the last audio ended; 0 = 3 s, negative = none
	// Gap is the silence between the end of a reply and the next turn;
	// 0 = 600 ms, negative = none.
	Gap time.Duration
	// TurnTimeout bounds the wait for the reply to a turn that is not the
	// last (and for the first reply audio before BargeIn); 0 = 20 s. A
	// timeout is listed in Result.Errors and the call goes on.
	TurnTimeout time.Duration
	// BargeIn, when set, is spoken BargeInAfter after the first non-silent
	// frame of the reply to the last turn arrived: an interruption.
	BargeIn      []int16
	BargeInAfter time.Duration
	// Wait, when > 0, ends the tail early once this many replies have
	// finished (reply.done or reply.interrupted), the last of them after
	// the last audio was sent (a turn the server split has a cut reply
	// too: the count can be met before the last turn is answered), and
	// the reply audio has been quiet for a second.
	Wait int
	// Echo, when set, plays the reply back into the microphone.
	Echo       *EchoPath
	Commands   []events.Command // sent on the data channel once it opens
	HTTPClient *http.Client     // nil: a private client, closed after the call
	// Net, when set, replaces the OS network for the media path (pion vnet
	// in tests); signaling still uses HTTPClient. Loopback candidates are
	// then not gathered.
	Net transport.Net
	Log zerolog.Logger
}

// Turn is one exchange, assembled from the server's events (see
// buildTurns). User is empty for a turn known only from state events (a
// pipeline without transcripts, e.g. echo).
type Turn struct {
	User            string  `json:"user"`
	Reply           string  `json:"reply"`
	LatencyMS       float64 `json:"latency_ms"`
	Interrupted     bool    `json:"interrupted"`
	Heard           string  `json:"heard,omitempty"`
	ServerLatencyMS float64 `json:"server_latency_ms,omitempty"`
	// BargeInStopMS, on the turn whose reply the barge-in interrupted: from
	// the first speech frame of the barge-in sent to the last non-silent
	// frame of the interrupted reply received (how long the assistant
	// talked over the caller); 0 if it had gone quiet already.
	BargeInStopMS *float64 `json:"barge_in_stop_ms,omitempty"`
}

// Percentiles summarises client-measured times, in ms.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	Max float64 `json:"max"`
}

// Summary is the part of the JSON summary both modes share: whether the
// run went well, the turn latency (see Result and LoadResult) and the
// problems met.
type Summary struct {
	OK        bool        `json:"ok"`
	LatencyMS Percentiles `json:"latency_ms"`
	Errors    []string    `json:"errors"`
}

// Result is what happened during the call.
type Result struct {
	Summary
	CallURL     string  `json:"call_url,omitempty"`
	AudioSentMS float64 `json:"audio_sent_ms"`
	// AudioReceivedMS counts received audio above -45 dBFS (RMS per packet).
	AudioReceivedMS float64 `json:"audio_received_ms"`
	// AudioPacketsMS is all the audio received, silence included (the
	// server sends no packets while it is quiet).
	AudioPacketsMS float64 `json:"audio_packets_ms"`
	// Audio is the continuity of the reply audio over the whole call: a
	// gap is a packet arriving more than 60 ms after the previous one of
	// the same reply (a stall of the server or the network).
	Audio Continuity `json:"audio"`
	Turns []Turn     `json:"turns"`
	// BargeInStopMS summarises Turn.BargeInStopMS over the turns that have it.
	BargeInStopMS Percentiles    `json:"barge_in_stop_ms"`
	Events        []events.Event `json:"-"`
	// Received is the reply audio, 48 kHz mono. Sample 0 is the moment the
	// first sent frame went out; the first packet sits at its arrival time,
	// later ones at their RTP timestamp offsets, gaps are silence and lost
	// packets are concealed.
	Received []int16 `json:"-"`
	// Sent is what was sent, 48 kHz mono, on the same timeline: every
	// frame from the first to the hang up (lead, turns, the silence between
	// them and during the tail).
	Sent []int16 `json:"-"`
}

// Run places the call and returns when it has been hung up. The error is
// non-nil only when the call could not be set up (bad options, offer,
// signaling: a *SignalingError carries the server's status and message);
// problems during the call are listed in Result.Errors with OK false.
func Run(ctx context.Context, opt Options) (*Result, error) {
	if opt.Lead == 0 {
		opt.Lead = defaultLead
	}
	if opt.Tail == 0 {
		opt.Tail = defaultTail
	}
	if opt.Gap == 0 {
		opt.Gap = defaultGap
	}
	if opt.TurnTimeout <= 0 {
		opt.TurnTimeout = defaultTurnTimeout
	}
	endpoint, err := callsURL(opt.Server)
	if err != nil {
		return nil, err
	}
	sc, err := newScript(opt)
	if err != nil {
		return nil, err
	}
	var clip *videoClip
	if opt.VideoPath != "" {
		if clip, err = loadVideo(opt.VideoPath); err != nil {
			return nil, fmt.Errorf("callbot: video: %w", err)
		}
	}
	enc, err := media.NewOpusEncoder(media.OpusSampleRate, 1, media.EncoderOptions{Bitrate: 64000, Application: "audio"})
	if err != nil {
		return nil, fmt.Errorf("callbot: opus encoder: %w", err)
	}
	hc, closeIdle := clientOr(opt.HTTPClient, 0)
	defer closeIdle()
	var echo *echoLine
	if opt.Echo != nil {
		echo = newEchoLine(*opt.Echo)
	}
	c := &call{
		echo:   echo,
		opt:    opt,
		hc:     hc,
		sc:     sc,
		enc:    enc,
		clip:   clip,
		stop:   make(chan struct{}),
		dcOpen: make(chan struct{}),
	}
	return c.run(ctx, endpoint)
}

type call struct {
	peer // its mu also guards the fields marked below
	opt  Options
	hc   *http.Client
	sc   *script // owned by the audio sender goroutine
	enc  *media.OpusEncoder
	clip *videoClip
	echo *echoLine // nil: no echo

	audio *webrtc.TrackLocalStaticSample
	video *webrtc.TrackLocalStaticSample
	pli   chan struct{}

	stop     chan struct{} // closed: senders stop
	stopOnce sync.Once
	dcOpen   chan struct{}
	openOnce sync.Once

	lastVoiced atomic.Int64 // unix ns of the last voiced packet received

	// Guarded by mu.
	events       []timedEvent
	dropped      int
	errs         []string
	finished     int               // reply.done + reply.interrupted seen
	lastFinished time.Time         // arrival of the latest of them
	rx           *receiver         // owned by the track goroutine until joined
	cont         continuityTracker // the track goroutine's, like rx
	// The first voiced reply frame that arrived at or after watchFrom
	// (armed by the sender at the end of each turn).
	watchFrom, watchFirst time.Time

	// Written by the audio sender goroutine, read after it is joined.
	t0          time.Time
	framesSent  int
	sent        []int16     // the timeline sent
	sentFull    bool        // sent reached maxReceivedSamples
	speech      []time.Time // send times of speech frames
	bargeSpeech time.Time   // first speech frame of the barge-in
	scriptDone  bool        // every turn (and the barge-in) was sent
	mixed       []int16     // a frame with the echo mixed in
}

func (c *call) addErr(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.errs = append(c.errs, msg)
	c.log.Warn().Msg(msg)
}

func (c *call) run(ctx context.Context, endpoint *url.URL) (*Result, error) {
	if err := c.open(peerConfig{net: c.opt.Net}, c.opt.Log); err != nil {
		return nil, fmt.Errorf("callbot: peer connection: %w", err)
	}
	callURL, err := c.setUp(ctx, endpoint)
	if err != nil {
		c.shutdown()
		return nil, err
	}

	res := &Result{Summary: Summary{Errors: []string{}}, CallURL: callURL}
	if callURL == "" {
		c.addErr("signaling: %v", errNoLocation)
	}
	connected := c.waitConnected(ctx)
	if connected {
		c.converse(ctx)
	}
	c.stopOnce.Do(func() { close(c.stop) })
	if callURL != "" {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hangUpTimeout)
		if err := hangUp(hctx, c.hc, callURL, c.opt.Token); err != nil {
			c.addErr("hang up: %v", err)
		}
		cancel()
	}
	if connected {
		select {
		case <-c.dcOpen:
		default:
			c.addErr("the \"events\" data channel never opened")
		}
	}
	c.shutdown()

	// Every goroutine is joined: the fields below are ours alone.
	res.Sent = c.sent
	res.AudioSentMS = float64(c.framesSent * 20)
	if c.sentFull {
		c.errs = append(c.errs, fmt.Sprintf("audio: the record of sent audio stops at the %s limit", time.Duration(maxReceivedSamples/sampleRate)*time.Second))
	}
	var voiced []time.Time
	if c.rx != nil {
		res.Received = c.rx.timeline(c.t0)
		res.AudioReceivedMS = float64(c.rx.voicedSamples) * 1000 / sampleRate
		res.AudioPacketsMS = float64(c.rx.samples) * 1000 / sampleRate
		res.Audio = c.cont.c
		res.Audio.finish()
		voiced = c.rx.voiced
		c.errs = append(c.errs, c.rx.problems()...)
		c.log.Debug().Int("packets", c.rx.packets).Int("lost", c.rx.lost).Int("late", c.rx.late).Msg("reply audio")
	}
	if c.dropped > 0 {
		c.errs = append(c.errs, fmt.Sprintf("events: %d events beyond the first %d were dropped", c.dropped, maxEvents))
	}
	res.Events = make([]events.Event, len(c.events))
	for i, e := range c.events {
		res.Events[i] = e.ev
	}
	res.Turns = buildTurns(c.events, c.speech, voiced, c.bargeSpeech)
	lat := make([]float64, len(res.Turns))
	var stops []float64
	for i, t := range res.Turns {
		lat[i] = t.LatencyMS
		if t.BargeInStopMS != nil {
			stops = append(stops, *t.BargeInStopMS)
		}
	}
	res.LatencyMS = percentiles(lat)
	res.BargeInStopMS = nearestRank(stops)
	res.Errors = append(res.Errors, c.errs...)
	res.OK = connected && c.scriptDone && len(res.Errors) == 0
	return res, nil
}

// setUp adds the tracks and data channel, gathers, and exchanges SDP.
func (c *call) setUp(ctx context.Context, endpoint *url.URL) (callURL string, err error) {
	pc := c.pc
	c.audio, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: sampleRate, Channels: 2}, "audio", "callbot")
	if err != nil {
		return "", fmt.Errorf("callbot: audio track: %w", err)
	}
	atr, err := pc.AddTransceiverFromTrack(c.audio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		return "", fmt.Errorf("callbot: audio transceiver: %w", err)
	}
	c.readRTCP(atr.Sender(), nil)
	if c.clip != nil {
		c.pli = make(chan struct{}, 1)
		if c.video, err = c.addVideo(c.clip, c.pli); err != nil {
			return "", fmt.Errorf("callbot: %w", err)
		}
	}
	dc, err := pc.CreateDataChannel("events", nil) // ordered, reliable
	if err != nil {
		return "", fmt.Errorf("callbot: data channel: %w", err)
	}
	c.handle(dc)

	offer, err := gatheredOffer(ctx, pc)
	if err != nil {
		return "", fmt.Errorf("callbot: %w", err)
	}
	return c.answer(ctx, c.hc, endpoint, c.opt.Token, offer)
}

// handle wires the peer connection's and data channel's callbacks.
func (c *call) handle(dc *webrtc.DataChannel) {
	c.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if !c.enter() {
			return
		}
		defer c.wg.Done()
		c.receive(tr)
	})
	dc.OnOpen(func() {
		c.openOnce.Do(func() { close(c.dcOpen) })
		c.log.Debug().Msg("events channel open")
		for _, cmd := range c.opt.Commands {
			b, err := json.Marshal(cmd)
			if err == nil {
				err = dc.SendText(string(b))
			}
			if err != nil {
				c.addErr("events: sending %s: %v", cmd.Type, err)
			}
		}
	})
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		at := time.Now()
		if !m.IsString {
			c.addErr("events: unexpected binary message of %d bytes", len(m.Data))
			return
		}
		var ev events.Event
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			c.addErr("events: bad JSON from the server: %v", err)
			return
		}
		c.log.Debug().RawJSON("event", m.Data).Msg("event")
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.events) >= maxEvents {
			c.dropped++
			return
		}
		c.events = append(c.events, timedEvent{at: at, ev: ev})
		switch ev.Type {
		case events.TypeReplyDone, events.TypeReplyInterrupted:
			c.finished++
			c.lastFinished = at
		case events.TypeError:
			if !c.closing {
				c.errs = append(c.errs, fmt.Sprintf("server error event: %s: %s", ev.Code, ev.Message))
			}
		}
	})
}

// receive records the first Opus track; any other track is drained.
func (c *call) receive(tr *webrtc.TrackRemote) {
	c.mu.Lock()
	mine := c.rx == nil && tr.Kind() == webrtc.RTPCodecTypeAudio
	var r *receiver
	if mine {
		r = &receiver{}
		if c.echo != nil {
			r.onPCM = c.echo.played
		}
		c.rx = r
	}
	c.mu.Unlock()
	if !mine {
		c.log.Debug().Str("kind", tr.Kind().String()).Msg("ignoring extra track")
		drain(tr)
		return
	}
	dec, err := media.NewOpusDecoder(media.OpusSampleRate, 1)
	if mt := tr.Codec().MimeType; !strings.EqualFold(mt, webrtc.MimeTypeOpus) {
		err = fmt.Errorf("the server sends %s, expected Opus", mt)
	}
	if err != nil {
		c.addErr("audio: %v", err)
		drain(tr)
		return
	}
	r.dec = dec
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		now := time.Now()
		before, decoded := r.voicedSamples, r.samples
		r.push(pkt, now)
		if r.samples != decoded {
			c.cont.push(pkt.SequenceNumber, pkt.Timestamp, now, r.lastLen, r.voicedSamples != before, true)
		}
		if r.voicedSamples != before {
			c.lastVoiced.Store(now.UnixNano())
			c.mu.Lock()
			if !c.watchFrom.IsZero() && c.watchFirst.IsZero() && !now.Before(c.watchFrom) {
				c.watchFirst = now
			}
			c.mu.Unlock()
		}
	}
}

func (c *call) waitConnected(ctx context.Context) bool {
	if err := c.peer.waitConnected(ctx, time.Now(), connectTimeout); err != nil {
		c.addErr("%v", err)
		return false
	}
	return true
}

// converse sends the audio (and video), then waits for the tail. The
// audio goes on (silence) until the call ends.
func (c *call) converse(ctx context.Context) {
	audioDone := make(chan struct{})
	c.goJoined(func() { c.sendAudio(audioDone) })
	if c.clip != nil {
		c.goJoined(c.sendVideo)
	}
	select {
	case <-audioDone:
	case <-c.failed:
		c.addErr("connection lost while sending audio")
		return
	case <-ctx.Done():
		c.addErr("call cut short while sending audio: %v", ctx.Err())
		return
	}
	spoken := time.Now()
	if c.opt.Tail <= 0 {
		return
	}
	tail := time.NewTimer(c.opt.Tail)
	defer tail.Stop()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case <-tail.C:
			return
		case <-c.failed:
			c.addErr("connection lost while waiting for replies")
			return
		case <-ctx.Done():
			c.addErr("call cut short while waiting for replies: %v", ctx.Err())
			return
		case now := <-poll.C:
			if c.waitSatisfied(now, spoken) {
				c.log.Debug().Int("replies", c.opt.Wait).Msg("wait satisfied, ending early")
				return
			}
		}
	}
}

// waitSatisfied: Options.Wait is met at now, the script's audio having
// ended at spoken.
func (c *call) waitSatisfied(now, spoken time.Time) bool {
	if c.opt.Wait <= 0 {
		return false
	}
	c.mu.Lock()
	n, met := c.finished, c.lastFinished
	c.mu.Unlock()
	if n < c.opt.Wait || !met.After(spoken) {
		return false
	}
	last := met
	if v := c.lastVoiced.Load(); v > last.UnixNano() {
		last = time.Unix(0, v)
	}
	return now.Sub(last) >= waitQuiet
}

// sendAudio writes 20 ms Opus frames in real time until the call ends,
// following the script; done is closed when the script is over. A late
// wake-up sends the frames that are due at once, so the stream keeps to the
// wall clock.
func (c *call) sendAudio(done chan<- struct{}) {
	signalled := false
	signal := func() {
		if !signalled {
			signalled = true
			close(done)
		}
	}
	defer signal()
	pace := newFramePacer(clock.Real())
	defer pace.Stop()
	for i := 0; ; {
		due := pace.due()
		for ; i < due; i++ {
			pcm, kind := c.sc.next(c, time.Now())
			// Whether the caller speaks is judged before the echo is mixed
			// in: a loud echo would make the lead-in of a barge-in speech.
			level := dbfs(pcm)
			if c.sc.phase == phaseDone && !c.scriptDone {
				c.scriptDone = true
				c.log.Debug().Int("frames", c.framesSent).Msg("script done")
				signal()
			}
			if c.echo != nil {
				c.mixed = append(c.mixed[:0], pcm...)
				pcm = c.mixed
				c.echo.pickUp(pcm, pace.captured(i))
			}
			payload, err := c.enc.Encode(pcm)
			if err != nil {
				c.addErr("audio: opus encode: %v", err)
				return
			}
			at := time.Now()
			if err := c.audio.WriteSample(pmedia.Sample{Data: payload, Duration: media.FrameDuration}); err != nil {
				c.addErr("audio: write: %v", err)
				return
			}
			if i == 0 {
				c.t0 = at
			}
			c.framesSent++
			if len(c.sent)+frameSamples <= maxReceivedSamples {
				c.sent = append(c.sent, pcm...)
			} else {
				c.sentFull = true
			}
			if c.sc.isSpeech(kind, level) {
				c.speech = append(c.speech, at)
				c.sc.lastSpeech = at
				if kind == frameBargeIn && c.bargeSpeech.IsZero() {
					c.bargeSpeech = at
				}
			}
		}
		select {
		case <-c.stop:
			return
		case <-pace.C():
		}
	}
}

// sendVideo loops the video clip in real time until the call ends.
func (c *call) sendVideo() {
	if err := playClip(c.clip, c.video, c.pli, c.stop, c.log); err != nil {
		c.addErr("video: write: %v", err)
	}
}

// shutdown stops the senders, closes the peer connection and joins every
// goroutine the call started.
func (c *call) shutdown() {
	c.stopOnce.Do(func() { close(c.stop) })
	c.close(true)
}

// gatheredOffer creates an offer, applies it and waits for ICE gathering
// (no trickle: the offer carries every candidate).
func gatheredOffer(ctx context.Context, pc *webrtc.PeerConnection) (string, error) {
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", fmt.Errorf("create offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return "", fmt.Errorf("set local description: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", fmt.Errorf("gathering ICE candidates: %w", ctx.Err())
	}
	return pc.LocalDescription().SDP, nil
}
