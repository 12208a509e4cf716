package jpegenc

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// fromRGB builds a 4:2:0 image from a colour function, averaging chroma over
// each 2×2 pixel group like a camera pipeline would.
func fromRGB(w, h int, f func(x, y int) (r, g, b uint8)) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	cb := make([]int, len(img.Cb))
	cr := make([]int, len(img.Cr))
	cn := make([]int, len(img.Cb))
	for y := range h {
		for x := range w {
			yy, u, v := color.RGBToYCbCr(f(x, y))
			img.Y[img.YOffset(x, y)] = yy
			ci := img.COffset(x, y)
			cb[ci] += int(u)
			cr[ci] += int(v)
			cn[ci]++
		}
	}
	for i := range cn {
		img.Cb[i] = uint8((cb[i] + cn[i]/2) / cn[i])
		img.Cr[i] = uint8((cr[i] + cn[i]/2) / cn[i])
	}
	return img
}

func clamp8(v float64) uint8 { return uint8(min(max(math.Round(v), 0), 255)) }

// colourBars is the seven 75% SMPTE bars: flat areas and sharp colour
// edges, most of which fall inside blocks rather than on their borders.
func colourBars(w, h int) *image.YCbCr {
	bars := [7][3]uint8{
		{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0},
		{191, 0, 191}, {191, 0, 0}, {0, 0, 191},
	}
	return fromRGB(w, h, func(x, _ int) (uint8, uint8, uint8) {
		b := bars[x*7/w]
		return b[0], b[1], b[2]
	})
}

// gradient is a smooth, gently curved colour field: tests DC prediction
// and low-frequency accuracy.
func gradient(w, h int) *image.YCbCr {
	return fromRGB(w, h, func(x, y int) (uint8, uint8, uint8) {
		u, v := float64(x)/float64(w), float64(y)/float64(h)
		return clamp8(255 * u * u), clamp8(128 + 100*math.Sin(3*v+2*u)), clamp8(255 * (1 - u*v))
	})
}

// noise is uniformly random pixels: the worst case for the entropy coder and
// the densest source of 0xFF bytes in the coded data.
func noise(w, h int, seed uint64) *image.YCbCr {
	rng := rand.New(rand.NewPCG(seed, 1))
	return fromRGB(w, h, func(int, int) (uint8, uint8, uint8) {
		v := rng.Uint32()
		return uint8(v), uint8(v >> 8), uint8(v >> 16)
	})
}

// photoLike imitates a camera frame: a sky gradient, a textured floor,
// overlapping soft and hard-edged objects and sensor noise.
func photoLike(w, h int, seed uint64) *image.YCbCr {
	rng := rand.New(rand.NewPCG(seed, 2))
	type disc struct {
		x, y, r, soft float64
		c             [3]float64
	}
	discs := make([]disc, 24)
	for i := range discs {
		discs[i] = disc{
			x: rng.Float64() * float64(w), y: rng.Float64() * float64(h),
			r: (0.03 + 0.12*rng.Float64()) * float64(w), soft: 1 + 20*rng.Float64()*float64(i%2),
			c: [3]float64{255 * rng.Float64(), 255 * rng.Float64(), 255 * rng.Float64()},
		}
	}
	return fromRGB(w, h, func(x, y int) (uint8, uint8, uint8) {
		fx, fy := float64(x), float64(y)
		t := fy / float64(h)
		var c [3]float64
		if t < 0.45 { // sky
			c = [3]float64{90 + 80*t, 140 + 60*t, 230 - 40*t}
		} else { // floor with wood-like grain
			grain := 20*math.Sin(fx*0.21+8*math.Sin(fy*0.037)) + 10*math.Sin(fy*0.9)
			c = [3]float64{140 + grain, 100 + grain*0.8, 60 + grain*0.5}
		}
		for _, d := range discs {
			dx, dy := fx-d.x, fy-d.y
			if dx*dx+dy*dy >= d.r*d.r {
				continue // outside: the disc fades out before its radius
			}
			a := min((d.r-math.Sqrt(dx*dx+dy*dy))/d.soft, 1)
			for k := range c {
				c[k] = c[k]*(1-a) + d.c[k]*a*(0.8+0.2*math.Sin(fx*0.05+fy*0.03))
			}
		}
		n := rng.NormFloat64() * 3
		return clamp8(c[0] + n), clamp8(c[1] + n), clamp8(c[2] + n)
	})
}

// camera1200x675 is the snapshot-sized test image, built once: generating
// it is slow under the race detector.
var camera1200x675 = sync.OnceValue(func() *image.YCbCr { return photoLike(1200, 675, 7) })

// psnr compares plane a of image x with the same plane of y, both given as
// (pixels, stride, offset-of-origin) over a w×h area.
func psnr(a []byte, aStride int, b []byte, bStride int, w, h int) float64 {
	var se float64
	for y := range h {
		for x := range w {
			d := float64(a[y*aStride+x]) - float64(b[y*bStride+x])
			se += d * d
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(w*h)/se)
}

// planePSNR returns the luma and mean chroma PSNR of decoded against src.
func planePSNR(t testing.TB, src *image.YCbCr, decoded image.Image) (luma, chroma float64) {
	t.Helper()
	d, ok := decoded.(*image.YCbCr)
	if !ok || d.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		t.Fatalf("decoded %T, want 4:2:0 *image.YCbCr", decoded)
	}
	r := src.Rect
	if d.Rect.Dx() != r.Dx() || d.Rect.Dy() != r.Dy() {
		t.Fatalf("decoded size %v, want %v", d.Rect.Size(), r.Size())
	}
	yo := src.YOffset(r.Min.X, r.Min.Y)
	luma = psnr(src.Y[yo:], src.YStride, d.Y, d.YStride, r.Dx(), r.Dy())
	co := src.COffset(r.Min.X, r.Min.Y)
	cw, ch := (r.Dx()+1)/2, (r.Dy()+1)/2
	chroma = (psnr(src.Cb[co:], src.CStride, d.Cb, d.CStride, cw, ch) +
		psnr(src.Cr[co:], src.CStride, d.Cr, d.CStride, cw, ch)) / 2
	return luma, chroma
}

func stdEncode(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(t testing.TB, data []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/jpeg cannot decode output: %v", err)
	}
	return img
}
