package session_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/session"
)

// peer is a connected pion caller with an Opus track and the events channel.
type peer struct {
	pc     *webrtc.PeerConnection
	dc     *webrtc.DataChannel
	track  *webrtc.TrackLocalStaticSample
	call   *session.Call
	answer string
	events chan events.Event
	open   chan struct{}
}

func dial(t *testing.T, m *session.Manager) *peer {
	t.Helper()
	return dialWith(t, m, session.CreateOptions{})
}

func dialWith(t *testing.T, m *session.Manager, opt session.CreateOptions) *peer {
	t.Helper()
	p, err := connectWith(m, opt)
	if p != nil {
		t.Cleanup(func() { _ = p.pc.Close() })
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// connect places a call on m and waits until its events channel is open.
// On error, the returned peer (if any) still needs closing.
func connect(m *session.Manager) (*peer, error) { return connectWith(m, session.CreateOptions{}) }

func connectWith(m *session.Manager, opt session.CreateOptions) (*peer, error) {
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "test")
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	if _, err := pc.AddTrack(track); err != nil {
		_ = pc.Close()
		return nil, err
	}
	dc, err := pc.CreateDataChannel("events", nil)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	p := &peer{pc: pc, dc: dc, track: track, events: make(chan events.Event, 512), open: make(chan struct{})}
	dc.OnOpen(func() { close(p.open) })
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		var ev events.Event
		if json.Unmarshal(msg.Data, &ev) == nil {
			select {
			case p.events <- ev:
			default:
			}
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		_ = pc.Close()
		return nil, err
	}
	<-gathered
	call, answer, err := m.CreateWith(context.Background(), pc.LocalDescription().SDP, opt)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		_ = pc.Close()
		call.Close(session.ReasonSetupFailed)
		return nil, err
	}
	p.call, p.answer = call, answer
	select {
	case <-p.open:
	case <-time.After(15 * time.Second):
		return p, errors.New("events channel did not open")
	}
	return p, nil
}

// next returns the next event of type typ, skipping others.
func (p *peer) next(t *testing.T, typ string) events.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-p.events:
			if ev.Type == typ {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", typ)
			return events.Event{}
		}
	}
}

// speak sends 20 ms Opus frames (a 300 Hz tone at amp, 0 = digital
// silence) until stop is closed.
func (p *peer) speak(t *testing.T, amp float64, stop <-chan struct{}) *sync.WaitGroup {
	t.Helper()
	enc, err := media.NewOpusEncoder(48000, 1, media.EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		pcm := make([]int16, 960)
		n := 0
		for {
			for i := range pcm {
				pcm[i] = int16(amp * 32767 * math.Sin(2*math.Pi*300*float64(n)/48000))
				n++
			}
			pkt, err := enc.Encode(pcm)
			if err != nil {
				return
			}
			_ = p.track.WriteSample(pmedia.Sample{Data: append([]byte(nil), pkt...), Duration: 20 * time.Millisecond})
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return &wg
}

func waitDone(t *testing.T, c *session.Call, within time.Duration) session.CloseReason {
	t.Helper()
	select {
	case <-c.Done():
		return c.Reason()
	case <-time.After(within):
		t.Fatal("call did not end")
		return ""
	}
}

// manualClock is a manual clock reading now, and a context for waits.
func manualClock(t *testing.T) (*clock.Manual, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return clock.NewManual(time.Now()), ctx
}

// armed waits until n calls have armed their timers (connect, maximum
// duration, idle ticker, the paced writer's ticker: four each).
func armed(t *testing.T, ctx context.Context, mc *clock.Manual, n int) {
	t.Helper()
	if err := mc.WaitFor(ctx, 4*n); err != nil {
		t.Fatalf("%d calls' timers not armed: %v", n, err)
	}
}

// heardAt waits until p's call has taken a loud frame at the clock's
// current time, so the next step of the clock finds it active.
func heardAt(t *testing.T, ctx context.Context, p *peer) {
	t.Helper()
	until(t, ctx, "caller activity reached the call", func() bool { return session.LastActive(p.call) >= session.Age(p.call) })
}

// until polls cond until it holds or ctx ends.
func until(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("never: %s", what)
		case <-time.After(time.Millisecond):
		}
	}
}

// ended reports whether c has ended already.
func ended(c *session.Call) bool {
	select {
	case <-c.Done():
		return true
	default:
		return false
	}
}

func TestIdleTimeout(t *testing.T) {
	mc, ctx := manualClock(t)
	m := newManager(t, session.Config{IdleTimeout: 600 * time.Millisecond, Clock: mc})
	quiet, loud := dial(t, m), dial(t, m)
	armed(t, ctx, mc, 2)
	stop := make(chan struct{})
	wq := quiet.speak(t, 0, stop)
	stopLoud := make(chan struct{})
	wl := loud.speak(t, 0.3, stopLoud)
	defer func() { close(stop); wq.Wait() }()

	// 100 ms steps, each taken once the speaking caller was heard: the
	// silent caller is ended for idleness after 600 ms, the speaking one
	// never is.
	steps := func(n int) {
		for range n {
			heardAt(t, ctx, loud)
			mc.Advance(100 * time.Millisecond)
		}
	}
	steps(6)
	if ended(quiet.call) {
		t.Fatalf("quiet call ended at 600 ms, before its idle timeout: %s", quiet.call.Reason())
	}
	steps(1)
	if r := waitDone(t, quiet.call, 15*time.Second); r != session.ReasonIdleTimeout {
		t.Fatalf("quiet call: reason %s, want %s", r, session.ReasonIdleTimeout)
	}
	steps(10)
	if ended(loud.call) {
		t.Fatalf("speaking call ended: %s", loud.call.Reason())
	}
	// Once it falls silent, it is ended too.
	close(stopLoud)
	wl.Wait()
	for i := 0; i < 8; i++ {
		mc.Advance(100 * time.Millisecond)
	}
	if r := waitDone(t, loud.call, 15*time.Second); r != session.ReasonIdleTimeout {
		t.Fatalf("loud call after it fell silent: reason %s", r)
	}
	if got := m.ClosedByReason()[session.ReasonIdleTimeout]; got != 2 {
		t.Fatalf("idle_timeout count %d", got)
	}
}

func TestMaxDuration(t *testing.T) {
	mc, ctx := manualClock(t)
	m := newManager(t, session.Config{MaxDuration: 700 * time.Millisecond, Clock: mc})
	p := dial(t, m)
	armed(t, ctx, mc, 1)
	stop := make(chan struct{})
	w := p.speak(t, 0.3, stop)
	defer func() { close(stop); w.Wait() }()
	mc.Advance(699 * time.Millisecond)
	if ended(p.call) {
		t.Fatalf("call ended before its maximum duration: %s", p.call.Reason())
	}
	mc.Advance(time.Millisecond)
	if r := waitDone(t, p.call, 15*time.Second); r != session.ReasonMaxDuration {
		t.Fatalf("reason %s, want %s", r, session.ReasonMaxDuration)
	}
}

func TestCommandLimits(t *testing.T) {
	mc, ctx := manualClock(t)
	m := newManager(t, session.Config{CommandRate: 5, CommandBurst: 5, Clock: mc})
	p := dial(t, m)
	// The answer caps data-channel messages, and pion refuses to send more.
	if !strings.Contains(p.answer, "a=max-message-size:65536") {
		t.Fatalf("answer does not cap the message size:\n%s", p.answer)
	}
	if err := p.dc.SendText(strings.Repeat("x", 70<<10)); err == nil {
		t.Fatal("a 70 KiB message was sent past max-message-size")
	}
	// input.text over its limit is refused with a reason.
	big, _ := json.Marshal(map[string]string{"type": "input.text", "text": strings.Repeat("a", events.MaxTextLen+1)})
	if err := p.dc.SendText(string(big)); err != nil {
		t.Fatal(err)
	}
	if ev := p.next(t, events.TypeError); ev.Code != events.CodeTooLarge {
		t.Fatalf("long input.text: %+v, want too_large", ev)
	}
	// A flood: the bucket lets its burst through, then drops with one
	// warning. The clock stands still, so nothing refills.
	for i := 0; i < 50; i++ {
		if err := p.dc.SendText(`{"type":"bogus"}`); err != nil {
			t.Fatal(err)
		}
	}
	// 4 got through (5 in the burst minus the one input.text); once the
	// other 46 were dropped, a second later the bucket holds 5 again. The
	// echo pipeline answers the marker after everything the flood caused
	// (one ordered channel).
	until(t, ctx, "46 messages dropped", func() bool { return session.DroppedCommands(p.call) >= 46 })
	mc.Advance(time.Second)
	if err := p.dc.SendText(`{"type":"input.text","text":"marker"}`); err != nil {
		t.Fatal(err)
	}
	unknown, limited := 0, 0
collect:
	for {
		ev := p.next(t, events.TypeError)
		switch ev.Code {
		case events.CodeUnknownType:
			unknown++
		case events.CodeRateLimited:
			limited++
		case events.CodeUnsupported:
			break collect
		}
	}
	if unknown != 4 || limited != 1 || session.DroppedCommands(p.call) != 46 {
		t.Fatalf("flood of 50: %d answered, %d rate_limited warnings; want 4 and 1", unknown, limited)
	}
	if m.Active() != 1 {
		t.Fatal("the flood ended the call")
	}
	_ = p.dc.SendText(`{"type":"bogus"}`)
	if ev := p.next(t, events.TypeError); ev.Code != events.CodeUnknownType {
		t.Fatalf("after the flood: %+v", ev)
	}
}

// busyPipeline says it is speaking until released, then listening.
type busyPipeline struct{ release chan struct{} }

func (busyPipeline) Name() string               { return "busy" }
func (busyPipeline) Engines() map[string]string { return nil }
func (b busyPipeline) Run(ctx context.Context, io *pipeline.IO) error {
	io.Emit(pipeline.StateChanged{State: pipeline.StateSpeaking})
	select {
	case <-b.release:
		io.Emit(pipeline.StateChanged{State: pipeline.StateListening})
	case <-ctx.Done():
		return nil
	}
	<-ctx.Done()
	return nil
}

func TestDrainLetsRepliesFinish(t *testing.T) {
	release := make(chan struct{})
	m := newManager(t, session.Config{Pipeline: busyPipeline{release: release}})
	p := dial(t, m)
	p.next(t, events.TypeSessionReady)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	drained := make(chan struct{})
	go func() { defer close(drained); m.Drain(ctx) }()

	ev := p.next(t, events.TypeSessionEnding)
	if ev.Reason != string(session.ReasonServerShutdown) || ev.DeadlineMS <= 0 {
		t.Fatalf("session.ending %+v", ev)
	}
	if _, _, err := m.Create(context.Background(), p.pc.LocalDescription().SDP); !errors.Is(err, session.ErrClosed) {
		t.Fatalf("create while draining: %v", err)
	}
	select {
	case <-p.call.Done():
		t.Fatal("call ended while its reply was playing")
	case <-time.After(500 * time.Millisecond):
	}
	close(release)
	if r := waitDone(t, p.call, 10*time.Second); r != session.ReasonServerShutdown {
		t.Fatalf("reason %s", r)
	}
	<-drained
}

func TestDrainDeadline(t *testing.T) {
	m := newManager(t, session.Config{Pipeline: busyPipeline{release: make(chan struct{})}})
	p := dial(t, m)
	p.next(t, events.TypeSessionReady)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	m.Drain(ctx) // the reply never ends: the deadline ends the call
	if r := waitDone(t, p.call, 10*time.Second); r != session.ReasonServerShutdown {
		t.Fatalf("reason %s", r)
	}
}
