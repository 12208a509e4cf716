package media

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/internal/turbojpeg"

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
// decoder makes) is scaled plane by plane with area averaging and encoded by
// libjpeg-turbo (internal/turbojpeg) straight from its planes; other images are scaled with golang.org/x/image/draw's
// Catmull-Rom and encoded by image/jpeg.
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
	b := scaled.Bounds()
	if y, ok := scaled.(*image.YCbCr); ok && y.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		// The VP8 decoder's output: ten times faster than image/jpeg
		// (BENCHMARKS.md, "JPEG encoder").
		e := jpegEncoders.Get().(*turbojpeg.Encoder)
		defer jpegEncoders.Put(e)
		out, err := e.Encode(nil, y, quality)
		if err != nil {
			return nil, nil, fmt.Errorf("media: jpeg encode: %w", err)
		}
		return out, scaled, nil
	}
	var buf bytes.Buffer
	buf.Grow(b.Dx()*b.Dy()/8 + 1024)
	if err := jpeg.Encode(&buf, scaled, &jpeg.Options{Quality: quality}); err != nil {
		return nil, nil, fmt.Errorf("media: jpeg encode: %w", err)
	}
	return buf.Bytes(), scaled, nil
}

// jpegEncoders keeps encoders (libjpeg-turbo compressors) between
// snapshots of all calls; one dropped by the pool is freed by its finalizer.
var jpegEncoders = sync.Pool{New: func() any { return new(turbojpeg.Encoder) }}

// ScaleToFit returns img scaled down to fit within maxW×maxH (FitWithin),
// or img itself if it already fits. See EncodeJPEG for the filters.
func ScaleToFit(img image.Image, maxW, maxH int) image.Image {
	b := img.Bounds()
	w, h := FitWithin(b.Dx(), b.Dy(), maxW, maxH)
	if w == b.Dx() && h == b.Dy() {
		return img
	}
	if y, ok := img.(*image.YCbCr); ok && y.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		return ScaleYCbCr420(y, w, h)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}
