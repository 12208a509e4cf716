package openairt

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/duplex-ai/duplex/internal/dsp"
	"github.com/duplex-ai/duplex/internal/rtws"
	"github.com/duplex-ai/duplex/stt"
)

// stream is one turn on the call's socket; used from one goroutine.
type stream struct {
	ln  *line
	c   *rtws.Conn
	ctx context.Context
	rs  *dsp.Resampler
	buf []int16
	max int
	n   int // 16 kHz samples written

	finished bool
	closed   bool

	mu  sync.Mutex
	err error   // an error event about this stream's audio
	cm  *commit // the turn's commit, once sent
}

var _ stt.Stream = (*stream)(nil)

// lost is the error of a stream whose socket is gone.
func (s *stream) lost() error {
	if err := s.c.Err(); err != nil {
		if errors.Is(err, ErrLost) {
			return err
		}
		return lostError{err}
	}
	return fmt.Errorf("%w: the socket was replaced", ErrLost)
}

func (s *stream) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
}

func (s *stream) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Write resamples pcm to 24 kHz and appends it to the server's input
// buffer; it never blocks.
func (s *stream) Write(pcm []int16) error {
	switch {
	case s.closed:
		return stt.ErrClosed
	case s.finished:
		return ErrFinished
	case s.ctx.Err() != nil:
		return s.ctx.Err()
	case s.n+len(pcm) > s.max:
		return fmt.Errorf("%w: %.1f s > %v", ErrTooLong, float64(s.n+len(pcm))/stt.SampleRate, s.ln.e.o.MaxDuration)
	}
	if err := s.failed(); err != nil {
		return err
	}
	s.n += len(pcm)
	s.buf = s.rs.Process(s.buf[:0], pcm)
	if len(s.buf) == 0 {
		return nil
	}
	return s.ln.append(s, s.buf)
}

// Partial is the transcript's deltas so far, safe while Finish waits on
// another goroutine. They come only after the commit (the session has no
// turn detection, so no item exists before).
func (s *stream) Partial() string {
	s.mu.Lock()
	cm := s.cm
	s.mu.Unlock()
	if cm == nil {
		return ""
	}
	s.ln.mu.Lock()
	defer s.ln.mu.Unlock()
	return cm.partial.String()
}

// Finish commits the turn and waits for its transcript.
func (s *stream) Finish(ctx context.Context) (stt.Result, error) {
	switch {
	case s.closed:
		return stt.Result{}, stt.ErrClosed
	case s.finished:
		return stt.Result{}, ErrFinished
	}
	s.finished = true
	if err := s.ctx.Err(); err != nil {
		return stt.Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return stt.Result{}, err
	}
	if err := s.failed(); err != nil {
		s.ln.clear(s)
		return stt.Result{}, err
	}
	if s.buf = s.rs.Flush(s.buf[:0]); len(s.buf) > 0 {
		if err := s.ln.append(s, s.buf); err != nil {
			return stt.Result{}, err
		}
	}
	if s.n == 0 || s.n < int(s.ln.e.o.MinDuration.Seconds()*stt.SampleRate) {
		s.ln.clear(s)
		return stt.Result{Confidence: -1}, nil
	}
	cm, err := s.ln.commit(s)
	if err != nil {
		return stt.Result{}, err
	}
	s.mu.Lock()
	s.cm = cm
	s.mu.Unlock()
	expired := make(chan struct{})
	t := s.ln.e.o.Clock.AfterFunc(s.ln.e.o.Timeout, func() { close(expired) })
	defer t.Stop()
	select {
	case o := <-cm.done:
		return o.res, o.err
	case <-ctx.Done():
		return stt.Result{}, ctx.Err()
	case <-s.ctx.Done():
		return stt.Result{}, s.ctx.Err()
	case <-expired:
		return stt.Result{}, fmt.Errorf("%w: no transcript within %v of the commit", ErrTimeout, s.ln.e.o.Timeout)
	}
}

// Close drops audio never committed; safe after Finish and twice. A
// stream without a call (no Adaptation) closes its socket.
func (s *stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if !s.finished {
		s.ln.clear(s)
	}
	if s.ln.private {
		s.ln.Close()
	}
	return nil
}
