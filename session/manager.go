package session

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/transcript"
)

// Manager creates calls and keeps the registry of live ones.
type Manager struct {
	cfg       Config
	se        webrtc.SettingEngine // each call's API copies it, adding its logger
	pionLevel zerolog.Level        // Config.PionLogLevel
	udpMux    ice.UDPMux
	muxPC     net.PacketConn
	tcpMux    ice.TCPMux
	tcpLn     net.Listener

	mu      sync.Mutex
	calls   map[string]*Call
	pending int // calls admitted whose transcript is being created (counted against MaxCalls)
	perIP   map[string]int
	// decodeSlots: cameras decoding at once, one fewer than GOMAXPROCS
	// (at least one), so that a Go processor is always free for audio.
	decodeSlots chan struct{}
	video       int // cameras being decoded (Config.MaxVideoCalls)
	closed      bool
	wg          sync.WaitGroup // one per call supervisor, and one per creation in flight

	// createLog opens a call's transcript (Config.Transcripts.Create; a
	// test may wrap it). It runs outside mu: it touches the disk.
	createLog func(id, secret, pipeline string) (*transcript.Log, error)

	// activity is the sum of squares of a caller frame at ActivityLevel:
	// louder frames count as activity for the idle timeout.
	activity float64

	total   atomic.Uint64
	reasons sync.Map // CloseReason → *atomic.Uint64

	resumes resumeIndex // resume credentials (resume.go)
}

// NewManager checks the configuration and builds the pion settings that
// every call shares.
func NewManager(cfg Config) (*Manager, error) {
	cfg.setDefaults()
	if cfg.Pipeline == nil {
		return nil, errors.New("session: Config.Pipeline is required")
	}
	m := &Manager{cfg: cfg, calls: make(map[string]*Call), perIP: make(map[string]int),
		activity:    media.FrameSamples * 32768 * 32768 * math.Pow(10, cfg.ActivityLevel/10),
		decodeSlots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))}
	if cfg.Transcripts != nil {
		m.createLog = cfg.Transcripts.Create
	}
	lvl, err := zerolog.ParseLevel(cfg.PionLogLevel)
	if err != nil {
		return nil, fmt.Errorf("session: PionLogLevel: %w", err)
	}
	m.pionLevel = lvl

	se := webrtc.SettingEngine{}
	dtlsTimeout := cfg.DTLSTimeout
	se.SetDTLSConnectContextMaker(func() (context.Context, func()) {
		return context.WithTimeout(context.Background(), dtlsTimeout)
	})
	se.SetSCTPMaxMessageSize(cfg.SCTPMaxMessageSize)
	se.SetICETimeouts(cfg.ICEDisconnectedTimeout, cfg.ICEFailedTimeout, cfg.ICEKeepalive)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	if cfg.Net != nil {
		se.SetNet(cfg.Net)
	}
	if len(cfg.PublicIPs) > 0 {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        cfg.PublicIPs,
			AsCandidateType: webrtc.ICECandidateTypeHost,
		}); err != nil {
			return nil, fmt.Errorf("session: public ip: %w", err)
		}
	}
	if cfg.UDPPortMin != 0 || cfg.UDPPortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
			return nil, fmt.Errorf("session: udp port range: %w", err)
		}
	}
	if cfg.UDPMuxPort != 0 {
		pc, err := net.ListenUDP("udp", &net.UDPAddr{Port: cfg.UDPMuxPort})
		if err != nil {
			return nil, fmt.Errorf("session: udp mux port %d: %w", cfg.UDPMuxPort, err)
		}
		m.muxPC = pc
		m.udpMux = webrtc.NewICEUDPMux(nil, pc)
		se.SetICEUDPMux(m.udpMux)
	}
	if cfg.TCPPort != 0 {
		if err := m.listenTCP(&se); err != nil {
			m.closeMuxes()
			return nil, err
		}
	}
	m.se = se
	if _, err := m.newAPI(cfg.Log); err != nil {
		m.closeMuxes()
		return nil, err
	}
	return m, nil
}

// cameraCodecs are the video codecs a call accepts. The answer lists the
// ones both sides have in the offer's order, so a client whose hardware
// encodes H.264 and offers it first sends H.264. H.264 is packetization
// mode 1 only (what video.Receiver depacketizes): constrained baseline
// (42e0), main (4d00) and baseline (4200, which pion and Chrome also offer
// and libavcodec decodes without FMO/ASO, features no camera encoder uses);
// pion matches an offer's profile-level-id by profile, not level.
var cameraCodecs = []webrtc.RTPCodecParameters{
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}, PayloadType: 102},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f"}, PayloadType: 104},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"}, PayloadType: 106},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000, SDPFmtpLine: "profile-id=0"}, PayloadType: 98},
}

// newAPI builds one call's pion API: the shared settings, with pion's logs
// going to log (the call's logger), and its own media engine and
// interceptors, which take the logger when registered. About 6–10 µs, a
// twentieth of NewPeerConnection alone (BENCHMARKS.md, "Call set-up").
func (m *Manager) newAPI(log zerolog.Logger) (*webrtc.API, error) {
	logs := pionLogs{log: log.Level(max(log.GetLevel(), m.pionLevel))}
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("session: register opus: %w", err)
	}
	videoFB := []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	for _, c := range cameraCodecs {
		c.RTCPFeedback = videoFB
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: c.RTPCodecCapability, PayloadType: c.PayloadType},
			webrtc.RTPCodecTypeVideo); err != nil {
			return nil, fmt.Errorf("session: register %s: %w", c.MimeType, err)
		}
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptorsWithOptions(me, ir, webrtc.WithInterceptorLoggerFactory(logs)); err != nil {
		return nil, fmt.Errorf("session: interceptors: %w", err)
	}
	se := m.se
	se.LoggerFactory = logs
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// ICEServers returns the configured STUN/TURN servers.
func (m *Manager) ICEServers() []webrtc.ICEServer { return m.cfg.ICEServers }

// Active returns the number of live calls.
func (m *Manager) Active() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.calls)
}

// Total returns the number of calls created since start.
func (m *Manager) Total() uint64 { return m.total.Load() }

// ClosedByReason returns how many calls ended for each reason.
func (m *Manager) ClosedByReason() map[CloseReason]uint64 {
	out := map[CloseReason]uint64{}
	m.reasons.Range(func(k, v any) bool {
		out[k.(CloseReason)] = v.(*atomic.Uint64).Load()
		return true
	})
	return out
}

// CreateOptions describe who asks for a call.
type CreateOptions struct {
	// ClientIP is the caller's address, for Config.MaxCallsPerIP; empty
	// means unknown (not counted).
	ClientIP string
	// Protocols, when set, replaces Config.Protocols for this call: a
	// signaling route that speaks one client protocol offers only its
	// codec.
	Protocols map[string]func() pipeline.Protocol
}

// Create negotiates a new call from an SDP offer and returns it with the
// SDP answer (candidates gathered).
func (m *Manager) Create(ctx context.Context, offer string) (*Call, string, error) {
	return m.CreateWith(ctx, offer, CreateOptions{})
}

// CreateWith is Create with the caller's details.
func (m *Manager) CreateWith(ctx context.Context, offer string, opt CreateOptions) (*Call, string, error) {
	if err := ValidateOffer(offer); err != nil {
		return nil, "", err
	}
	id, err := newID()
	if err != nil {
		return nil, "", err
	}
	secret, err := newID()
	if err != nil {
		return nil, "", err
	}
	m.mu.Lock()
	switch {
	case m.closed:
		m.mu.Unlock()
		return nil, "", ErrClosed
	case len(m.calls)+m.pending >= m.cfg.MaxCalls:
		m.mu.Unlock()
		return nil, "", fmt.Errorf("%w: the limit is %d", ErrTooManyCalls, m.cfg.MaxCalls)
	case opt.ClientIP != "" && m.cfg.MaxCallsPerIP > 0 && m.perIP[opt.ClientIP] >= m.cfg.MaxCallsPerIP:
		m.mu.Unlock()
		return nil, "", fmt.Errorf("%w: the limit is %d", ErrTooManyCallsFromIP, m.cfg.MaxCallsPerIP)
	}
	// Admitted: the call holds its place in the limits while its
	// transcript is created, without the lock (Get, Active and other
	// callers' Create do not wait on the disk). Close waits for it.
	m.pending++
	if opt.ClientIP != "" {
		m.perIP[opt.ClientIP]++
	}
	m.wg.Add(1)
	m.mu.Unlock()
	c := newCall(m, id, secret, opt.ClientIP)
	if opt.Protocols != nil {
		c.protocols = opt.Protocols
	}
	// abandon gives the place back when the call does not start.
	abandon := func(err error) (*Call, string, error) {
		m.mu.Lock()
		m.pending--
		m.releaseIP(opt.ClientIP)
		m.mu.Unlock()
		c.cancel()
		m.wg.Done()
		return nil, "", err
	}
	if m.createLog != nil {
		// Nothing the user says may be lost: no transcript, no call.
		tl, err := m.createLog(id, secret, m.cfg.Pipeline.Name())
		if err != nil {
			return abandon(fmt.Errorf("session: %w", err))
		}
		c.tlog = tl
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		if c.tlog != nil {
			if err := c.tlog.Discard(); err != nil {
				c.log.Error().Err(err).Msg("transcript")
			}
		}
		return abandon(ErrClosed)
	}
	m.pending--
	m.calls[id] = c
	m.resumes.issue(c)
	m.mu.Unlock()
	m.total.Add(1)

	if c.tlog != nil {
		go c.writeTranscript() // joined by teardown (tdone)
	} else {
		close(c.tdone)
	}
	go func() {
		defer m.wg.Done()
		c.supervise()
	}()

	answer, err := c.negotiate(ctx, offer)
	if err != nil {
		c.Close(ReasonSetupFailed)
		return nil, "", err
	}
	return c, answer, nil
}

// Authorize returns a live call by id if secret is the call's own secret
// (compared in constant time).
func (m *Manager) Authorize(id, secret string) (*Call, error) {
	c, err := m.Get(id)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(c.secret)) != 1 {
		return nil, ErrForbidden
	}
	return c, nil
}

// Get returns a live call by id.
func (m *Manager) Get(id string) (*Call, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.calls[id]
	if !ok {
		return nil, ErrCallNotFound
	}
	return c, nil
}

// Hangup ends a call on the client's request.
func (m *Manager) Hangup(id string) error {
	c, err := m.Get(id)
	if err != nil {
		return err
	}
	c.Close(ReasonClientHangup)
	return nil
}

// Drain refuses new calls, tells every live call that the server is
// shutting down (a session.ending event), lets replies in progress finish,
// and ends each call once its assistant is neither thinking nor speaking,
// or when ctx is done, whichever comes first. It returns when every call
// has been asked to close; Close waits for the teardowns.
func (m *Manager) Drain(ctx context.Context) {
	calls := m.refuseNew()
	deadline, hasDeadline := ctx.Deadline()
	for _, c := range calls {
		ev := pipeline.Ending{Reason: string(ReasonServerShutdown)}
		if hasDeadline {
			ev.DeadlineMS = float64(time.Until(deadline).Milliseconds()) // a context deadline is wall time
		}
		c.emit(ev)
	}
	tick := m.cfg.Clock.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		rest := calls[:0]
		for _, c := range calls {
			// Wait for a reply in progress, and for session.ending to be
			// handed to the client's channel (an idle call closed at once
			// lost it).
			if (c.busy.Load() || c.eventsPending()) && ctx.Err() == nil {
				rest = append(rest, c)
				continue
			}
			c.requestClose(ReasonServerShutdown)
		}
		if calls = rest; len(calls) == 0 {
			return
		}
		select {
		case <-tick.C():
		case <-ctx.Done():
		}
	}
}

// refuseNew makes Create refuse new calls and returns the live ones.
func (m *Manager) refuseNew() []*Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	calls := make([]*Call, 0, len(m.calls))
	for _, c := range m.calls {
		calls = append(calls, c)
	}
	return calls
}

// Close ends every call with reason, refuses new ones, and waits until all
// of them are torn down.
func (m *Manager) Close(reason CloseReason) error {
	for _, c := range m.refuseNew() {
		c.requestClose(reason)
	}
	m.wg.Wait()
	m.closeMuxes()
	return nil
}

func (m *Manager) remove(c *Call, reason CloseReason) {
	m.mu.Lock()
	delete(m.calls, c.id)
	m.releaseIP(c.clientIP)
	m.resumes.retire(c, reason, m.cfg.Clock.Now())
	m.mu.Unlock()
	v, _ := m.reasons.LoadOrStore(reason, new(atomic.Uint64))
	v.(*atomic.Uint64).Add(1)
}

// takeVideo reserves a place for one more decoded camera; false when
// MaxVideoCalls are decoding. releaseVideo gives it back.
func (m *Manager) takeVideo() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cfg.MaxVideoCalls < 0 || (m.cfg.MaxVideoCalls > 0 && m.video >= m.cfg.MaxVideoCalls) {
		return false
	}
	m.video++
	return true
}

func (m *Manager) releaseVideo() {
	m.mu.Lock()
	m.video--
	m.mu.Unlock()
}

// VideoCalls returns how many cameras are being decoded.
func (m *Manager) VideoCalls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.video
}

// releaseIP gives back one of ip's places in MaxCallsPerIP; mu is held.
func (m *Manager) releaseIP(ip string) {
	if ip == "" {
		return
	}
	if m.perIP[ip]--; m.perIP[ip] <= 0 {
		delete(m.perIP, ip)
	}
}

// newID returns 128 random bits in hex.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("session: call id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
