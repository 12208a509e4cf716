package jpegenc

import (
	"errors"
	"fmt"
	"image"
)

var (
	// ErrInvalidImage reports a nil image, empty bounds, a side longer than
	// 65535 pixels, or pixel slices too short for the bounds.
	ErrInvalidImage = errors.New("jpegenc: invalid image")
	// ErrUnsupportedSubsampling reports a subsample ratio other than 4:2:0.
	ErrUnsupportedSubsampling = errors.New("jpegenc: unsupported subsample ratio (only 4:2:0)")
	// ErrInvalidQuality reports a quality outside 1..100.
	ErrInvalidQuality = errors.New("jpegenc: quality out of range 1..100")
)

// maxDimension is the largest width or height SOF0 can express.
const maxDimension = 65535

// Encoder reuses its buffers between calls; not safe for concurrent use.
// The zero value is ready.
type Encoder struct {
	quality int // quality that tables were built for; 0 before first use
	tables  quantTables

	// Chroma planes realigned to the MCU grid, for images whose Rect.Min is
	// odd or negative (see planes).
	cb, cr []byte
}

// plane is one colour component's samples, top-left aligned.
type plane struct {
	pix    []byte
	stride int
	w, h   int
}

// Encode writes img as a baseline JPEG (JFIF, 3 components, 4:2:0
// sampling: Y 2x2, Cb/Cr 1x1) at quality 1..100 (same quality→quantisation
// table scaling as image/jpeg and libjpeg, standard Annex K quantisation
// and Huffman tables) and appends it to dst, returning the extended slice.
// On error dst is returned unchanged.
func (e *Encoder) Encode(dst []byte, img *image.YCbCr, quality int) ([]byte, error) {
	if err := validate(img, quality); err != nil {
		return dst, err
	}
	if quality != e.quality {
		e.tables.init(quality)
		e.quality = quality
	}
	y, cb, cr := e.planes(img)
	dst = appendHeaders(dst, &e.tables, y.w, y.h)
	dst = e.appendScan(dst, y, cb, cr)
	return append(dst, 0xff, 0xd9), nil // EOI
}

func validate(img *image.YCbCr, quality int) error {
	if quality < 1 || quality > 100 {
		return fmt.Errorf("%w: %d", ErrInvalidQuality, quality)
	}
	if img == nil {
		return fmt.Errorf("%w: nil", ErrInvalidImage)
	}
	r := img.Rect
	if r.Empty() {
		return fmt.Errorf("%w: empty bounds %v", ErrInvalidImage, r)
	}
	// Dx and Dy are negative only if they overflowed.
	if w, h := r.Dx(), r.Dy(); w < 0 || h < 0 || w > maxDimension || h > maxDimension {
		return fmt.Errorf("%w: bounds %v larger than %d pixels", ErrInvalidImage, r, maxDimension)
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("%w: %v", ErrUnsupportedSubsampling, img.SubsampleRatio)
	}
	// With non-negative strides the first and last pixels bound every
	// offset the encoder computes, so checking them turns a malformed image
	// into an error rather than a panic.
	if img.YStride < 0 || img.CStride < 0 {
		return fmt.Errorf("%w: negative stride", ErrInvalidImage)
	}
	for _, pt := range [2]image.Point{r.Min, r.Max.Sub(image.Pt(1, 1))} {
		yi, ci := img.YOffset(pt.X, pt.Y), img.COffset(pt.X, pt.Y)
		if yi < 0 || yi >= len(img.Y) || ci < 0 || ci >= len(img.Cb) || ci >= len(img.Cr) {
			return fmt.Errorf("%w: pixel slices too short for %v", ErrInvalidImage, r)
		}
	}
	return nil
}

// planes returns the image's planes with chroma sample (x, y) covering
// luma pixels (2x..2x+1, 2y..2y+1), the layout the MCU grid reads. When
// Rect.Min is even and non-negative the image's own chroma slices already
// line up. Otherwise each output chroma sample straddles two stored ones
// and is rebuilt by averaging the chroma of its four pixels, as image/jpeg
// does.
func (e *Encoder) planes(img *image.YCbCr) (y, cb, cr plane) {
	r := img.Rect
	w, h := r.Dx(), r.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	y = plane{img.Y[img.YOffset(r.Min.X, r.Min.Y):], img.YStride, w, h}
	if r.Min.X >= 0 && r.Min.Y >= 0 && r.Min.X%2 == 0 && r.Min.Y%2 == 0 {
		ci := img.COffset(r.Min.X, r.Min.Y)
		return y, plane{img.Cb[ci:], img.CStride, cw, ch}, plane{img.Cr[ci:], img.CStride, cw, ch}
	}
	e.cb, e.cr = grow(e.cb, cw*ch), grow(e.cr, cw*ch)
	for cy := range ch {
		for cx := range cw {
			var sb, sr int
			for dy := range 2 {
				for dx := range 2 {
					// Pixels beyond the edge repeat the last row or column.
					x, y := min(2*cx+dx, w-1), min(2*cy+dy, h-1)
					ci := img.COffset(r.Min.X+x, r.Min.Y+y)
					sb += int(img.Cb[ci])
					sr += int(img.Cr[ci])
				}
			}
			e.cb[cy*cw+cx] = uint8((sb + 2) / 4)
			e.cr[cy*cw+cx] = uint8((sr + 2) / 4)
		}
	}
	return y, plane{e.cb, cw, cw, ch}, plane{e.cr, cw, cw, ch}
}

// grow returns b resized to n bytes, reusing its storage when possible.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// component is a plane with its coding tables and DC predictor.
type component struct {
	plane
	recip  *[64]float32
	dc, ac *huffTable
	pred   int32 // DC of the previous block of this component
}

// scan holds the per-block scratch space of appendScan.
type scan struct {
	w    bitWriter
	tmp  [64]float32
	q    [64]int32
	edge [64]byte
}

// appendScan entropy-codes all MCUs: four luma blocks, then one Cb and one
// Cr block per 16×16 pixels.
func (e *Encoder) appendScan(dst []byte, y, cb, cr plane) []byte {
	luma, chroma := &e.tables.recip[0], &e.tables.recip[1]
	cy := component{plane: y, recip: luma, dc: lumaDC, ac: lumaAC}
	ccb := component{plane: cb, recip: chroma, dc: chromaDC, ac: chromaAC}
	ccr := component{plane: cr, recip: chroma, dc: chromaDC, ac: chromaAC}
	s := scan{w: bitWriter{buf: dst}}
	for my := 0; my < y.h; my += 16 {
		for mx := 0; mx < y.w; mx += 16 {
			s.block(&cy, mx, my)
			s.block(&cy, mx+8, my)
			s.block(&cy, mx, my+8)
			s.block(&cy, mx+8, my+8)
			s.block(&ccb, mx/2, my/2)
			s.block(&ccr, mx/2, my/2)
		}
	}
	return s.w.finish()
}

// block codes the 8×8 block of c whose top-left sample is (x, y). Blocks
// that overhang the plane are first copied to edge with the last row and
// column replicated, which keeps the padding cheap to code and invisible
// after decoding.
func (s *scan) block(c *component, x, y int) {
	var mask uint64
	if x+8 <= c.w && y+8 <= c.h {
		mask = transform(&s.q, &s.tmp, c.pix, y*c.stride+x, c.stride, c.recip)
	} else {
		for r := range 8 {
			row := min(y+r, c.h-1) * c.stride
			for i := range 8 {
				s.edge[r*8+i] = c.pix[row+min(x+i, c.w-1)]
			}
		}
		mask = transform(&s.q, &s.tmp, s.edge[:], 0, 8, c.recip)
	}
	c.pred = s.w.writeBlock(&s.q, mask, c.pred, c.dc, c.ac)
}
