package callbot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"
	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/media"
)

// Bounds and defaults of load mode.
const (
	MaxLoadCalls    = 1000
	MaxLoadRamp     = 100.0 // calls per second
	MaxLoadDuration = 10 * time.Minute

	defaultLoadRamp        = 5.0
	defaultLoadDuration    = 30 * time.Second
	defaultPauseMin        = time.Second
	defaultPauseMax        = 2 * time.Second
	defaultLoadTurnTimeout = 10 * time.Second
	defaultSampleEvery     = time.Second
	// loadSetupTimeout bounds one call's POST plus ICE and DTLS.
	loadSetupTimeout = connectTimeout
	// maxLoadErrors bounds the distinct error messages kept.
	maxLoadErrors = 20
	// loadReplyQuiet: a reply is over once its audio has been quiet this
	// long (longer than the pauses between its sentences).
	loadReplyQuiet = 800 * time.Millisecond
)

// LoadOptions configures RunLoad: Calls callers dial a server on this
// machine, Ramp new calls per second. Once every call is connected (or has
// failed) the hold begins: for Duration each caller speaks Utterance,
// sends silence until the reply audio is over (or TurnTimeout), pauses
// PauseMin–PauseMax, and speaks again. A reply is over when its audio has
// been quiet for 800 ms. Then every caller hangs up.
// Everything in LoadResult except SetupMS is measured during the hold.
type LoadOptions struct {
	Server string // base URL; the host must be a loopback address
	Token  string // optional bearer token
	// Calls is the number of concurrent callers, 1..MaxLoadCalls.
	Calls int
	// Ramp is new calls per second; 0 = 5.
	Ramp float64
	// Duration is the hold; 0 = 30 s.
	Duration time.Duration
	// Utterance is what every caller says, mono at AudioRate; required
	// unless Idle. It is Opus-encoded once and the packets are shared.
	Utterance []int16
	AudioRate int
	// Idle callers send only silence: the cost of calls that are connected
	// but quiet.
	Idle bool
	// VideoPath, when set, is a camera file (IVF VP8/VP9 or H.264
	// Annex-B) every caller sends in real time, looping: the capacity
	// run with cameras on. Read once, shared by the callers.
	VideoPath string
	// PauseMin and PauseMax bound the pause after each reply (uniform); 0 =
	// 1 s and 2 s. The first turn of each call starts after a random
	// 0..PauseMax, so callers do not speak in step.
	PauseMin, PauseMax time.Duration
	// TurnTimeout bounds the wait for the first reply audio; 0 = 10 s.
	TurnTimeout time.Duration
	// ServerPID, when > 0, is the server process to sample in /proc (any
	// server, Go or not); otherwise its /metrics is read.
	ServerPID int
	// SampleEvery is the resource sampling period; 0 = 1 s.
	SampleEvery time.Duration
	// Seed makes the pauses reproducible.
	Seed       uint64
	HTTPClient *http.Client // nil: a private client
	Log        zerolog.Logger
}

// LoadResult summarises a load run.
type LoadResult struct {
	// Summary.LatencyMS, per answered turn: the last speech frame of the
	// utterance sent → the first voiced reply frame received (from audio
	// alone, so it works with servers that send no events).
	Summary
	Calls int `json:"calls"`
	// CallsOK were set up, stayed connected, got reply audio after every
	// turn (within TurnTimeout) and were hung up; the others failed.
	CallsOK     int  `json:"calls_ok"`
	CallsFailed int  `json:"calls_failed"`
	Idle        bool `json:"idle,omitempty"`
	// RampS is how long it took until every call had connected or failed;
	// HoldS is the measured window after it.
	RampS float64 `json:"ramp_s"`
	HoldS float64 `json:"hold_s"`
	// SetupMS: POST of the offer → connected, over the calls that connected.
	SetupMS Percentiles `json:"setup_ms"`
	// Turns spoken during the hold whose outcome was known by its end;
	// TurnsAnswered got reply audio within TurnTimeout.
	Turns         int `json:"turns"`
	TurnsAnswered int `json:"turns_answered"`
	// TurnsTalkedOver were answered, but reply audio was still arriving
	// while their utterance was spoken (the previous reply ran long or
	// stalled for 800 ms): they have no latency.
	TurnsTalkedOver int `json:"turns_talked_over"`
	// Audio is the continuity of the reply audio of every call.
	Audio Continuity `json:"audio"`
	// Server is the server process's CPU and memory during the hold.
	Server ServerUsage `json:"server"`
	// BotCPUCores is what this load generator itself used during the hold
	// (it shares the machine with the server).
	BotCPUCores float64 `json:"bot_cpu_cores"`
	// MachineCPUCores is how busy all processors were during the hold:
	// minus the server and the bot, what other processes took.
	MachineCPUCores float64 `json:"machine_cpu_cores"`
	EventsReceived  int64   `json:"events_received"`
}

// ServerUsage is sampled from /proc/PID or the server's /metrics.
type ServerUsage struct {
	Source string `json:"source,omitempty"`
	// CPUCores = CPU seconds used during the hold ÷ its wall time.
	CPUCores float64 `json:"cpu_cores"`
	// CPUPerCallPct = CPUCores ÷ connected calls, in % of one core.
	CPUPerCallPct float64 `json:"cpu_per_call_pct"`
	// RSSBaseBytes was sampled before the first call.
	RSSBaseBytes int64 `json:"rss_base_bytes"`
	// RSSBytes is the mean and RSSMaxBytes the largest sample in the hold.
	RSSBytes    int64 `json:"rss_bytes"`
	RSSMaxBytes int64 `json:"rss_max_bytes"`
	// RSSPerCallBytes = (RSSBytes − RSSBaseBytes) ÷ connected calls.
	RSSPerCallBytes int64  `json:"rss_per_call_bytes"`
	Samples         int    `json:"samples"`
	Error           string `json:"error,omitempty"`
}

// loadAudio is the caller's audio, Opus-encoded once for every caller.
type loadAudio struct {
	packets    [][]byte // 20 ms frames of the utterance
	lastSpeech int      // index of its last frame above speechDBFS
	silence    []byte
}

func encodeLoadAudio(pcm []int16, rate int) (*loadAudio, error) {
	enc, err := media.NewOpusEncoder(media.OpusSampleRate, 1, media.EncoderOptions{})
	if err != nil {
		return nil, err
	}
	a := &loadAudio{lastSpeech: -1}
	if len(pcm) > 0 {
		if rate != sampleRate {
			if pcm, err = media.Resample(pcm, rate, sampleRate); err != nil {
				return nil, fmt.Errorf("resample %d Hz → %d Hz: %w", rate, sampleRate, err)
			}
		}
		for i := 0; i < len(pcm); i += frameSamples {
			f := make([]int16, frameSamples)
			copy(f, pcm[i:])
			p, err := enc.Encode(f)
			if err != nil {
				return nil, err
			}
			if dbfs(f) > speechDBFS {
				a.lastSpeech = len(a.packets)
			}
			a.packets = append(a.packets, append([]byte(nil), p...))
		}
		if a.lastSpeech < 0 {
			return nil, errors.New("the utterance has no frame above -40 dBFS")
		}
	}
	// A few silent frames settle the encoder; the last one is shared.
	for range 10 {
		p, err := enc.Encode(silentFrame)
		if err != nil {
			return nil, err
		}
		a.silence = append(a.silence[:0], p...)
	}
	return a, nil
}

// isLoopbackURL reports whether u names this machine by a loopback address.
func isLoopbackURL(u *url.URL) bool {
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// RunLoad runs the load and returns its summary. The error is non-nil only
// for bad options; failed calls are counted in the result.
func RunLoad(ctx context.Context, opt LoadOptions) (*LoadResult, error) {
	switch {
	case opt.Calls < 1 || opt.Calls > MaxLoadCalls:
		return nil, fmt.Errorf("callbot: load: %d calls, want 1..%d", opt.Calls, MaxLoadCalls)
	case opt.Ramp < 0 || opt.Ramp > MaxLoadRamp:
		return nil, fmt.Errorf("callbot: load: ramp %g calls/s, want 0..%g", opt.Ramp, MaxLoadRamp)
	case opt.Duration < 0 || opt.Duration > MaxLoadDuration:
		return nil, fmt.Errorf("callbot: load: duration %s, want 0..%s", opt.Duration, MaxLoadDuration)
	case opt.PauseMin < 0 || opt.PauseMax < 0 || opt.TurnTimeout < 0:
		return nil, errors.New("callbot: load: negative pause or turn timeout")
	case !opt.Idle && (len(opt.Utterance) == 0 || opt.AudioRate <= 0):
		return nil, errors.New("callbot: load: Utterance and AudioRate are required unless Idle")
	}
	if opt.Ramp == 0 {
		opt.Ramp = defaultLoadRamp
	}
	if opt.Duration == 0 {
		opt.Duration = defaultLoadDuration
	}
	if opt.PauseMin == 0 {
		opt.PauseMin = defaultPauseMin
	}
	if opt.PauseMax == 0 {
		opt.PauseMax = max(defaultPauseMax, opt.PauseMin)
	}
	if opt.PauseMax < opt.PauseMin {
		return nil, errors.New("callbot: load: PauseMax < PauseMin")
	}
	if opt.TurnTimeout == 0 {
		opt.TurnTimeout = defaultLoadTurnTimeout
	}
	if opt.SampleEvery <= 0 {
		opt.SampleEvery = defaultSampleEvery
	}
	endpoint, err := callsURL(opt.Server)
	if err != nil {
		return nil, err
	}
	if !isLoopbackURL(endpoint) {
		return nil, fmt.Errorf("callbot: load: %s is not a loopback address; load mode only calls a server on this machine", endpoint.Host)
	}
	var audio *loadAudio
	if opt.Idle {
		audio, err = encodeLoadAudio(nil, 0)
	} else {
		audio, err = encodeLoadAudio(opt.Utterance, opt.AudioRate)
	}
	if err != nil {
		return nil, fmt.Errorf("callbot: load: %w", err)
	}
	var clip *videoClip
	if opt.VideoPath != "" {
		if clip, err = loadVideo(opt.VideoPath); err != nil {
			return nil, fmt.Errorf("callbot: load: %w", err)
		}
	}
	hc, closeIdle := clientOr(opt.HTTPClient, 32)
	defer closeIdle()
	var probe usageProbe
	if opt.ServerPID > 0 {
		probe = procProbe{opt.ServerPID}
	} else {
		probe = metricsProbe{url: strings.TrimSuffix(endpoint.String(), "/v1/calls") + "/metrics", hc: &http.Client{Transport: hc.Transport, Timeout: 5 * time.Second}}
	}
	ramp := time.Duration(float64(opt.Calls) / opt.Ramp * float64(time.Second))
	ctx, cancel := context.WithTimeout(ctx, ramp+loadSetupTimeout+opt.Duration+2*hangUpTimeout+10*time.Second)
	defer cancel()
	lt := &loadTest{opt: opt, endpoint: endpoint, hc: hc, audio: audio, clip: clip, stop: make(chan struct{}), errs: map[string]int{}}
	return lt.run(ctx, probe), nil
}

type loadTest struct {
	opt      LoadOptions
	endpoint *url.URL
	hc       *http.Client
	audio    *loadAudio
	clip     *videoClip // every caller's camera, or nil

	holdStart atomic.Int64 // unix ns; 0 until the hold begins
	holdEnd   atomic.Int64 // unix ns; 0 until it ends
	stop      chan struct{}
	events    atomic.Int64

	mu   sync.Mutex
	errs map[string]int
}

// counting reports whether at lies in the hold.
func (lt *loadTest) counting(at time.Time) bool {
	s := lt.holdStart.Load()
	if s == 0 || at.UnixNano() < s {
		return false
	}
	e := lt.holdEnd.Load()
	return e == 0 || at.UnixNano() < e
}

func (lt *loadTest) addErr(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if _, ok := lt.errs[msg]; ok || len(lt.errs) < maxLoadErrors {
		lt.errs[msg]++
	}
}

func (lt *loadTest) run(ctx context.Context, probe usageProbe) *LoadResult {
	opt := lt.opt
	res := &LoadResult{Summary: Summary{Errors: []string{}}, Calls: opt.Calls, Idle: opt.Idle}
	res.Server.Source = probe.source()
	_, base, err := probe.sample(ctx)
	if err != nil {
		res.Server.Error = err.Error()
	}
	res.Server.RSSBaseBytes = base

	callers := make([]*loadCaller, opt.Calls)
	var setupWG, doneWG sync.WaitGroup
	start := time.Now()
	setupWG.Add(opt.Calls)
launch:
	for i := range callers {
		at := start.Add(time.Duration(float64(i) / opt.Ramp * float64(time.Second)))
		if d := time.Until(at); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				for range callers[i:] {
					setupWG.Done()
				}
				break launch
			}
		}
		c := newLoadCaller(lt, i)
		callers[i] = c
		doneWG.Add(1)
		go func() {
			defer doneWG.Done()
			c.run(ctx, setupWG.Done)
		}()
	}
	setupDone := make(chan struct{})
	go func() { setupWG.Wait(); close(setupDone) }()
	select {
	case <-setupDone:
	case <-ctx.Done():
	}

	holdStart := time.Now()
	res.RampS = holdStart.Sub(start).Seconds()
	cpu0, _, err0 := probe.sample(ctx)
	bot0, _, botErr0 := procUsage(os.Getpid())
	mach0, machErr0 := machineBusy()
	lt.holdStart.Store(holdStart.UnixNano())
	var (
		rssSum   int64
		samples  int
		rssMax   int64
		probeErr error
	)
	tick := time.NewTicker(opt.SampleEvery)
	hold := time.NewTimer(opt.Duration)
sample:
	for {
		select {
		case <-tick.C:
			_, rss, err := probe.sample(ctx)
			if err != nil {
				probeErr = err
				continue
			}
			rssSum += rss
			rssMax = max(rssMax, rss)
			samples++
		case <-hold.C:
			break sample
		case <-ctx.Done():
			break sample
		}
	}
	tick.Stop()
	hold.Stop()
	holdEnd := time.Now()
	lt.holdEnd.Store(holdEnd.UnixNano())
	cpu1, rss1, err1 := probe.sample(ctx)
	bot1, _, botErr1 := procUsage(os.Getpid())
	mach1, machErr1 := machineBusy()
	close(lt.stop)
	doneWG.Wait()

	wall := holdEnd.Sub(holdStart).Seconds()
	res.HoldS = wall
	if err := errors.Join(err0, err1, probeErr); err != nil {
		res.Server.Error = err.Error()
	}
	if err1 == nil {
		rssSum += rss1
		rssMax = max(rssMax, rss1)
		samples++
	}
	if botErr0 == nil && botErr1 == nil && wall > 0 {
		res.BotCPUCores = (bot1 - bot0) / wall
	}
	if machErr0 == nil && machErr1 == nil && wall > 0 {
		res.MachineCPUCores = (mach1 - mach0) / wall
	}

	var setups, lat []float64
	connected := 0
	for _, c := range callers {
		if c == nil {
			res.CallsFailed++
			continue
		}
		if c.connectedAt.IsZero() {
			res.CallsFailed++
		} else {
			connected++
			setups = append(setups, float64(c.connectedAt.Sub(c.postedAt))/float64(time.Millisecond))
		}
		if c.ok() {
			res.CallsOK++
		} else if !c.connectedAt.IsZero() {
			res.CallsFailed++
		}
		res.Turns += c.turns
		res.TurnsAnswered += len(c.latencies) + c.talkedOver
		res.TurnsTalkedOver += c.talkedOver
		lat = append(lat, c.latencies...)
		res.Audio.add(c.cont.c)
	}
	res.Audio.finish()
	res.SetupMS = nearestRank(setups)
	res.LatencyMS = nearestRank(lat)
	res.EventsReceived = lt.events.Load()

	u := &res.Server
	u.Samples = samples
	if err0 == nil && err1 == nil && wall > 0 {
		u.CPUCores = (cpu1 - cpu0) / wall
	}
	if samples > 0 {
		u.RSSBytes = rssSum / int64(samples)
		u.RSSMaxBytes = rssMax
	}
	if connected > 0 {
		u.CPUPerCallPct = 100 * u.CPUCores / float64(connected)
		if u.RSSBytes > 0 && u.RSSBaseBytes > 0 {
			u.RSSPerCallBytes = (u.RSSBytes - u.RSSBaseBytes) / int64(connected)
		}
	}

	type errCount struct {
		msg string
		n   int
	}
	var ec []errCount
	for m, n := range lt.errs {
		ec = append(ec, errCount{m, n})
	}
	sort.Slice(ec, func(i, j int) bool { return ec[i].n > ec[j].n || ec[i].n == ec[j].n && ec[i].msg < ec[j].msg })
	for _, e := range ec {
		res.Errors = append(res.Errors, fmt.Sprintf("%s (×%d)", e.msg, e.n))
	}
	res.OK = res.CallsFailed == 0 && (opt.Idle || res.TurnsAnswered > 0) && ctx.Err() == nil
	return res
}

// ---- one caller ----

type loadPhase int

const (
	loadPause loadPhase = iota // silence until pauseUntil
	loadSpeak                  // sending the utterance
	loadWait                   // silence until the reply is over
)

type loadCaller struct {
	peer // its mu also guards the reply watch
	lt   *loadTest
	idx  int
	rng  *rand.Rand // sender goroutine only

	track *webrtc.TrackLocalStaticSample
	video *webrtc.TrackLocalStaticSample // nil without a camera
	pli   chan struct{}

	postedAt, connectedAt time.Time // set by run before the senders start
	setupOK, hungUp       bool
	lostConn              bool

	// Reply watch: written by the track goroutine, read by the sender.
	speaking   bool      // from the start of a turn to its last speech frame
	overlap    bool      // voiced reply audio arrived while speaking
	watchFrom  time.Time // the turn's last speech frame was sent
	firstReply time.Time // first voiced reply frame at or after watchFrom
	lastVoiced time.Time

	cont continuityTracker // track goroutine; read after join

	// Sender goroutine; read after join.
	turns      int
	latencies  []float64
	talkedOver int
	answered   int // any turn, in or out of the hold
	noReply    int // turns that timed out, in or out of the hold
}

func newLoadCaller(lt *loadTest, idx int) *loadCaller {
	return &loadCaller{
		lt: lt, idx: idx,
		rng: rand.New(rand.NewPCG(lt.opt.Seed, uint64(idx))),
	}
}

// shutdown closes the peer connection and joins every goroutine.
func (c *loadCaller) shutdown() { c.close(false) }

func (c *loadCaller) ok() bool {
	return c.setupOK && !c.lostConn && c.hungUp && c.noReply == 0
}

// run sets the call up, reports setupDone (once), talks until the load
// test stops, and hangs up.
func (c *loadCaller) run(ctx context.Context, setupDone func()) {
	lt := c.lt
	once := sync.OnceFunc(setupDone)
	defer once()
	callURL, err := c.setUp(ctx)
	if err != nil {
		lt.addErr("%v", err)
		c.shutdown()
		return
	}
	if err := c.waitConnected(ctx, c.postedAt, loadSetupTimeout); err != nil {
		lt.addErr("%v", err)
	} else {
		c.connectedAt = time.Now()
		c.setupOK = true
	}
	once()
	if c.setupOK {
		senderDone := make(chan struct{})
		go func() {
			defer close(senderDone)
			c.send()
		}()
		videoDone := make(chan struct{})
		videoStop := make(chan struct{})
		if c.video != nil {
			go func() {
				defer close(videoDone)
				if err := playClip(lt.clip, c.video, c.pli, videoStop, c.log); err != nil {
					lt.addErr("video: %v", err)
				}
			}()
		} else {
			close(videoDone)
		}
		select {
		case <-lt.stop:
		case <-c.failed:
			if lt.holdEnd.Load() == 0 {
				c.lostConn = true
				lt.addErr("connection lost during the call")
			}
		case <-ctx.Done():
		}
		<-senderDone
		close(videoStop)
		<-videoDone
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hangUpTimeout)
	if err := hangUp(hctx, lt.hc, callURL, lt.opt.Token); err != nil {
		lt.addErr("hang up: %s", shortErr(err))
	} else {
		c.hungUp = true
	}
	cancel()
	c.shutdown()
}

// shortErr drops URLs (they hold call ids) so that errors group well.
func shortErr(err error) string {
	var se *SignalingError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s: %d %s", se.Method, se.Status, se.Message)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// setUp adds the audio track and the events channel and exchanges SDP.
func (c *loadCaller) setUp(ctx context.Context) (string, error) {
	if err := c.open(peerConfig{light: true}, c.lt.opt.Log.With().Int("caller", c.idx).Logger()); err != nil {
		return "", fmt.Errorf("peer connection: %w", err)
	}
	pc := c.pc
	var err error
	c.track, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: sampleRate, Channels: 2}, "audio", "callbot")
	if err != nil {
		return "", fmt.Errorf("audio track: %w", err)
	}
	tr, err := pc.AddTransceiverFromTrack(c.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		return "", fmt.Errorf("audio transceiver: %w", err)
	}
	c.readRTCP(tr.Sender(), nil)
	if c.lt.clip != nil {
		c.pli = make(chan struct{}, 1)
		if c.video, err = c.addVideo(c.lt.clip, c.pli); err != nil {
			return "", err
		}
	}
	dc, err := pc.CreateDataChannel("events", nil)
	if err != nil {
		return "", fmt.Errorf("data channel: %w", err)
	}
	dc.OnMessage(func(webrtc.DataChannelMessage) { c.lt.events.Add(1) })
	var trackOnce sync.Once
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if !c.enter() {
			return
		}
		defer c.wg.Done()
		mine := false
		if tr.Kind() == webrtc.RTPCodecTypeAudio {
			trackOnce.Do(func() { mine = true })
		}
		if mine {
			c.receive(tr)
			return
		}
		drain(tr)
	})
	offer, err := gatheredOffer(ctx, pc)
	if err != nil {
		return "", err
	}
	c.postedAt = time.Now()
	pctx, cancel := context.WithTimeout(ctx, loadSetupTimeout)
	defer cancel()
	callURL, err := c.answer(pctx, c.lt.hc, c.lt.endpoint, c.lt.opt.Token, offer)
	if err != nil {
		return "", fmt.Errorf("offer: %s", shortErr(err))
	}
	if callURL == "" {
		return "", errNoLocation
	}
	return callURL, nil
}

// loadDecodeRate: load callers decode at 16 kHz, enough to tell voiced
// from quiet and a quarter cheaper than 48 kHz.
const loadDecodeRate = 16000

// receive decodes the reply audio: voiced frames feed the reply watch, and
// every packet the continuity tracker.
func (c *loadCaller) receive(tr *webrtc.TrackRemote) {
	dec, err := media.NewOpusDecoder(loadDecodeRate, 1)
	if err != nil {
		c.lt.addErr("audio: %v", err)
	}
	var prevAt time.Time
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		if dec == nil || len(pkt.Payload) == 0 {
			continue
		}
		now := time.Now()
		pcm, err := dec.Decode(pkt.Payload)
		if err != nil {
			c.lt.addErr("audio: decode: %v", err)
			continue
		}
		voiced := dbfs(pcm) > voicedDBFS
		gaps, late := c.cont.c.Gaps, c.cont.c.LateFrames
		c.cont.push(pkt.SequenceNumber, pkt.Timestamp, now, len(pcm)*(sampleRate/loadDecodeRate), voiced, c.lt.counting(now))
		if c.cont.c.Gaps != gaps || c.cont.c.LateFrames != late {
			c.log.Debug().Uint16("seq", pkt.SequenceNumber).Bool("gap", c.cont.c.Gaps != gaps).Bool("late", c.cont.c.LateFrames != late).
				Dur("since_last", now.Sub(prevAt)).Msg("reply audio stalled")
		}
		prevAt = now
		if voiced {
			c.mu.Lock()
			c.lastVoiced = now
			switch {
			case c.speaking:
				c.overlap = true
			case !c.watchFrom.IsZero() && c.firstReply.IsZero() && !now.Before(c.watchFrom):
				c.firstReply = now
			}
			c.mu.Unlock()
		}
	}
}

// beginTurn: the caller starts speaking.
func (c *loadCaller) beginTurn() {
	c.mu.Lock()
	c.speaking, c.overlap = true, false
	c.watchFrom, c.firstReply = time.Time{}, time.Time{}
	c.mu.Unlock()
}

// watch: the last speech frame went out at from; the reply is the first
// voiced frame at or after it.
func (c *loadCaller) watch(from time.Time) {
	c.mu.Lock()
	c.speaking = false
	c.watchFrom, c.firstReply = from, time.Time{}
	c.mu.Unlock()
}

func (c *loadCaller) reply() (first, last time.Time, overlap bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.firstReply, c.lastVoiced, c.overlap
}

// send writes a 20 ms frame per tick (the frames due at once after a late
// wake-up) until the load test stops: pause, utterance, wait for the reply,
// pause, and so on.
func (c *loadCaller) send() {
	lt, opt, a := c.lt, c.lt.opt, c.lt.audio
	phase := loadPause
	pauseUntil := time.Now().Add(time.Duration(c.rng.Int64N(int64(opt.PauseMax) + 1)))
	var (
		pos                 int
		speechEnd, waitFrom time.Time
	)
	pause := func(now time.Time) {
		phase = loadPause
		pauseUntil = now.Add(opt.PauseMin + time.Duration(c.rng.Int64N(int64(opt.PauseMax-opt.PauseMin)+1)))
	}
	pace := newFramePacer(clock.Real())
	defer pace.Stop()
	for sent := 0; ; {
		due := pace.due()
		for ; sent < due; sent++ {
			now := time.Now()
			payload := a.silence
			switch phase {
			case loadPause:
				if opt.Idle || now.Before(pauseUntil) {
					break
				}
				phase, pos = loadSpeak, 0
				c.beginTurn()
				fallthrough
			case loadSpeak:
				payload = a.packets[pos]
				if pos == a.lastSpeech {
					speechEnd = now
					c.watch(speechEnd)
				}
				pos++
			case loadWait:
				first, last, overlap := c.reply()
				switch {
				case !first.IsZero():
					if last.Before(first) {
						last = first
					}
					if now.Sub(last) >= loadReplyQuiet {
						c.answered++
						counted := lt.counting(speechEnd)
						c.log.Debug().Dur("latency", first.Sub(speechEnd)).Dur("reply", last.Sub(first)).Bool("talked_over", overlap).Bool("counted", counted).Msg("turn answered")
						switch {
						case !counted:
						case overlap:
							c.turns++
							c.talkedOver++
						default:
							c.turns++
							c.latencies = append(c.latencies, float64(first.Sub(speechEnd))/float64(time.Millisecond))
						}
						pause(now)
					}
				case now.Sub(waitFrom) >= opt.TurnTimeout:
					c.noReply++
					lt.addErr("no reply audio %s after a turn", opt.TurnTimeout)
					if lt.counting(speechEnd) {
						c.turns++
					}
					pause(now)
				}
			}
			if err := c.track.WriteSample(pmedia.Sample{Data: payload, Duration: media.FrameDuration}); err != nil {
				lt.addErr("audio: write: %v", err)
				return
			}
			if phase == loadSpeak && pos == len(a.packets) {
				phase, waitFrom = loadWait, now
			}
		}
		select {
		case <-lt.stop:
			return
		case <-c.failed:
			return
		case <-pace.C():
		}
	}
}
