package dialogue

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/duplex-ai/duplex/stt"
)

// maxPendingSamples bounds the audio held while a stream is being opened:
// 30 s at 16 kHz, the longest utterance.
const maxPendingSamples = 30 * stt.SampleRate

// asyncStream opens an STT stream off the engine goroutine. Opening may
// wait (the offline recognizer's decoders are a bounded pool shared by all
// calls); meanwhile the caller's audio is held and handed over in order once
// the stream exists, so the engine never blocks on it. An open error is
// returned by Write and Finish. The opener goroutine is counted in wg.
type asyncStream struct {
	ready chan struct{} // closed once the open attempt is over

	// pushes is set once the opened stream reports its partials to the
	// onPartial given to openAsync (see partialPusher).
	pushes atomic.Bool

	mu      sync.Mutex
	s       stt.Stream
	err     error
	pending []int16
	closed  bool
}

var _ stt.Stream = (*asyncStream)(nil)

// partialPusher is a stream that calls back with each new partial as it is
// decoded (stt/sphinx's), so the turn detector hears it without polling.
type partialPusher interface {
	OnPartial(func(src stt.PartialSource, text string, samples int))
}

// openAsync opens a stream with open off the caller's goroutine; a stream
// that pushes its partials gets onPartial (nil: none) before any audio.
func openAsync(ctx context.Context, open func(context.Context, stt.StreamOptions) (stt.Stream, error), opt stt.StreamOptions, wg *sync.WaitGroup,
	onPartial func(src stt.PartialSource, text string, samples int)) *asyncStream {
	a := &asyncStream{ready: make(chan struct{})}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(a.ready)
		s, err := open(ctx, opt)
		a.mu.Lock()
		defer a.mu.Unlock()
		switch {
		case err != nil:
			a.err, a.pending = err, nil
		case a.closed:
			_ = s.Close()
		default:
			if p, ok := s.(partialPusher); ok && onPartial != nil {
				p.OnPartial(onPartial)
				a.pushes.Store(true)
			}
			if len(a.pending) > 0 {
				// Under mu: a Write racing this one waits, so audio stays in order.
				if err := s.Write(a.pending); err != nil {
					a.err = err
				}
				a.pending = nil
			}
			a.s = s
		}
	}()
	return a
}

// Write implements stt.Stream.
func (a *asyncStream) Write(pcm []int16) error {
	a.mu.Lock()
	switch {
	case a.err != nil:
		a.mu.Unlock()
		return a.err
	case a.closed:
		a.mu.Unlock()
		return stt.ErrClosed
	case a.s == nil:
		if len(a.pending)+len(pcm) <= maxPendingSamples {
			a.pending = append(a.pending, pcm...)
		}
		a.mu.Unlock()
		return nil
	}
	s := a.s
	a.mu.Unlock()
	return s.Write(pcm)
}

// Partial implements stt.Stream.
func (a *asyncStream) Partial() string {
	a.mu.Lock()
	s := a.s
	a.mu.Unlock()
	if s == nil {
		return ""
	}
	return s.Partial()
}

// Finish implements stt.Stream: it waits for the stream to open, then
// finishes it.
func (a *asyncStream) Finish(ctx context.Context) (stt.Result, error) {
	select {
	case <-a.ready:
	case <-ctx.Done():
		return stt.Result{}, ctx.Err()
	}
	a.mu.Lock()
	s, err, closed := a.s, a.err, a.closed
	a.mu.Unlock()
	switch {
	case err != nil:
		return stt.Result{}, err
	case closed || s == nil:
		return stt.Result{}, stt.ErrClosed
	}
	return s.Finish(ctx)
}

// Close implements stt.Stream. A stream that opens later is closed by the
// opener.
func (a *asyncStream) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	s := a.s
	a.pending = nil
	a.mu.Unlock()
	if s != nil {
		return s.Close()
	}
	return nil
}
