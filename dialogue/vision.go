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

// maxTurnFrames is how many pictures across a turn the brain gets for
// motion questions.
const maxTurnFrames = 3

// eyes gives a reply the caller's camera picture. The camera samples a
// picture a second while the user speaks; a turn gets the one shown as
// the question ended, and up to three across it. Encoding runs in the
// reply's producer goroutine (never on the engine's), which also waits
// for a picture when none was kept during the turn. It remembers the
// previous look for "what changed".
type eyes struct {
	video func() pipeline.VideoSource
	maxW  int
	maxH  int
	q     int
	wait  time.Duration
	clk   clock.Clock
	log   zerolog.Logger

	// turn is the speech of the turn being answered; engine goroutine.
	turn window

	mu   sync.Mutex
	last *llm.Image
	// still is a picture the client sent for the next turn (still.go).
	still *media.Snapshot
}

// window is when the user spoke.
type window struct{ from, to time.Time }

// speaking turns the camera's sampling on at the start of a user turn (with
// a picture from the next frame) and off at its end; engine goroutine.
func (e *eyes) speaking(on bool) {
	v := e.video()
	if v == nil {
		return
	}
	if on {
		v.Refresh()
	}
	v.SetSampling(on)
}

// look returns the picture for a turn whose speech spans w (nil without
// video) and the previous one. It is the picture shown as the speech
// ended; without one kept since the turn started it waits up to e.wait
// for a fresh picture, then falls back to the latest.
func (e *eyes) look(ctx context.Context, w window) (cur, prev *llm.Image) {
	if img := e.takeStill(); img != nil {
		return e.remember(img)
	}
	v := e.video()
	if v == nil {
		return nil, nil
	}
	snap := v.PictureAt(w.to)
	if snap == nil || snap.Captured.Before(w.from) {
		snap = v.Latest()
	}
	if snap == nil || snap.Captured.Before(w.from) {
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
	img := e.encode(snap)
	if img == nil {
		return nil, nil
	}
	return e.remember(img)
}

// remember makes img the latest look; it returns img and the previous one.
func (e *eyes) remember(img *llm.Image) (cur, prev *llm.Image) {
	e.mu.Lock()
	defer e.mu.Unlock()
	prev, e.last = e.last, img
	return img, prev
}

// frames returns up to maxTurnFrames pictures kept during w, oldest
// first; nil with fewer than two (nothing moved that the brain could see).
func (e *eyes) frames(w window) []*llm.Image {
	v := e.video()
	if v == nil {
		return nil
	}
	snaps := v.PicturesBetween(w.from, w.to, maxTurnFrames)
	if len(snaps) < 2 {
		return nil
	}
	out := make([]*llm.Image, 0, len(snaps))
	for _, s := range snaps {
		if img := e.encode(s); img != nil {
			out = append(out, img)
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// encode makes the JPEG the model gets (≤ maxW×maxH); nil on failure.
func (e *eyes) encode(s *media.Snapshot) *llm.Image {
	jpeg, scaled, err := media.EncodeJPEG(s.Image, e.maxW, e.maxH, e.q)
	if err != nil {
		e.log.Warn().Err(err).Msg("camera picture")
		return nil
	}
	return &llm.Image{JPEG: jpeg, Decoded: scaled, Captured: s.Captured}
}
