package openai

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/tts"
)

// readSize is the most one Next reads: 100 ms of 24 kHz s16.
const readSize = 4800

// stream reads the PCM body as it arrives, on the caller's goroutine: no
// goroutine of its own.
type stream struct {
	ctx         context.Context
	cancel      context.CancelCauseFunc
	cancelTotal context.CancelFunc
	firstByte   *time.Timer // cancels ctx with ErrFirstByteTimeout
	body        io.ReadCloser

	mu    sync.Mutex // serializes Next; Close does not wait for it
	buf   []byte
	carry int  // 0 or 1 byte of a split sample at buf[0]
	got   bool // a body byte has arrived
	err   error
	once  sync.Once
}

// Next returns the next chunk of samples as they arrive (a sample split
// across reads is carried over), io.EOF at the end of the body, or why the
// stream stopped: ErrTruncated when the connection fails mid-stream,
// ErrFirstByteTimeout, ErrTimeout, ErrClosed or the context's error.
func (s *stream) Next() (tts.Chunk, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return tts.Chunk{}, s.err
	}
	if s.buf == nil {
		s.buf = make([]byte, readSize)
	}
	for {
		n, err := s.body.Read(s.buf[s.carry:])
		if n > 0 && !s.got {
			s.got = true
			s.firstByte.Stop()
		}
		n += s.carry
		s.carry = n % 2
		var c tts.Chunk
		if whole := n / 2; whole > 0 {
			pcm := make([]int16, whole)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(s.buf[2*i:]))
			}
			c = tts.Chunk{PCM: pcm, SampleRate: SampleRate}
		}
		if s.carry == 1 {
			s.buf[0] = s.buf[n-1]
		}
		if err != nil {
			s.err = s.endErr(err)
			if c.PCM != nil && s.err == io.EOF {
				return c, nil // the last samples; io.EOF on the next call
			}
			s.release()
			return tts.Chunk{}, s.err
		}
		if c.PCM != nil {
			return c, nil
		}
	}
}

// endErr maps the error that ended a body read.
func (s *stream) endErr(err error) error {
	if s.ctx.Err() != nil {
		return s.stopErr(err)
	}
	if errors.Is(err, io.EOF) {
		if s.carry == 1 {
			return fmt.Errorf("%w: body ends inside a sample (odd byte count)", ErrBadResponse)
		}
		return io.EOF
	}
	// io.ErrUnexpectedEOF (chunked encoding or Content-Length cut short),
	// connection reset, …: never a silent truncation.
	return fmt.Errorf("%w: %w", ErrTruncated, err)
}

// stopErr returns why ctx stopped (first-byte timeout, total timeout, Close,
// the caller's cancel) in place of the transport's error, or err.
func (s *stream) stopErr(err error) error {
	if s.ctx.Err() == nil {
		return err
	}
	cause := context.Cause(s.ctx)
	if errors.Is(cause, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, cause)
	}
	return cause
}

// release frees the request: timers, context, body.
func (s *stream) release() {
	s.firstByte.Stop()
	s.cancelTotal()
	if s.body != nil {
		_ = s.body.Close()
	}
}

// Close aborts the request and closes the body; a Next blocked in a read
// returns ErrClosed. Safe twice.
func (s *stream) Close() error {
	s.once.Do(func() {
		s.cancel(ErrClosed)
		s.release()
	})
	return nil
}
