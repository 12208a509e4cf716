package media

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"time"

	"golang.org/x/image/draw"
)

const (
	// ImageMaxWidth×ImageMaxHeight is the largest image given to a model
	// (the SenseNova-5o limit, see DESIGN.md).
	ImageMaxWidth, ImageMaxHeight = 1200, 800
	// DefaultJPEGQuality is EncodeJPEG's quality when 0 is passed.
	DefaultJPEGQuality = 80
)

// Snapshot is one decoded camera picture. It is shared: never modify Image.
type Snapshot struct {
	// Image is the decoded key frame, an *image.YCbCr (4:2:0), downscaled to
	// the receiver's MaxWidth×MaxHeight if the camera sent more.
	Image image.Image
	// Captured is when the key frame's last packet arrived (receiver clock).
	Captured time.Time
	// Width and Height are the size the camera encoded.
	Width, Height int
	// ID numbers the pictures of one receiver from 1; two snapshots with the
	// same ID are the same picture (e.g. no new key frame between turns).
	ID uint64
}

// Age is how old the snapshot is at now.
func (s *Snapshot) Age(now time.Time) time.Duration { return now.Sub(s.Captured) }

// FitWithin returns the largest size with the aspect ratio of w×h (rounded
// to whole pixels, at least 1×1) that fits within maxW×maxH. It never
// upscales: a w×h that already fits is returned unchanged. Non-positive
// inputs give 0, 0.
func FitWithin(w, h, maxW, maxH int) (int, int) {
	if w <= 0 || h <= 0 || maxW <= 0 || maxH <= 0 {
		return 0, 0
	}
	if w <= maxW && h <= maxH {
		return w, h
	}
	// Compare w/h with maxW/maxH exactly (int64: no overflow for any image).
	W, H, MW, MH := int64(w), int64(h), int64(maxW), int64(maxH)
	if W*MH >= H*MW { // width-bound
		return maxW, int(max(1, min(MH, (H*MW+W/2)/W)))
	}
	return int(max(1, min(MW, (W*MH+H/2)/H))), maxH
}

// EncodeJPEG scales img to fit within maxW×maxH (FitWithin: aspect kept,
// never upscaled) and encodes it as a JPEG at quality (1..100; 0 means
// DefaultJPEGQuality). It returns the JPEG and the image it encodes (img
// itself when no scaling was needed). A 4:2:0 *image.YCbCr (what the VP8
// decoder makes) is scaled plane by plane with area averaging; other images
// with golang.org/x/image/draw's Catmull-Rom.
func EncodeJPEG(img image.Image, maxW, maxH, quality int) ([]byte, image.Image, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, nil, ErrEmptyImage
	}
	if quality == 0 {
		quality = DefaultJPEGQuality
	}
	if quality < 1 || quality > 100 {
		return nil, nil, fmt.Errorf("%w: JPEG quality %d (want 1..100)", ErrInvalidOption, quality)
	}
	if maxW <= 0 || maxH <= 0 {
		return nil, nil, fmt.Errorf("%w: max size %dx%d", ErrInvalidOption, maxW, maxH)
	}
	scaled := ScaleToFit(img, maxW, maxH)
	var buf bytes.Buffer
	b := scaled.Bounds()
	buf.Grow(b.Dx()*b.Dy()/8 + 1024)
	if err := jpeg.Encode(&buf, scaled, &jpeg.Options{Quality: quality}); err != nil {
		return nil, nil, fmt.Errorf("media: jpeg encode: %w", err)
	}
	return buf.Bytes(), scaled, nil
}

// ScaleToFit returns img scaled down to fit within maxW×maxH (FitWithin),
// or img itself if it already fits. See EncodeJPEG for the filters.
func ScaleToFit(img image.Image, maxW, maxH int) image.Image {
	b := img.Bounds()
	w, h := FitWithin(b.Dx(), b.Dy(), maxW, maxH)
	if w == b.Dx() && h == b.Dy() {
		return img
	}
	if y, ok := img.(*image.YCbCr); ok && y.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		return scaleYCbCr420(y, w, h)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// scaleYCbCr420 downscales a 4:2:0 image to w×h (each no larger than the
// source's) by area averaging each plane.
func scaleYCbCr420(src *image.YCbCr, w, h int) *image.YCbCr {
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	b := src.Rect
	sw, sh := b.Dx(), b.Dy()
	// Plane origins of src's top-left pixel.
	yOff := src.YOffset(b.Min.X, b.Min.Y)
	cOff := src.COffset(b.Min.X, b.Min.Y)
	scalePlane(dst.Y, dst.YStride, w, h, src.Y[yOff:], src.YStride, sw, sh)
	// Chroma covers ceil(size/2); an odd Min shifts the chroma grid by half
	// a sample, which area averaging at this scale does not show.
	csw, csh := (b.Max.X+1)/2-b.Min.X/2, (b.Max.Y+1)/2-b.Min.Y/2
	cw, ch := (w+1)/2, (h+1)/2
	scalePlane(dst.Cb, dst.CStride, cw, ch, src.Cb[cOff:], src.CStride, csw, csh)
	scalePlane(dst.Cr, dst.CStride, cw, ch, src.Cr[cOff:], src.CStride, csw, csh)
	return dst
}

// areaTaps are, for each output pixel along one axis, n consecutive
// source pixels from first[i] and their weights w[i*n:(i+1)*n] (summing to
// 1<<areaShift; unused taps weigh 0).
type areaTaps struct {
	n     int
	first []int32
	w     []int32
}

const areaShift = 14

// newAreaTaps maps n source pixels onto m output pixels (m <= n): output i
// averages the source interval [i*n/m, (i+1)*n/m) weighted by coverage.
func newAreaTaps(n, m int) areaTaps {
	scale := float64(n) / float64(m)
	taps := min(int(scale)+2, n)
	t := areaTaps{n: taps, first: make([]int32, m), w: make([]int32, m*taps)}
	for i := range m {
		a, b := float64(i)*scale, float64(i+1)*scale
		j0 := int(a)
		j1 := min(int(b+0.999999), n) // exclusive
		// Keep the window inside the source: shift it left at the end.
		f := min(j0, n-taps)
		t.first[i] = int32(f)
		w := t.w[i*taps : (i+1)*taps]
		sum, big := int32(0), j0-f
		for j := j0; j < j1; j++ {
			cov := min(b, float64(j+1)) - max(a, float64(j))
			wt := int32(cov/scale*(1<<areaShift) + 0.5)
			w[j-f] = wt
			sum += wt
			if wt > w[big] {
				big = j - f
			}
		}
		// Give the rounding error to the largest tap so weights sum exactly.
		w[big] += 1<<areaShift - sum
	}
	return t
}

// scalePlane area-averages an sw×sh plane into a dw×dh one (dw <= sw,
// dh <= sh), one output row at a time: the source rows it covers are
// averaged vertically into a row buffer, which is averaged horizontally.
func scalePlane(dst []byte, dstride, dw, dh int, src []byte, sstride, sw, sh int) {
	if dw <= 0 || dh <= 0 || sw <= 0 || sh <= 0 {
		return
	}
	var hx areaTaps
	if dw != sw {
		hx = newAreaTaps(sw, dw)
	}
	vy := newAreaTaps(sh, dh)
	acc := make([]int32, sw)
	buf := make([]byte, sw)
	for y := range dh {
		var row []byte
		if dh == sh {
			row = src[y*sstride : y*sstride+sw]
		} else {
			verticalTaps(acc, buf, src, sstride, int(vy.first[y]), vy.w[y*vy.n:(y+1)*vy.n])
			row = buf
		}
		out := dst[y*dstride : y*dstride+dw]
		if dw == sw {
			copy(out, row)
			continue
		}
		horizontalTaps(out, row, hx)
	}
}

// verticalTaps averages the source rows r0, r0+1, … with weights w into
// out (via acc).
func verticalTaps(acc []int32, out, src []byte, stride, r0 int, w []int32) {
	const round = 1 << (areaShift - 1)
	n := len(acc)
	if len(w) == 1 {
		copy(out, src[r0*stride:r0*stride+n])
		return
	}
	a, b := src[r0*stride:r0*stride+n], src[(r0+1)*stride:(r0+1)*stride+n]
	a, b = a[:len(acc)], b[:len(acc)]
	w0, w1 := w[0], w[1]
	for x := range acc {
		acc[x] = round + int32(a[x])*w0 + int32(b[x])*w1
	}
	for k, wt := range w[2:] {
		if wt == 0 {
			continue
		}
		r := r0 + 2 + k
		row := src[r*stride : r*stride+n]
		row = row[:len(acc)]
		for x, v := range row {
			acc[x] += int32(v) * wt
		}
	}
	out = out[:len(acc)]
	for x := range out {
		out[x] = byte(acc[x] >> areaShift)
	}
}

// horizontalTaps averages row into out with the taps t.
func horizontalTaps(out, row []byte, t areaTaps) {
	const round = 1 << (areaShift - 1)
	first := t.first[:len(out)]
	switch n := t.n; n {
	case 2:
		w := t.w[:2*len(out)]
		for x, f := range first {
			p := row[f : f+2]
			out[x] = byte((round + int32(p[0])*w[2*x] + int32(p[1])*w[2*x+1]) >> areaShift)
		}
	case 3:
		w := t.w[:3*len(out)]
		for x, f := range first {
			p := row[f : f+3]
			ww := w[3*x : 3*x+3]
			out[x] = byte((round + int32(p[0])*ww[0] + int32(p[1])*ww[1] + int32(p[2])*ww[2]) >> areaShift)
		}
	default:
		for x, f := range first {
			ww := t.w[n*x : n*x+n]
			p := row[f:]
			p = p[:len(ww)]
			acc := int32(round)
			for k, wt := range ww {
				acc += int32(p[k]) * wt
			}
			out[x] = byte(acc >> areaShift)
		}
	}
}
