// Package turbojpeg encodes 4:2:0 *image.YCbCr images as baseline JPEG
// with libjpeg-turbo's TurboJPEG API (Debian libturbojpeg0-dev, cgo),
// straight from the Y, Cb and Cr planes: no colour conversion.
package turbojpeg

/*
#cgo pkg-config: libturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>

// encode420 compresses three planes into out (cap bytes, never
// reallocated); it returns the JPEG's size, or 0 on error.
static unsigned long encode420(tjhandle h, const unsigned char *y, const unsigned char *cb,
		const unsigned char *cr, int w, int h2, int ys, int cs, unsigned char *out,
		unsigned long cap, int quality) {
	const unsigned char *planes[3] = {y, cb, cr};
	int strides[3] = {ys, cs, cs};
	unsigned long size = cap;
	if (tjCompressFromYUVPlanes(h, planes, w, strides, h2, TJSAMP_420, &out, &size,
			quality, TJFLAG_NOREALLOC) != 0) {
		return 0;
	}
	return size;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"unsafe"
)

var (
	// ErrUnsupported: the image is not 4:2:0 YCbCr, is empty, or the
	// quality is outside 1..100.
	ErrUnsupported = errors.New("turbojpeg: unsupported image or quality")
	// ErrEncode: libjpeg-turbo reported an error.
	ErrEncode = errors.New("turbojpeg: encode failed")
)

// Encoder holds a TurboJPEG compressor. Not safe for concurrent use; the
// zero value is ready, Close frees it (a finalizer does too).
type Encoder struct {
	h   C.tjhandle
	buf []byte // libjpeg-turbo's worst-case output buffer, reused
}

// Encode appends img as a JPEG at quality (1..100) to dst and returns it;
// dst grows by the JPEG's size only.
func (e *Encoder) Encode(dst []byte, img *image.YCbCr, quality int) ([]byte, error) {
	r := img.Rect
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 || r.Empty() || quality < 1 || quality > 100 {
		return dst, ErrUnsupported
	}
	if e.h == nil {
		if e.h = C.tjInitCompress(); e.h == nil {
			return dst, fmt.Errorf("%w: %s", ErrEncode, C.GoString(C.tjGetErrorStr2(nil)))
		}
		runtime.SetFinalizer(e, (*Encoder).Close)
	}
	w, h := r.Dx(), r.Dy()
	need := int(C.tjBufSize(C.int(w), C.int(h), C.TJSAMP_420))
	if len(e.buf) < need {
		e.buf = make([]byte, need)
	}
	yi, ci := img.YOffset(r.Min.X, r.Min.Y), img.COffset(r.Min.X, r.Min.Y)
	size := C.encode420(e.h, (*C.uchar)(unsafe.Pointer(&img.Y[yi])), (*C.uchar)(unsafe.Pointer(&img.Cb[ci])),
		(*C.uchar)(unsafe.Pointer(&img.Cr[ci])), C.int(w), C.int(h), C.int(img.YStride), C.int(img.CStride),
		(*C.uchar)(unsafe.Pointer(&e.buf[0])), C.ulong(need), C.int(quality))
	if size == 0 {
		return dst, fmt.Errorf("%w: %s", ErrEncode, C.GoString(C.tjGetErrorStr2(e.h)))
	}
	return append(dst, e.buf[:size]...), nil
}

// Close frees the compressor; the Encoder can be used again after.
func (e *Encoder) Close() error {
	if e.h != nil {
		C.tjDestroy(e.h)
		e.h = nil
	}
	return nil
}
