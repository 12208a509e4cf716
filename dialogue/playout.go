package dialogue

import (
	"sync"
	"time"

	"github.com/duplex-ai/duplex/media"
)

// playMsg is one playout report of the paced writer.
type playMsg struct {
	id     int
	played time.Duration
	done   bool
}

// playouts carries the paced writer's playout reports to a pipeline's loop
// without ever blocking the writer and without losing the end of an
// utterance: reports queue under a lock and wake the loop through a
// one-slot channel; progress of the same utterance coalesces to the latest.
type playouts struct {
	mu      sync.Mutex
	pending []playMsg
	wake    chan struct{}
	// keep filters progress reports (never done ones); nil keeps all.
	keep func(played time.Duration) bool
}

func newPlayouts(keep func(played time.Duration) bool) *playouts {
	return &playouts{wake: make(chan struct{}, 1), keep: keep}
}

// report is the writer's OnPlayout callback.
func (p *playouts) report(id int, played time.Duration, done bool) {
	if !done && p.keep != nil && !p.keep(played) {
		return
	}
	p.mu.Lock()
	if n := len(p.pending); !done && n > 0 && p.pending[n-1].id == id && !p.pending[n-1].done {
		p.pending[n-1].played = played
	} else {
		p.pending = append(p.pending, playMsg{id: id, played: played, done: done})
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default: // already woken: the loop takes everything pending
	}
}

// C is signalled when reports are pending.
func (p *playouts) C() <-chan struct{} { return p.wake }

// take returns the pending reports in order, reusing buf.
func (p *playouts) take(buf []playMsg) []playMsg {
	p.mu.Lock()
	defer p.mu.Unlock()
	buf = append(buf[:0], p.pending...)
	p.pending = p.pending[:0]
	return buf
}

// firstFrame keeps only the report of an utterance's first frame.
func firstFrame(played time.Duration) bool { return played == media.FrameDuration }
