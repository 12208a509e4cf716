package dialogue

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/duplex-ai/duplex/stt"
)

// gatedSTT opens streams only when release is closed (a recognizer whose
// decoder pool is exhausted), or fails with err.
type gatedSTT struct {
	release chan struct{}
	err     error
	mu      sync.Mutex
	streams []*recStream
}

func (g *gatedSTT) Name() string { return "gated" }
func (g *gatedSTT) NewStream(ctx context.Context, _ stt.StreamOptions) (stt.Stream, error) {
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if g.err != nil {
		return nil, g.err
	}
	s := &recStream{}
	g.mu.Lock()
	g.streams = append(g.streams, s)
	g.mu.Unlock()
	return s, nil
}

// recStream records what it was given.
type recStream struct {
	mu     sync.Mutex
	got    []int16
	closed bool
}

func (s *recStream) Write(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, pcm...)
	return nil
}
func (s *recStream) Partial() string { return "" }
func (s *recStream) Finish(context.Context) (stt.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return stt.Result{Text: "heard", Confidence: float64(len(s.got))}, nil
}
func (s *recStream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func TestAsyncStreamHoldsAudioUntilOpen(t *testing.T) {
	g := &gatedSTT{release: make(chan struct{})}
	var wg sync.WaitGroup
	a := openAsync(context.Background(), g.NewStream, stt.StreamOptions{}, &wg, nil)
	// The engine goes on writing while the stream cannot open yet.
	for i := 0; i < 10; i++ {
		if err := a.Write([]int16{int16(i), int16(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if a.Partial() != "" {
		t.Fatal("partial before the stream opened")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Finish(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Finish with a cancelled ctx before the open: %v", err)
	}
	close(g.release)
	if err := a.Write([]int16{10, 10}); err != nil {
		t.Fatal(err)
	}
	res, err := a.Finish(context.Background())
	if err != nil || res.Text != "heard" {
		t.Fatalf("finish: %+v %v", res, err)
	}
	wg.Wait()
	got := g.streams[0].got
	if len(got) != 22 {
		t.Fatalf("stream got %d samples, want 22", len(got))
	}
	for i := 0; i < 11; i++ {
		if got[2*i] != int16(i) {
			t.Fatalf("audio out of order: %v", got)
		}
	}
	_ = a.Close()
	if !g.streams[0].closed {
		t.Fatal("stream not closed")
	}
}

func TestAsyncStreamOpenError(t *testing.T) {
	g := &gatedSTT{release: make(chan struct{}), err: errors.New("no decoder")}
	close(g.release)
	var wg sync.WaitGroup
	a := openAsync(context.Background(), g.NewStream, stt.StreamOptions{}, &wg, nil)
	if _, err := a.Finish(context.Background()); err == nil || err.Error() != "no decoder" {
		t.Fatalf("finish: %v, want the open error", err)
	}
	if err := a.Write([]int16{1}); err == nil {
		t.Fatal("write after a failed open succeeded")
	}
	wg.Wait()
}

func TestAsyncStreamClosedBeforeOpen(t *testing.T) {
	g := &gatedSTT{release: make(chan struct{})}
	var wg sync.WaitGroup
	a := openAsync(context.Background(), g.NewStream, stt.StreamOptions{}, &wg, nil)
	_ = a.Write([]int16{1, 2, 3})
	_ = a.Close()
	close(g.release)
	wg.Wait()
	if len(g.streams) != 1 || !g.streams[0].closed || len(g.streams[0].got) != 0 {
		t.Fatalf("the late stream was not closed unused: %+v", g.streams)
	}
	// The call ends while the open waits: the opener returns.
	g2 := &gatedSTT{release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	_ = openAsync(ctx, g2.NewStream, stt.StreamOptions{}, &wg, nil)
	cancel()
	wg.Wait()
}
