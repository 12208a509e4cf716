package session

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
)

// playPos is a playback position: how much of utterance id was sent.
type playPos struct {
	id     int
	played time.Duration
}

// callerOut is the call's audio out as the pipeline sees it. It keeps the
// playback position at the moment the caller was last heard from; once
// the caller has vanished (ICE failed), Played stops there: audio sent
// into a dead network was not heard, and what the transcript says was
// heard follows Played.
type callerOut struct {
	*media.PacedWriter
	fn   atomic.Pointer[func(id int, played time.Duration, done bool)]
	gone atomic.Bool

	mu    sync.Mutex
	last  playPos // the latest frame sent
	alive playPos // the latest frame sent when the caller was last heard from
}

var _ pipeline.AudioOut = (*callerOut)(nil)

func newCallerOut(w *media.PacedWriter) *callerOut {
	o := &callerOut{PacedWriter: w}
	w.SetOnPlayout(o.onPlayout)
	return o
}

// onPlayout runs on the writer's goroutine after every frame sent.
func (o *callerOut) onPlayout(id int, played time.Duration, done bool) {
	o.mu.Lock()
	o.last = playPos{id, played}
	o.mu.Unlock()
	if fn := o.fn.Load(); fn != nil {
		(*fn)(id, played, done)
	}
}

// SetOnPlayout implements pipeline.AudioOut.
func (o *callerOut) SetOnPlayout(fn func(id int, played time.Duration, done bool)) {
	if fn == nil {
		o.fn.Store(nil)
		return
	}
	o.fn.Store(&fn)
}

// heardFrom records that the caller's media is arriving: everything sent
// so far may have reached them.
func (o *callerOut) heardFrom() {
	o.mu.Lock()
	o.alive = o.last
	o.mu.Unlock()
}

// vanished marks the caller gone: Played no longer counts audio sent
// after they were last heard from.
func (o *callerOut) vanished() { o.gone.Store(true) }

// Played implements pipeline.AudioOut.
func (o *callerOut) Played(id int) time.Duration {
	played := o.PacedWriter.Played(id)
	if !o.gone.Load() {
		return played
	}
	o.mu.Lock()
	alive := o.alive
	o.mu.Unlock()
	switch {
	case alive.id < id:
		return 0 // the caller was gone before this utterance began
	case alive.id == id:
		return min(played, alive.played)
	}
	return played
}
