package dialogue

import (
	"context"
	"image/color"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
)

// TestEyesLatestAndStill: a model that asks to look gets a fresh picture
// (a key frame is asked for) within 1200×800; a client's still is the next
// look's picture, once, even without a camera.
func TestEyesLatestAndStill(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	red, blue := color.RGBA{220, 20, 20, 255}, color.RGBA{20, 20, 220, 255}
	cam := &camera{pics: []*media.Snapshot{solidSnap(1, t0, blue), solidSnap(2, t0.Add(time.Second), red)}}
	var video pipeline.VideoSource = cam
	e := &eyes{video: func() pipeline.VideoSource { return video }, maxW: media.ImageMaxWidth, maxH: media.ImageMaxHeight,
		wait: time.Second, clk: clock.NewManual(t0), log: zerolog.Nop()}
	img := e.latest(context.Background())
	if img == nil || cam.refresh != 1 || !img.Captured.Equal(t0.Add(time.Second)) {
		t.Fatalf("latest %+v after %d refreshes: want the newest picture after a refresh", img, cam.refresh)
	}
	if r, g, b, w, h := centre(t, img.JPEG); r < 150 || g > 80 || b > 80 || w > 1200 || h > 800 {
		t.Fatalf("latest %dx%d rgb(%d,%d,%d)", w, h, r, g, b)
	}
	video = nil
	if img := e.latest(context.Background()); img != nil {
		t.Fatal("a picture without a camera")
	}
	e.setStill(solidSnap(9, t0, blue))
	w := window{from: t0, to: t0.Add(time.Second)}
	cur, _ := e.look(context.Background(), w)
	if cur == nil {
		t.Fatal("the client's still was not looked at")
	}
	if r, g, b, _, _ := centre(t, cur.JPEG); b < 150 || r > 80 || g > 80 {
		t.Fatalf("still rgb(%d,%d,%d), want blue", r, g, b)
	}
	if cur, _ := e.look(context.Background(), w); cur != nil {
		t.Fatal("the still was used twice")
	}
}
