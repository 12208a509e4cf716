package sphinx

import (
	"context"
	"sync"
)

// pool hands out at most size decoders at a time. Decoders are created on
// first need and kept for reuse; one is never used by two streams at once.
type pool struct {
	newDec func() (*decoder, error)
	sem    chan struct{} // one token per decoder in use (or being created)

	mu      sync.Mutex
	idle    []*decoder
	created int
	closed  bool
}

func newPool(size int, newDec func() (*decoder, error)) *pool {
	return &pool{newDec: newDec, sem: make(chan struct{}, size)}
}

// acquire returns an idle decoder, or a new one while fewer than size
// exist, or waits for one to be released. It returns ctx.Err() when ctx
// ends first.
func (p *pool) acquire(ctx context.Context) (*decoder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return p.take()
}

// tryAcquire is acquire without the wait: ok is false when all size
// decoders are in use.
func (p *pool) tryAcquire() (d *decoder, ok bool, err error) {
	select {
	case p.sem <- struct{}{}:
	default:
		return nil, false, nil
	}
	if d, err = p.take(); err != nil {
		return nil, false, err
	}
	return d, true, nil
}

// take returns an idle or new decoder for a token already in sem.
func (p *pool) take() (*decoder, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.sem
		return nil, ErrEngineClosed
	}
	if n := len(p.idle); n > 0 {
		d := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return d, nil
	}
	p.mu.Unlock()
	d, err := p.newDec()
	if err != nil {
		<-p.sem
		return nil, err
	}
	p.mu.Lock()
	p.created++
	p.mu.Unlock()
	return d, nil
}

// release gives a decoder back. A decoder whose utterance failed is freed
// rather than reused (broken reports that).
func (p *pool) release(d *decoder, broken bool) {
	p.mu.Lock()
	if p.closed || broken {
		p.mu.Unlock()
		d.free()
	} else {
		p.idle = append(p.idle, d)
		p.mu.Unlock()
	}
	<-p.sem
}

// stats reports how many decoders were ever created and how many are idle.
func (p *pool) stats() (created, idle int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.created, len(p.idle)
}

// close frees the idle decoders; decoders in use are freed on release.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, d := range idle {
		d.free()
	}
}
