package espeak

import (
	"context"
	"io"
	"sync"

	"github.com/duplex-ai/duplex/tts"
)

// stream is the tts.Stream of one synthesis. A producer goroutine (library
// callback or worker-process reader) appends chunks without ever blocking on
// the consumer, so a slow reader never holds the library lock or a worker;
// Next hands them out in order.
type stream struct {
	ctx    context.Context // done on the caller's cancel, Close or Engine.Close
	cancel context.CancelCauseFunc

	mu     sync.Mutex
	chunks []tts.Chunk
	done   bool
	err    error // final error; nil means io.EOF after the last chunk

	lead tts.LeadTrimmer // the leading quiet (producer only)

	notify chan struct{} // capacity 1: something changed
	once   sync.Once
	wg     sync.WaitGroup // the producer goroutine
}

func newStream(ctx context.Context) *stream {
	s := &stream{notify: make(chan struct{}, 1), lead: tts.LeadTrimmer{Limit: maxLeadTrim}}
	s.ctx, s.cancel = context.WithCancelCause(ctx)
	return s
}

func (s *stream) signal() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// maxLeadTrim: espeak-ng starts some sentences with up to ~50 ms of
// silence or near-silence (the closure of an initial stop, "Today…",
// "Twelve…"). Nobody hears it, but as audio it would be sent first and
// delay the reply's first audible frame, so push drops it (tts.LeadTrimmer),
// at most this many samples.
const maxLeadTrim = SampleRate / 4

// push appends a chunk, without the synthesis's leading quiet; called by
// the producer only.
func (s *stream) push(c tts.Chunk) {
	c, ok := s.lead.Trim(c)
	if !ok {
		return // all quiet so far: its marks go with the first audio
	}
	s.mu.Lock()
	s.chunks = append(s.chunks, c)
	s.mu.Unlock()
	s.signal()
}

// finish ends the stream with err (nil: io.EOF after the last chunk).
func (s *stream) finish(err error) {
	s.mu.Lock()
	s.done, s.err = true, err
	s.mu.Unlock()
	s.signal()
}

// stopped is non-nil once the synthesis must stop.
func (s *stream) stopped() error {
	if s.ctx.Err() != nil {
		return context.Cause(s.ctx)
	}
	return nil
}

// Next returns the next chunk, io.EOF after the last one, or the reason the
// stream stopped early (the context's error, ErrClosed, a synthesis error).
// Once the context is cancelled, Next returns its error even if chunks are
// still buffered.
func (s *stream) Next() (tts.Chunk, error) {
	for {
		if err := s.stopped(); err != nil {
			return tts.Chunk{}, err
		}
		s.mu.Lock()
		if len(s.chunks) > 0 {
			c := s.chunks[0]
			s.chunks[0] = tts.Chunk{}
			s.chunks = s.chunks[1:]
			s.mu.Unlock()
			return c, nil
		}
		if s.done {
			err := s.err
			s.mu.Unlock()
			if err == nil {
				err = io.EOF
			}
			return tts.Chunk{}, err
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-s.ctx.Done():
		}
	}
}

// Close stops the synthesis (the library callback aborts, a worker process
// is killed and reaped) and waits for the producer to end. Safe twice.
func (s *stream) Close() error {
	s.once.Do(func() { s.cancel(ErrClosed) })
	s.wg.Wait()
	return nil
}
