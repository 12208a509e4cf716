package dialogue

import (
	"context"

	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/media"
)

// setStill keeps a picture the client sent (an input_image) for the next
// turn, in place of the camera's; nil changes nothing. Engine goroutine.
func (e *eyes) setStill(s *media.Snapshot) {
	if s == nil {
		return
	}
	e.mu.Lock()
	e.still = s
	e.mu.Unlock()
}

// takeStill returns the client's picture encoded for the model, once; nil
// when there is none. It runs in a reply's producer goroutine.
func (e *eyes) takeStill() *llm.Image {
	e.mu.Lock()
	s := e.still
	e.still = nil
	e.mu.Unlock()
	if s == nil {
		return nil
	}
	return e.encode(s)
}

// latest returns a fresh camera picture (a key frame asked for now,
// waited for up to e.wait), else the newest kept; nil without video. It
// runs off the engine goroutine (a brain asks for it when its model
// wants to look).
func (e *eyes) latest(ctx context.Context) *llm.Image {
	v := e.video()
	if v == nil {
		return nil
	}
	v.Refresh()
	wctx, cancel := context.WithCancel(ctx)
	t := e.clk.AfterFunc(e.wait, cancel)
	snap, err := v.Snapshot(wctx)
	t.Stop()
	cancel()
	if err != nil {
		snap = v.Latest()
	}
	if snap == nil {
		return nil
	}
	return e.encode(snap)
}
