package dialogue

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
)

// eyes gives a reply the caller's camera picture. It runs in the reply's
// producer goroutine (a wait for a key frame never blocks the engine) and
// remembers the previous look for "what changed".
type eyes struct {
	video func() pipeline.VideoSource
	maxW  int
	maxH  int
	q     int
	wait  time.Duration
	clk   clock.Clock
	log   zerolog.Logger

	mu   sync.Mutex
	last *llm.Image
}

// look returns the picture for a turn that started at since (nil without
// video) and the previous one. A picture captured since the turn started
// is used as it is; otherwise it waits up to e.wait for a fresh key frame,
// then falls back to the latest picture.
func (e *eyes) look(ctx context.Context, since time.Time) (cur, prev *llm.Image) {
	v := e.video()
	if v == nil {
		return nil, nil
	}
	snap := v.Latest()
	if snap == nil || snap.Captured.Before(since) {
		wctx, cancel := context.WithCancel(ctx)
		t := e.clk.AfterFunc(e.wait, cancel)
		s, err := v.Snapshot(wctx)
		t.Stop()
		cancel()
		if err == nil {
			snap = s
		}
	}
	if snap == nil {
		return nil, nil
	}
	jpeg, scaled, err := media.EncodeJPEG(snap.Image, e.maxW, e.maxH, e.q)
	if err != nil {
		e.log.Warn().Err(err).Msg("camera picture")
		return nil, nil
	}
	img := &llm.Image{JPEG: jpeg, Decoded: scaled, Captured: snap.Captured}
	e.mu.Lock()
	defer e.mu.Unlock()
	prev, e.last = e.last, img
	return img, prev
}
