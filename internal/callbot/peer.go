package callbot

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// peer is the caller core both modes share (a single scripted call and
// each load-mode caller): the peer connection, the goroutines it starts
// (joined by close), its connected and failed signals, and the SDP
// exchange with the server.
type peer struct {
	pc  *webrtc.PeerConnection
	log zerolog.Logger

	wg        sync.WaitGroup // every goroutine of the call, joined by close
	connected chan struct{}  // closed once connected
	connOnce  sync.Once
	failed    chan struct{} // closed once failed or closed
	failOnce  sync.Once

	// mu guards closing, and the embedding caller's shared fields.
	mu      sync.Mutex
	closing bool // no more goroutines join wg
}

// peerConfig chooses the peer connection's transport.
type peerConfig struct {
	// net, when set, replaces the OS network (pion vnet in tests);
	// loopback candidates are then not gathered.
	net transport.Net
	// light: IPv4 UDP only, RTCP reports as the only interceptor (no NACK,
	// stats or TWCC): a lighter caller leaves more of a shared machine to
	// the server under load.
	light bool
}

// open creates the peer connection and wires its state signals.
func (p *peer) open(cfg peerConfig, log zerolog.Logger) error {
	p.log = log
	p.connected = make(chan struct{})
	p.failed = make(chan struct{})
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return err
	}
	ir := &interceptor.Registry{}
	var err error
	if cfg.light {
		err = webrtc.ConfigureRTCPReports(ir)
	} else {
		err = webrtc.RegisterDefaultInterceptors(me, ir)
	}
	if err != nil {
		return err
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if cfg.net != nil {
		se.SetNet(cfg.net)
	} else {
		se.SetIncludeLoopbackCandidate(true)
	}
	if cfg.light {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	p.pc = pc
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		p.log.Debug().Str("state", s.String()).Msg("connection state")
		switch s {
		case webrtc.PeerConnectionStateConnected:
			p.connOnce.Do(func() { close(p.connected) })
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			p.failOnce.Do(func() { close(p.failed) })
		}
	})
	return nil
}

// enter registers a goroutine running a pion callback; false once the call
// is shutting down.
func (p *peer) enter() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return false
	}
	p.wg.Add(1)
	return true
}

// goJoined runs f on a goroutine that close joins.
func (p *peer) goJoined(f func()) {
	if !p.enter() {
		return
	}
	go func() {
		defer p.wg.Done()
		f()
	}()
}

// readRTCP keeps the sender's interceptors running; PLIs go to pli (if
// not nil).
func (p *peer) readRTCP(s *webrtc.RTPSender, pli chan<- struct{}) {
	p.goJoined(func() {
		for {
			pkts, _, err := s.ReadRTCP()
			if err != nil {
				return
			}
			if pli == nil {
				continue
			}
			for _, pkt := range pkts {
				switch pkt.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					select {
					case pli <- struct{}{}:
					default:
					}
				}
			}
		}
	})
}

// drain reads a track it does not use until it ends.
func drain(tr *webrtc.TrackRemote) {
	for {
		if _, _, err := tr.ReadRTP(); err != nil {
			return
		}
	}
}

// waitConnected waits for the connection until limit after since; the
// error says why it was not established.
func (p *peer) waitConnected(ctx context.Context, since time.Time, limit time.Duration) error {
	t := time.NewTimer(limit - time.Since(since))
	defer t.Stop()
	select {
	case <-p.connected:
		p.log.Debug().Msg("connected")
		return nil
	case <-p.failed:
		return fmt.Errorf("connection failed before it was established")
	case <-t.C:
		return fmt.Errorf("not connected %s after the offer", limit)
	case <-ctx.Done():
		return fmt.Errorf("cut short while connecting: %v", ctx.Err())
	}
}

// answer posts the gathered offer and applies the server's answer. It
// returns the call's URL ("" if the server sent no Location). The answer
// rejected, the call is hung up.
func (p *peer) answer(ctx context.Context, hc *http.Client, endpoint *url.URL, token, offer string) (string, error) {
	sdp, callURL, err := postOffer(ctx, hc, endpoint, token, offer)
	if err != nil {
		return "", err
	}
	p.log.Debug().Str("call", callURL).Msg("answer received")
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		if callURL != "" {
			hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hangUpTimeout)
			_ = hangUp(hctx, hc, callURL, token)
			cancel()
		}
		return "", fmt.Errorf("the server's answer was rejected: %w", err)
	}
	return callURL, nil
}

// close stops new goroutines, closes the peer connection (gracefully:
// waiting for its own goroutines) and joins every goroutine of the call.
func (p *peer) close(graceful bool) {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	if p.pc != nil {
		var err error
		if graceful {
			err = p.pc.GracefulClose()
		} else {
			err = p.pc.Close()
		}
		if err != nil {
			p.log.Debug().Err(err).Msg("close")
		}
	}
	p.wg.Wait()
}
