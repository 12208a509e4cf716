package turbojpeg

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math"
	"testing"
)

// textured is a 4:2:0 image with edges, gradients and fine detail.
func textured(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			v := 128 + 60*math.Sin(float64(x)/7) + 40*math.Cos(float64(y)/11)
			if (x/32+y/32)%2 == 0 {
				v -= 50
			}
			img.Y[y*img.YStride+x] = uint8(max(0, min(255, v)))
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			img.Cb[y*img.CStride+x] = uint8(128 + 50*math.Sin(float64(x+y)/9))
			img.Cr[y*img.CStride+x] = uint8(128 - 40*math.Cos(float64(x)/5))
		}
	}
	return img
}

// psnrY compares the luma of a decoded JPEG with the source.
func psnrY(t *testing.T, src *image.YCbCr, jpg []byte) float64 {
	t.Helper()
	got, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := got.(*image.YCbCr)
	if !ok || g.Bounds().Size() != src.Bounds().Size() {
		t.Fatalf("decoded %T %v, want YCbCr %v", got, got.Bounds(), src.Bounds())
	}
	var se float64
	r := src.Bounds()
	for y := range r.Dy() {
		for x := range r.Dx() {
			d := float64(src.Y[src.YOffset(r.Min.X+x, r.Min.Y+y)]) - float64(g.Y[g.YOffset(x, y)])
			se += d * d
		}
	}
	return 10 * math.Log10(255*255/(se/float64(r.Dx()*r.Dy())))
}

func TestEncodeDecodes(t *testing.T) {
	var e Encoder
	defer e.Close()
	for _, size := range [][2]int{{640, 480}, {1200, 800}, {33, 17}, {1, 1}, {2, 1}} {
		img := textured(size[0], size[1])
		out, err := e.Encode([]byte("prefix"), img, 80)
		if err != nil {
			t.Fatal(err)
		}
		if string(out[:6]) != "prefix" {
			t.Fatal("dst's contents not kept")
		}
		// Images of one row or column come out worse (26.5 dB at 1×1,
		// 25 at 2×1): libjpeg-turbo's padding to whole MCUs.
		want := 30.0
		if size[0] < 4 || size[1] < 4 {
			want = 20
		}
		if p := psnrY(t, img, out[6:]); p < want {
			t.Errorf("%v: luma PSNR %.1f dB, want ≥ %.0f", size, p, want)
		}
		// Same quality setting, same quantisation: about image/jpeg's size.
		var ref bytes.Buffer
		if err := jpeg.Encode(&ref, img, &jpeg.Options{Quality: 80}); err != nil {
			t.Fatal(err)
		}
		if n, m := len(out)-6, ref.Len(); size[0] >= 64 && (float64(n) > 1.1*float64(m) || float64(n) < 0.9*float64(m)) {
			t.Errorf("%v: %d bytes, image/jpeg %d", size, n, m)
		}
	}
}

func TestQualityMatters(t *testing.T) {
	var e Encoder
	defer e.Close()
	img := textured(320, 240)
	lo, err := e.Encode(nil, img, 20)
	if err != nil {
		t.Fatal(err)
	}
	hi, err := e.Encode(nil, img, 95)
	if err != nil {
		t.Fatal(err)
	}
	if len(lo) >= len(hi) || psnrY(t, img, lo) >= psnrY(t, img, hi) {
		t.Fatalf("quality 20: %d bytes, quality 95: %d bytes", len(lo), len(hi))
	}
}

func TestSubImage(t *testing.T) {
	var e Encoder
	defer e.Close()
	sub := textured(400, 300).SubImage(image.Rect(100, 50, 300, 250)).(*image.YCbCr)
	out, err := e.Encode(nil, sub, 90)
	if err != nil {
		t.Fatal(err)
	}
	if p := psnrY(t, sub, out); p < 30 {
		t.Fatalf("sub-image luma PSNR %.1f dB", p)
	}
}

func TestErrors(t *testing.T) {
	var e Encoder
	defer e.Close()
	bad := []struct {
		img *image.YCbCr
		q   int
	}{
		{image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio444), 80},
		{image.NewYCbCr(image.Rect(0, 0, 0, 0), image.YCbCrSubsampleRatio420), 80},
		{textured(16, 16), 0},
		{textured(16, 16), 101},
	}
	for i, b := range bad {
		if out, err := e.Encode([]byte("x"), b.img, b.q); !errors.Is(err, ErrUnsupported) || string(out) != "x" {
			t.Errorf("%d: %q, %v", i, out, err)
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	var e Encoder
	defer e.Close()
	img := textured(640, 480)
	out, err := e.Encode(nil, img, 80)
	if err != nil {
		t.Fatal(err)
	}
	out = make([]byte, 0, 2*cap(out))
	if n := testing.AllocsPerRun(5, func() { out, _ = e.Encode(out[:0], img, 80) }); n != 0 {
		t.Fatalf("%v allocations per encode into a large enough dst", n)
	}
}
