package openairt

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/internal/fakerealtime"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/tts/espeak"
)

// fake starts a transcription server; espeak-ng is there only because
// the fake's Options require a voice (transcription sessions never speak).
func fake(t *testing.T, opt fakerealtime.Options) *fakerealtime.Server {
	t.Helper()
	v, err := espeak.New(espeak.Options{})
	if err != nil {
		t.Skip("espeak-ng:", err)
	}
	t.Cleanup(func() { v.Close() })
	opt.TTS = v
	s := fakerealtime.Start(opt)
	t.Cleanup(s.Close)
	return s
}

func engine(t *testing.T, srv *fakerealtime.Server, o Options) *Engine {
	t.Helper()
	o.URL = srv.URL()
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// tone is n samples of a 440 Hz tone.
func tone(n int) []int16 {
	p := make([]int16, n)
	for i := range p {
		p[i] = int16(8000 * sinApprox(float64(i)*440/stt.SampleRate))
	}
	return p
}

// sinApprox is a triangle wave in [-1,1] with period 1.
func sinApprox(x float64) float64 {
	x -= float64(int(x))
	if x < 0.5 {
		return 4*x - 1
	}
	return 3 - 4*x
}

// feed writes pcm in 20 ms frames, as the dialogue engine does.
func feed(t *testing.T, s stt.Stream, pcm []int16) {
	t.Helper()
	for len(pcm) > 0 {
		k := min(320, len(pcm))
		if err := s.Write(pcm[:k]); err != nil {
			t.Fatal(err)
		}
		pcm = pcm[k:]
	}
}

func open(t *testing.T, e *Engine, ctx context.Context, ad *stt.Adaptation) stt.Stream {
	t.Helper()
	s, err := e.NewStream(ctx, stt.StreamOptions{Adaptation: ad})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// appended counts the 24 kHz samples of the appends in evs.
func appended(t *testing.T, evs []wire.Event) int {
	n := 0
	for _, ev := range evs {
		if a, ok := ev.(*wire.InputAudioBufferAppend); ok {
			b, err := decode(a.Audio)
			if err != nil {
				t.Fatal(err)
			}
			n += b
		}
	}
	return n
}

func decode(b64 string) (int, error) {
	n := len(b64) / 4 * 3
	switch {
	case len(b64) >= 2 && b64[len(b64)-2:] == "==":
		n -= 2
	case len(b64) >= 1 && b64[len(b64)-1:] == "=":
		n--
	}
	if n%2 != 0 {
		return 0, fmt.Errorf("odd PCM byte count %d", n)
	}
	return n / 2, nil
}

func TestTranscribeStreamsAndCommits(t *testing.T) {
	srv := fake(t, fakerealtime.Options{})
	srv.SetTranscript("what time is it")
	e := engine(t, srv, Options{APIKey: "sk-test", Language: "en-US", Prompt: "Duplex"})
	if e.Name() != "openai-realtime:gpt-4o-transcribe" {
		t.Fatal(e.Name())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ad stt.Adaptation
	s := open(t, e, ctx, &ad)
	feed(t, s, tone(stt.SampleRate)) // 1 s
	// The audio reaches the server during the turn, before any commit.
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := srv.Wait(wctx, func(evs []wire.Event) bool { return appended(t, evs) >= SampleRate*9/10 }); err != nil {
		t.Fatalf("appends before the commit: %v", err)
	}
	res, err := s.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "what time is it" || res.Confidence != -1 {
		t.Fatalf("result %+v", res)
	}
	if p := s.Partial(); p != "what time is it" {
		t.Fatalf("partial from the deltas: %q", p)
	}
	evs := srv.Received()
	up, ok := evs[0].(*wire.SessionUpdate)
	if !ok {
		t.Fatalf("first event %T", evs[0])
	}
	in := up.Session.Audio.Input
	if up.Session.Type != wire.SessionTranscription || in.Format.Type != wire.FormatPCM || in.Format.Rate != 24000 ||
		!in.TurnDetection.Present || in.TurnDetection.Value != nil ||
		in.Transcription.Value == nil || in.Transcription.Value.Model != DefaultModel || in.Transcription.Value.Language != "en" || in.Transcription.Value.Prompt != "Duplex" {
		t.Fatalf("session.update %+v input %+v", up.Session, in)
	}
	last := evs[len(evs)-1]
	if _, ok := last.(*wire.InputAudioBufferCommit); !ok {
		t.Fatalf("last event %T, want the commit after every append", last)
	}
	if n := appended(t, evs); n != SampleRate {
		t.Fatalf("%d samples appended, want %d (1 s at 24 kHz)", n, SampleRate)
	}
	// The call's next turn uses the same socket.
	srv.SetTranscript("thanks")
	s2 := open(t, e, ctx, &ad)
	feed(t, s2, tone(stt.SampleRate/2))
	if res, err := s2.Finish(ctx); err != nil || res.Text != "thanks" {
		t.Fatalf("second turn %+v %v", res, err)
	}
	if conns, _ := srv.Conns(); conns != 1 {
		t.Fatalf("%d sockets for one call", conns)
	}
	if _, err := s2.Finish(ctx); !errors.Is(err, ErrFinished) {
		t.Fatal(err)
	}
	if err := s2.Write(tone(10)); !errors.Is(err, ErrFinished) {
		t.Fatal(err)
	}
	// The call ends: its socket closes.
	cancel()
	wait(t, func() bool { return ad.Load().(*line).isClosed() })
}

func wait(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not reached")
}

func TestShortTurnIsNotCommitted(t *testing.T) {
	srv := fake(t, fakerealtime.Options{})
	e := engine(t, srv, Options{})
	var ad stt.Adaptation
	s := open(t, e, context.Background(), &ad)
	feed(t, s, tone(1000)) // 62 ms
	res, err := s.Finish(context.Background())
	if err != nil || res.Text != "" {
		t.Fatalf("%+v %v", res, err)
	}
	srv.SetTranscript("next")
	s2 := open(t, e, context.Background(), &ad)
	feed(t, s2, tone(8000))
	if res, err := s2.Finish(context.Background()); err != nil || res.Text != "next" {
		t.Fatalf("%+v %v", res, err)
	}
	evs := srv.Received()
	if n := fakerealtime.Count(evs, wire.TypeInputAudioBufferCommit); n != 1 {
		t.Fatalf("%d commits", n)
	}
	if n := fakerealtime.Count(evs, wire.TypeInputAudioBufferClear); n != 1 {
		t.Fatalf("%d clears, want 1 for the short turn", n)
	}
	// The clear came before the second turn's audio.
	for i, ev := range evs {
		if ev.EventType() == wire.TypeInputAudioBufferClear {
			if appended(t, evs[i:]) != 12000 {
				t.Fatalf("second turn's audio: %d samples after the clear", appended(t, evs[i:]))
			}
		}
	}
}

// A failed transcription and an error event naming the commit each fail
// their turn only; the call's next turn goes on on the same socket.
func TestServerErrorFailsTheTurnOnly(t *testing.T) {
	srv := fake(t, fakerealtime.Options{Transcribe: func(_ int, pcm []int16) string { return fmt.Sprint(len(pcm)) }})
	e := engine(t, srv, Options{})
	var ad stt.Adaptation
	for _, f := range []fakerealtime.Fault{{TranscriptionFailed: true}, {CommitError: true}} {
		srv.SetFault(f)
		s := open(t, e, context.Background(), &ad)
		feed(t, s, tone(8000))
		if _, err := s.Finish(context.Background()); !errors.Is(err, ErrServer) {
			t.Fatalf("%+v: err %v, want ErrServer", f, err)
		}
		// The next turn's item holds its own audio only (12000 samples at
		// 24 kHz), not what a failed commit left in the buffer.
		s2 := open(t, e, context.Background(), &ad)
		feed(t, s2, tone(8000))
		if res, err := s2.Finish(context.Background()); err != nil || res.Text != "12000" {
			t.Fatalf("%+v: next turn %+v %v", f, res, err)
		}
	}
	if conns, _ := srv.Conns(); conns != 1 {
		t.Fatalf("%d sockets", conns)
	}
}

func TestDroppedSocketMidTurn(t *testing.T) {
	srv := fake(t, fakerealtime.Options{})
	e := engine(t, srv, Options{})
	var ad stt.Adaptation
	srv.SetFault(fakerealtime.Fault{DropAudio: 300 * time.Millisecond})
	s := open(t, e, context.Background(), &ad)
	for i := 0; i < 50; i++ { // 1 s; writes fail once the drop is seen
		if err := s.Write(tone(320)); err != nil {
			if !errors.Is(err, ErrLost) {
				t.Fatalf("write: %v", err)
			}
			break
		}
		if i == 25 {
			wait(t, func() bool { return s.(*stream).c.Err() != nil })
		}
	}
	if _, err := s.Finish(context.Background()); !errors.Is(err, ErrLost) {
		t.Fatalf("err %v, want ErrLost", err)
	}
	srv.SetTranscript("reconnected")
	s2 := open(t, e, context.Background(), &ad)
	feed(t, s2, tone(8000))
	if res, err := s2.Finish(context.Background()); err != nil || res.Text != "reconnected" {
		t.Fatalf("%+v %v", res, err)
	}
	if conns, _ := srv.Conns(); conns != 2 {
		t.Fatalf("%d sockets, want a second after the drop", conns)
	}
}

// A speculation commits the turn early; the user goes on, the dialogue
// engine abandons that Finish and replays the whole turn into a new
// stream: its commit is a new item, and the early item's transcript does
// not leak into it.
func TestDiscardedSpeculationRecommits(t *testing.T) {
	srv := fake(t, fakerealtime.Options{
		TranscribeDelay: 200 * time.Millisecond,
		Transcribe:      func(n int, pcm []int16) string { return fmt.Sprintf("commit %d: %d samples", n, len(pcm)) },
	})
	e := engine(t, srv, Options{})
	var ad stt.Adaptation
	head := tone(stt.SampleRate / 2)
	s := open(t, e, context.Background(), &ad)
	feed(t, s, head)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Finish(ctx)
		done <- err
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := srv.Wait(wctx, func(evs []wire.Event) bool { return fakerealtime.Count(evs, wire.TypeInputAudioBufferCommit) == 1 }); err != nil {
		t.Fatal(err)
	}
	cancel() // the user went on
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned Finish: %v", err)
	}
	_ = s.Close()
	whole := append(append([]int16(nil), head...), tone(stt.SampleRate/2)...)
	s2 := open(t, e, context.Background(), &ad)
	feed(t, s2, whole)
	res, err := s2.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("commit 1: %d samples", SampleRate); res.Text != want {
		t.Fatalf("got %q, want %q (the whole turn, the second item)", res.Text, want)
	}
}

func TestTimeoutOnTheInjectedClock(t *testing.T) {
	srv := fake(t, fakerealtime.Options{TranscribeDelay: time.Hour})
	clk := clock.NewManual(time.Unix(1e9, 0))
	e := engine(t, srv, Options{Clock: clk, Timeout: 5 * time.Second})
	var ad stt.Adaptation
	s := open(t, e, context.Background(), &ad)
	feed(t, s, tone(8000))
	done := make(chan error, 1)
	go func() {
		_, err := s.Finish(context.Background())
		done <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := clk.WaitFor(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(4 * time.Second)
	select {
	case err := <-done:
		t.Fatalf("Finish returned before the timeout: %v", err)
	default:
	}
	clk.Advance(time.Second)
	if err := <-done; !errors.Is(err, ErrTimeout) {
		t.Fatalf("err %v, want ErrTimeout", err)
	}
}

func TestConnectErrors(t *testing.T) {
	srv := fake(t, fakerealtime.Options{APIKey: "sk-right"})
	e := engine(t, srv, Options{APIKey: "sk-wrong"})
	if _, err := e.NewStream(context.Background(), stt.StreamOptions{}); err == nil {
		t.Fatal("a wrong key connected")
	}
	for _, u := range []string{"localhost:8000", "ftp://x/v1"} {
		if _, err := New(Options{URL: u}); !errors.Is(err, ErrInvalidOption) {
			t.Fatalf("%q: %v", u, err)
		}
	}
}

// The service ends a session at its time limit (session_expired, then a
// close); between turns the next turn connects again without an error.
func TestSessionLimitBetweenTurns(t *testing.T) {
	srv := fake(t, fakerealtime.Options{SessionLimit: time.Second})
	e := engine(t, srv, Options{})
	var ad stt.Adaptation
	srv.SetTranscript("first")
	s := open(t, e, context.Background(), &ad)
	feed(t, s, tone(4000))
	if res, err := s.Finish(context.Background()); err != nil || res.Text != "first" {
		t.Fatalf("%+v %v", res, err)
	}
	ln := ad.Load().(*line)
	wait(t, func() bool {
		ln.mu.Lock()
		defer ln.mu.Unlock()
		return ln.c == nil
	})
	srv.SetTranscript("second")
	s2 := open(t, e, context.Background(), &ad)
	feed(t, s2, tone(4000))
	if res, err := s2.Finish(context.Background()); err != nil || res.Text != "second" {
		t.Fatalf("%+v %v", res, err)
	}
	if conns, _ := srv.Conns(); conns != 2 {
		t.Fatalf("%d sockets", conns)
	}
}

// TestAdaptationCloseJoinsTheSocket: the call's owner closing its
// Adaptation closes the call's socket and returns only once the socket's
// goroutines have ended, so nothing outlives the call.
func TestAdaptationCloseJoinsTheSocket(t *testing.T) {
	srv := fake(t, fakerealtime.Options{})
	srv.SetTranscript("what time is it")
	e := engine(t, srv, Options{APIKey: "sk-test"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ad stt.Adaptation
	s := open(t, e, ctx, &ad)
	feed(t, s, tone(stt.SampleRate/2))
	if res, err := s.Finish(ctx); err != nil || res.Text != "what time is it" {
		t.Fatalf("turn %+v %v", res, err)
	}
	ln := ad.Load().(*line)
	if n := socketGoroutines(); n != 2 {
		t.Fatalf("%d socket goroutines during the call, want 2", n)
	}
	if err := ad.Close(); err != nil {
		t.Fatal(err)
	}
	if n := socketGoroutinesGone(); n != 0 {
		t.Fatalf("%d socket goroutines after Close returned", n)
	}
	if !ln.isClosed() || ad.Load() != nil {
		t.Fatal("the line stays open or stored")
	}
	e.mu.Lock()
	left := len(e.lines)
	e.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d lines left in the engine", left)
	}
}

// socketGoroutinesGone is socketGoroutines once a joined goroutine has
// had the moment it needs to leave the stack: wg.Done runs deferred, so
// Wait may return while its frame is still listed. A leaked one stays.
func socketGoroutinesGone() int {
	n := socketGoroutines()
	for i := 0; n != 0 && i < 100; i++ {
		time.Sleep(time.Millisecond)
		n = socketGoroutines()
	}
	return n
}

// socketGoroutines counts the goroutines running rtws's reader and writer.
func socketGoroutines() int {
	buf := make([]byte, 1<<20)
	st := string(buf[:runtime.Stack(buf, true)])
	return strings.Count(st, "internal/rtws.(*Conn).read(") + strings.Count(st, "internal/rtws.(*Conn).write(")
}
