package dialogue

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
)

// camera is a VideoSource holding timestamped pictures, as video.Receiver
// keeps them.
type camera struct {
	mu       sync.Mutex
	pics     []*media.Snapshot // oldest first
	sampling []bool            // SetSampling calls
	refresh  int
}

func (c *camera) Refresh() { c.mu.Lock(); c.refresh++; c.mu.Unlock() }
func (c *camera) SetSampling(on bool) {
	c.mu.Lock()
	c.sampling = append(c.sampling, on)
	c.mu.Unlock()
}
func (c *camera) Latest() *media.Snapshot { return c.pics[len(c.pics)-1] }
func (c *camera) Snapshot(context.Context) (*media.Snapshot, error) {
	return c.Latest(), nil
}
func (c *camera) PictureAt(t time.Time) *media.Snapshot {
	best := c.pics[0]
	for _, p := range c.pics {
		if !p.Captured.After(t) {
			best = p
		}
	}
	return best
}
func (c *camera) PicturesBetween(from, to time.Time, n int) []*media.Snapshot {
	var out []*media.Snapshot
	for _, p := range c.pics {
		if !p.Captured.Before(from) && !p.Captured.After(to) && len(out) < n {
			out = append(out, p)
		}
	}
	return out
}

func solidSnap(id uint64, at time.Time, c color.Color) *media.Snapshot {
	img := image.NewRGBA(image.Rect(0, 0, 1600, 900))
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	return &media.Snapshot{Image: img, Captured: at, Width: 1600, Height: 900, ID: id}
}

// centre decodes a JPEG and returns its middle pixel and size.
func centre(t *testing.T, b []byte) (r, g, bl uint32, w, h int) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	sz := img.Bounds().Size()
	r, g, bl, _ = img.At(sz.X/2, sz.Y/2).RGBA()
	return r >> 8, g >> 8, bl >> 8, sz.X, sz.Y
}

// TestEyesSeeWhileSpeaking: the turn gets the picture shown as the speech
// ended, not the newer one after it, and the pictures across the turn
// oldest first, each a JPEG within 1200×800; sampling runs only while the
// user speaks.
func TestEyesSeeWhileSpeaking(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	red, green, blue := color.RGBA{220, 20, 20, 255}, color.RGBA{20, 200, 20, 255}, color.RGBA{20, 20, 220, 255}
	cam := &camera{pics: []*media.Snapshot{
		solidSnap(1, t0.Add(-time.Second), blue),          // before the question
		solidSnap(2, t0, red),                             // as it started
		solidSnap(3, t0.Add(time.Second), green),          // mid-question
		solidSnap(4, t0.Add(2*time.Second), red),          // as it ended
		solidSnap(5, t0.Add(3500*time.Millisecond), blue), // after it
	}}
	e := &eyes{video: func() pipeline.VideoSource { return cam }, maxW: media.ImageMaxWidth, maxH: media.ImageMaxHeight,
		wait: time.Second, clk: clock.NewManual(t0), log: zerolog.Nop()}
	e.speaking(true)
	e.speaking(false)
	if cam.refresh != 1 || len(cam.sampling) != 2 || !cam.sampling[0] || cam.sampling[1] {
		t.Fatalf("refresh %d, sampling %v: want a refresh and on, then off", cam.refresh, cam.sampling)
	}
	w := window{from: t0.Add(-100 * time.Millisecond), to: t0.Add(2500 * time.Millisecond)}
	cur, prev := e.look(context.Background(), w)
	if cur == nil || prev != nil {
		t.Fatalf("look: %v, %v", cur, prev)
	}
	if !cur.Captured.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("picture captured at %v, want the one as the speech ended", cur.Captured.Sub(t0))
	}
	if r, g, b, pw, ph := centre(t, cur.JPEG); r < 150 || g > 80 || b > 80 || pw > 1200 || ph > 800 {
		t.Fatalf("picture %dx%d centre rgb(%d,%d,%d), want red within 1200×800", pw, ph, r, g, b)
	}
	fr := e.frames(w)
	if len(fr) != 3 {
		t.Fatalf("%d frames across the turn, want 3", len(fr))
	}
	for i, want := range []time.Duration{0, time.Second, 2 * time.Second} {
		if !fr[i].Captured.Equal(t0.Add(want)) {
			t.Errorf("frame %d captured at %v, want %v", i, fr[i].Captured.Sub(t0), want)
		}
	}
	if _, g, _, _, _ := centre(t, fr[1].JPEG); g < 150 {
		t.Errorf("mid-question frame is not the green one")
	}
	// A second turn remembers the first look; a turn with one picture has
	// no frames.
	w2 := window{from: t0.Add(3 * time.Second), to: t0.Add(4 * time.Second)}
	cur2, prev2 := e.look(context.Background(), w2)
	if prev2 != cur || !cur2.Captured.Equal(t0.Add(3500*time.Millisecond)) {
		t.Fatalf("second look: %v after %v", cur2.Captured.Sub(t0), prev2)
	}
	if f := e.frames(w2); f != nil {
		t.Fatalf("%d frames from one picture", len(f))
	}
}
