package media

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestSnapshotScaleAreaAverage: area averaging turns a fine checkerboard grey (no
// aliasing) and keeps the mean of a ramp.
func TestSnapshotScaleAreaAverage(t *testing.T) {
	m := solidYCbCr(1280, 720, color.YCbCr{Y: 0, Cb: 128, Cr: 128})
	for y := range 720 {
		for x := range 1280 {
			if (x+y)%2 == 0 {
				m.Y[y*m.YStride+x] = 255
			}
		}
	}
	for _, size := range [][2]int{{1200, 675}, {640, 360}, {427, 240}, {100, 56}} {
		s := ScaleYCbCr420(m, size[0], size[1])
		lo, hi, sum := 255, 0, 0
		for y := 1; y < size[1]-1; y++ {
			for x := 1; x < size[0]-1; x++ {
				v := int(s.Y[y*s.YStride+x])
				lo, hi, sum = min(lo, v), max(hi, v), sum+v
			}
		}
		if mean := float64(sum) / float64((size[0]-2)*(size[1]-2)); mean < 125.5 || mean > 129.5 {
			t.Errorf("%v: checkerboard mean %.1f, want 127.5", size, mean)
		}
		// Close to 1:1 (1280→1200) a pixel still sees mostly one source
		// column: only the mean holds. From 2:1 on, the box spans enough.
		if size[0] <= 640 && (lo < 127-16 || hi > 128+16) {
			t.Errorf("%v: checkerboard scaled to %d..%d, want ~127", size, lo, hi)
		}
	}
	// A horizontal ramp keeps its values (within rounding) at matching spots.
	r := solidYCbCr(1000, 10, color.YCbCr{Y: 0, Cb: 128, Cr: 128})
	for y := range 10 {
		for x := range 1000 {
			r.Y[y*r.YStride+x] = byte(x * 255 / 999)
		}
	}
	s := ScaleYCbCr420(r, 250, 5)
	for x := range 250 {
		want := (4*float64(x) + 1.5) * 255 / 999 // mean of source columns 4x..4x+3
		if d := float64(s.Y[2*s.YStride+x]) - want; d > 1 || d < -1 {
			t.Fatalf("ramp at %d: %d, want %.1f", x, s.Y[2*s.YStride+x], want)
		}
	}
}

// refAreaAverage is the exact area average of an sw×sh plane (pixel (x, y)
// is at(x, y)) scaled to dw×dh, in float64: output (x, y) is the mean of
// the source over [x*sw/dw, (x+1)*sw/dw) × [y*sh/dh, (y+1)*sh/dh), each
// pixel weighted by how much of it the box covers.
func refAreaAverage(sw, sh, dw, dh int, at func(x, y int) byte) []float64 {
	cover := func(n, m, i int) (j0 int, cov []float64) {
		a, b := float64(i)*float64(n)/float64(m), float64(i+1)*float64(n)/float64(m)
		j0 = int(math.Floor(a))
		for j := j0; j < n && float64(j) < b; j++ {
			cov = append(cov, math.Min(b, float64(j+1))-math.Max(a, float64(j)))
		}
		return j0, cov
	}
	out := make([]float64, dw*dh)
	area := float64(sw) / float64(dw) * float64(sh) / float64(dh)
	// The columns' boxes, once: every row has the same.
	x0s, cxs := make([]int, dw), make([][]float64, dw)
	for x := range dw {
		x0s[x], cxs[x] = cover(sw, dw, x)
	}
	for y := range dh {
		y0, cy := cover(sh, dh, y)
		for x := range dw {
			x0, cx := x0s[x], cxs[x]
			sum := 0.0
			for i, wy := range cy {
				for j, wx := range cx {
					sum += wy * wx * float64(at(x0+j, y0+i))
				}
			}
			out[y*dw+x] = sum / area
		}
	}
	return out
}

// refScaleYCbCr420 is the exact area average of each plane of a 4:2:0
// image scaled to w×h: the luma of src.Rect and the chroma samples that
// cover it (from Min/2), read with YOffset and COffset.
func refScaleYCbCr420(src *image.YCbCr, w, h int) (y, cb, cr []float64) {
	r := src.Rect
	y = refAreaAverage(r.Dx(), r.Dy(), w, h, func(x, y int) byte {
		return src.Y[src.YOffset(r.Min.X+x, r.Min.Y+y)]
	})
	// Chroma sample (cx, cy) of the plane serves pixels 2cx, 2cx+1 (and
	// rows likewise); the first may serve only Min.X when Min.X is odd.
	cx0, cy0 := r.Min.X/2, r.Min.Y/2
	csw, csh := (r.Max.X-1)/2-cx0+1, (r.Max.Y-1)/2-cy0+1
	coff := func(x, y int) int { return src.COffset(max(2*(cx0+x), r.Min.X), max(2*(cy0+y), r.Min.Y)) }
	cw, ch := (w+1)/2, (h+1)/2
	cb = refAreaAverage(csw, csh, cw, ch, func(x, y int) byte { return src.Cb[coff(x, y)] })
	cr = refAreaAverage(csw, csh, cw, ch, func(x, y int) byte { return src.Cr[coff(x, y)] })
	return y, cb, cr
}

// maxScaleError is the largest |ScaleYCbCr420(src, w, h) - exact area
// average| over all samples of all planes.
func maxScaleError(t *testing.T, src *image.YCbCr, w, h int) float64 {
	t.Helper()
	got := ScaleYCbCr420(src, w, h)
	if got.Rect != image.Rect(0, 0, w, h) || got.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		t.Fatalf("scaled to %v %v, want %dx%d 4:2:0", got.Rect, got.SubsampleRatio, w, h)
	}
	ry, rcb, rcr := refScaleYCbCr420(src, w, h)
	worst := 0.0
	check := func(plane string, ref []float64, pw, ph int, at func(x, y int) byte) {
		for y := range ph {
			for x := range pw {
				if d := math.Abs(float64(at(x, y)) - ref[y*pw+x]); d > worst {
					worst = d
					if d >= 1 {
						t.Errorf("%s (%d, %d): %d, exact %.3f", plane, x, y, at(x, y), ref[y*pw+x])
					}
				}
			}
		}
	}
	check("Y", ry, w, h, func(x, y int) byte { return got.Y[got.YOffset(x, y)] })
	cw, ch := (w+1)/2, (h+1)/2
	check("Cb", rcb, cw, ch, func(x, y int) byte { return got.Cb[got.COffset(2*x, 2*y)] })
	check("Cr", rcr, cw, ch, func(x, y int) byte { return got.Cr[got.COffset(2*x, 2*y)] })
	return worst
}

// randomYCbCr is a w×h 4:2:0 image of uniform noise; rampYCbCr one of
// smooth diagonal ramps (a different one per plane).
func randomYCbCr(rng *rand.Rand, w, h int) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for _, p := range [][]byte{m.Y, m.Cb, m.Cr} {
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
	}
	return m
}

func rampYCbCr(w, h int) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	ramp := func(p []byte, stride, pw, ph, a, b int) {
		for y := range ph {
			for x := range pw {
				p[y*stride+x] = byte((a*x*255/max(1, pw-1) + b*y*255/max(1, ph-1)) / (a + b))
			}
		}
	}
	ramp(m.Y, m.YStride, w, h, 3, 1)
	ramp(m.Cb, m.CStride, (w+1)/2, (h+1)/2, 1, 1)
	ramp(m.Cr, m.CStride, (w+1)/2, (h+1)/2, 1, 4)
	return m
}

// TestScaleExactAreaAverage compares ScaleYCbCr420 with the exact area
// average (float64) on noise and ramps: every sample is within 1 code
// value (by design: within 0.5 for rounding plus < 0.45 for the integer
// weights; noise, with the most variation under each box, comes closest).
func TestScaleExactAreaAverage(t *testing.T) {
	type sizes struct{ sw, sh, dw, dh int }
	cases := []sizes{
		{1280, 720, 1200, 675}, // the 720p camera frame → model limit
		{1920, 1080, 1200, 675},
		{640, 480, 333, 250},
		{1281, 723, 1200, 677}, // odd sizes
		{999, 555, 401, 223},
		{17, 9, 5, 3},
		{3, 3, 2, 2},
		{1, 100, 1, 37}, // 1-pixel-wide planes
		{100, 1, 37, 1},
		{2, 50, 1, 7},
		{1, 1, 1, 1},
		{640, 480, 640, 240}, // one axis unscaled
		{640, 480, 320, 480},
		{651, 400, 100, 60},   // ratios near the packed path's limit (≤ 8 taps)
		{701, 703, 100, 100},  //
		{1920, 1080, 100, 56}, // wide path (more than 8 taps)
		{5000, 9, 3, 2},
	}
	if testing.Short() {
		cases = cases[2:]
	}
	rng := rand.New(rand.NewPCG(3, 4))
	worst := 0.0
	for _, c := range cases {
		for _, kind := range []string{"noise", "ramp"} {
			t.Run(fmt.Sprintf("%dx%d-%dx%d-%s", c.sw, c.sh, c.dw, c.dh, kind), func(t *testing.T) {
				m := rampYCbCr(c.sw, c.sh)
				if kind == "noise" {
					m = randomYCbCr(rng, c.sw, c.sh)
				}
				e := maxScaleError(t, m, c.dw, c.dh)
				worst = max(worst, e)
				t.Logf("max error %.4f", e)
			})
		}
	}
	// Sub-images: Rect.Min odd and even, chroma from a shifted grid.
	for _, c := range []struct {
		r      image.Rectangle
		dw, dh int
	}{
		{image.Rect(11, 13, 1291, 733), 1200, 675},
		{image.Rect(10, 20, 650, 500), 333, 250},
		{image.Rect(1, 2, 4, 9), 2, 3},
		{image.Rect(7, 5, 8, 60), 1, 20},
		{image.Rect(3, 1, 1003, 2), 70, 1},
	} {
		for _, kind := range []string{"noise", "ramp"} {
			t.Run(fmt.Sprintf("sub%v-%dx%d-%s", c.r, c.dw, c.dh, kind), func(t *testing.T) {
				w, h := c.r.Max.X+5, c.r.Max.Y+3
				m := rampYCbCr(w, h)
				if kind == "noise" {
					m = randomYCbCr(rng, w, h)
				}
				e := maxScaleError(t, m.SubImage(c.r).(*image.YCbCr), c.dw, c.dh)
				worst = max(worst, e)
				t.Logf("max error %.4f", e)
			})
		}
	}
	t.Logf("max error %.4f code values", worst)
}

// TestScaleConcurrent scales images of more sizes than the taps cache holds
// from several goroutines: each result matches the one made alone.
func TestScaleConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	type job struct {
		src  *image.YCbCr
		w, h int
		want *image.YCbCr
	}
	var jobs []job
	for i := range 12 {
		src := randomYCbCr(rng, 200+7*i, 120+5*i)
		w, h := 150+i, 90+i
		jobs = append(jobs, job{src, w, h, ScaleYCbCr420(src, w, h)})
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range 3 * len(jobs) {
				j := jobs[(k+g*5)%len(jobs)]
				got := ScaleYCbCr420(j.src, j.w, j.h)
				if string(got.Y) != string(j.want.Y) || string(got.Cb) != string(j.want.Cb) || string(got.Cr) != string(j.want.Cr) {
					t.Errorf("%v → %dx%d differs when concurrent", j.src.Rect, j.w, j.h)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkScalePlane1080p: the luma plane of a 1080p frame to fit
// 1200×800 (1200×675).
func BenchmarkScalePlane1080p(b *testing.B) {
	src := randomYCbCr(rand.New(rand.NewPCG(1, 1)), 1920, 1080)
	dst := make([]byte, 1200*675)
	b.SetBytes(int64(len(src.Y)))
	b.ReportAllocs()
	for b.Loop() {
		scalePlane(dst, 1200, 1200, 675, src.Y, src.YStride, 1920, 1080)
	}
}
