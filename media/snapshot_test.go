package media

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

func TestFitWithin(t *testing.T) {
	for _, tc := range []struct{ w, h, mw, mh, ww, wh int }{
		{1280, 720, 1200, 800, 1200, 675}, // 16:9 720p → the model's limit
		{1920, 1080, 1200, 800, 1200, 675},
		{1920, 1080, 1280, 720, 1280, 720},
		{3840, 2160, 1280, 720, 1280, 720},
		{640, 480, 1200, 800, 640, 480},     // 4:3 fits: never upscaled
		{1600, 1200, 1200, 800, 1067, 800},  // 4:3 height-bound (1066.67)
		{1280, 960, 1200, 800, 1067, 800},   // 4:3
		{1200, 900, 1200, 800, 1067, 800},   // 4:3
		{1024, 768, 1280, 720, 960, 720},    // 4:3 into the 720p input cap
		{720, 1280, 1200, 800, 450, 800},    // portrait phone
		{1200, 800, 1200, 800, 1200, 800},   // exactly fits
		{1201, 800, 1200, 800, 1200, 799},   // 799.33
		{5000, 1, 1200, 800, 1200, 1},       // never below 1 pixel
		{1, 5000, 1200, 800, 1, 800},        //
		{0, 720, 1200, 800, 0, 0},           // empty
		{1280, 720, 0, 800, 0, 0},           // no room
		{16383, 16383, 1200, 800, 800, 800}, // square
	} {
		w, h := FitWithin(tc.w, tc.h, tc.mw, tc.mh)
		if w != tc.ww || h != tc.wh {
			t.Errorf("FitWithin(%d, %d, %d, %d) = %dx%d, want %dx%d", tc.w, tc.h, tc.mw, tc.mh, w, h, tc.ww, tc.wh)
		}
		if w > 0 && (w > tc.mw || h > tc.mh || w > tc.w || h > tc.h) {
			t.Errorf("FitWithin(%d, %d, %d, %d) = %dx%d: too big", tc.w, tc.h, tc.mw, tc.mh, w, h)
		}
	}
}

// solidYCbCr makes a w×h 4:2:0 image of one colour.
func solidYCbCr(w, h int, c color.YCbCr) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range m.Y {
		m.Y[i] = c.Y
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = c.Cb, c.Cr
	}
	return m
}

func TestEncodeJPEG(t *testing.T) {
	red := color.YCbCrModel.Convert(color.RGBA{255, 0, 0, 255}).(color.YCbCr)
	for _, tc := range []struct {
		name         string
		img          image.Image
		wantW, wantH int
	}{
		{"720p", solidYCbCr(1280, 720, red), 1200, 675},
		{"4:3 fits", solidYCbCr(640, 480, red), 640, 480},
		{"4:3 large", solidYCbCr(1600, 1200, red), 1067, 800},
		{"odd size", solidYCbCr(1281, 723, red), 1200, 677},
		{"sub-image", solidYCbCr(1300, 900, red).SubImage(image.Rect(11, 13, 1291, 733)), 1200, 675},
		{"RGBA", rgbaOf(1280, 720, color.RGBA{255, 0, 0, 255}), 1200, 675},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, scaled, err := EncodeJPEG(tc.img, ImageMaxWidth, ImageMaxHeight, 0)
			if err != nil {
				t.Fatal(err)
			}
			if sb := scaled.Bounds(); sb.Dx() != tc.wantW || sb.Dy() != tc.wantH {
				t.Errorf("scaled %v, want %dx%d", sb, tc.wantW, tc.wantH)
			}
			dec, err := jpeg.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			db := dec.Bounds()
			if db.Dx() != tc.wantW || db.Dy() != tc.wantH {
				t.Errorf("jpeg %v, want %dx%d", db, tc.wantW, tc.wantH)
			}
			for _, p := range []image.Point{{db.Dx() / 2, db.Dy() / 2}, {1, 1}, {db.Dx() - 2, db.Dy() - 2}} {
				if c := rgbAt(dec, p.X, p.Y); !near(c, [3]int{255, 0, 0}, 10) {
					t.Errorf("jpeg at %v: %v, want red", p, c)
				}
			}
		})
	}
	img := solidYCbCr(64, 64, red)
	for _, q := range []int{-1, 101} {
		if _, _, err := EncodeJPEG(img, 100, 100, q); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("quality %d: %v", q, err)
		}
	}
	if _, _, err := EncodeJPEG(img, 0, 100, 80); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("max 0: %v", err)
	}
	if _, _, err := EncodeJPEG(nil, 100, 100, 80); !errors.Is(err, ErrEmptyImage) {
		t.Errorf("nil: %v", err)
	}
	small, _, _ := EncodeJPEG(img, 100, 100, 10)
	big, _, _ := EncodeJPEG(img, 100, 100, 100)
	if len(small) >= len(big) {
		t.Errorf("quality 10: %d bytes, quality 100: %d", len(small), len(big))
	}
}

func rgbaOf(w, h int, c color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

// rgbAt is the 8-bit RGB of img at (x, y).
func rgbAt(img image.Image, x, y int) [3]int {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
}

// near reports whether every channel of got is within tol of want.
func near(got, want [3]int, tol int) bool {
	for i := range got {
		if d := got[i] - want[i]; d > tol || d < -tol {
			return false
		}
	}
	return true
}
