package media

import (
	"image"
	"sync"
)

// ScaleYCbCr420 downscales a 4:2:0 image to w×h (each no larger than the
// source's) by area averaging each plane.
func ScaleYCbCr420(src *image.YCbCr, w, h int) *image.YCbCr {
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

// A plane is scaled in one of two ways, both separable area averages with
// integer weights (summing to 1<<shift along each axis) and one rounding at
// the end:
//
//   - packed, when no output pixel covers more than packedMaxTaps source
//     pixels along either axis (downscaling by up to about 7): two output
//     rows in the low and high 32-bit halves of each uint64 of a row of
//     sums. The vertical pass multiplies each source byte by both rows'
//     weights at once; the horizontal pass then averages both rows with one
//     set of multiplications, for two such rows (four output rows) per
//     load of the taps. 12-bit weights keep each half below 2^32.
//   - wide, otherwise: one output row at a time, 24-bit weights.
//
// The weights are differences of rounded cumulative coverages, so a pass
// is off by at most 2^-(shift+1) times the variation of the pixels it
// averages: (packed) 0.031 code value per tap after the first. The output
// stays within 0.5+2×0.031×7 < 1 code value of the exact area average
// (wide: for planes up to 16K pixels a side).
const (
	packedShift   = 12
	packedMaxTaps = 8
	wideShift     = 24
)

// areaTaps are, for each output pixel along one axis, the count[i] source
// pixels from first[i] it covers and their weights w[i*n:i*n+count[i]]
// (summing to 1<<shift; n is the most pixels an output covers and w is
// zero-padded). first[i]+n never passes the end of the source.
type areaTaps struct {
	n     int
	first []int32
	count []int32
	w     []uint32
}

// newAreaTaps maps n source pixels onto m output pixels (m <= n): output i
// averages the source interval [i*n/m, (i+1)*n/m) weighted by coverage.
// Coverages are exact: in units of 1/m source pixel, output i spans
// [i*n, (i+1)*n) and source pixel j spans [j*m, (j+1)*m). A pixel the
// interval does not reach is no tap.
func newAreaTaps(n, m int, shift uint) areaTaps {
	span := func(i int) (j0, j1 int) { return i * n / m, ((i+1)*n + m - 1) / m }
	taps := 1
	for i := range m {
		j0, j1 := span(i)
		taps = max(taps, j1-j0)
	}
	t := areaTaps{n: taps, first: make([]int32, m), count: make([]int32, m), w: make([]uint32, m*taps)}
	// Rounded cumulative weight of coverage c (of n).
	quant := func(c int) uint32 { return uint32((uint64(c)<<shift + uint64(n)/2) / uint64(n)) }
	for i := range m {
		j0, j1 := span(i)
		// Keep the window inside the source: shift it left at the end
		// (the taps before j0 weigh 0).
		f := min(j0, n-taps)
		t.first[i], t.count[i] = int32(f), int32(j1-f)
		w := t.w[i*taps : i*taps+j1-f]
		s, e := i*n, (i+1)*n
		prev := uint32(0)
		for j := j0; j < j1; j++ {
			q := quant(min(e, (j+1)*m) - s)
			w[j-f] = q - prev
			prev = q
		}
	}
	return t
}

// tap2 and tap3 are the horizontal taps of an output pixel covering (at
// most) 2 or 3 source pixels from f, as the weights of all but the first
// (which weighs 1<<packedShift minus the others).
type (
	tap2 struct{ f, w1 uint32 }
	tap3 struct{ f, w1, w2 uint32 }
)

// planeScaler holds the taps of one sw×sh → dw×dh plane scaling; it is
// read-only once made.
type planeScaler struct {
	sw, sh, dw, dh int
	packed         bool
	v, h           areaTaps
	h2             []tap2 // packed, h.n == 2
	h3             []tap3 // packed, h.n == 3
}

func newPlaneScaler(sw, sh, dw, dh int) *planeScaler {
	p := &planeScaler{sw: sw, sh: sh, dw: dw, dh: dh}
	p.v, p.h = newAreaTaps(sh, dh, packedShift), newAreaTaps(sw, dw, packedShift)
	if p.packed = p.v.n <= packedMaxTaps && p.h.n <= packedMaxTaps; !p.packed {
		p.v, p.h = newAreaTaps(sh, dh, wideShift), newAreaTaps(sw, dw, wideShift)
		return p
	}
	h := p.h
	switch h.n {
	case 2:
		p.h2 = make([]tap2, dw)
		for x := range p.h2 {
			p.h2[x] = tap2{uint32(h.first[x]), h.w[2*x+1]}
		}
	case 3:
		p.h3 = make([]tap3, dw)
		for x := range p.h3 {
			p.h3[x] = tap3{uint32(h.first[x]), h.w[3*x+1], h.w[3*x+2]}
		}
	}
	return p
}

// scalerCache keeps the plane scalers of the last few sizes (a camera
// sends one size: its luma and chroma planes).
var scalerCache struct {
	sync.Mutex
	s    [8]*planeScaler
	next int
}

func cachedPlaneScaler(sw, sh, dw, dh int) *planeScaler {
	c := &scalerCache
	c.Lock()
	defer c.Unlock()
	for _, p := range c.s {
		if p != nil && p.sw == sw && p.sh == sh && p.dw == dw && p.dh == dh {
			return p
		}
	}
	p := newPlaneScaler(sw, sh, dw, dh)
	c.s[c.next] = p
	c.next = (c.next + 1) % len(c.s)
	return p
}

// midPool holds the vertical pass's row buffers (*[]uint64).
var midPool = sync.Pool{New: func() any { return new([]uint64) }}

// scalePlane area-averages an sw×sh plane into a dw×dh one (dw <= sw,
// dh <= sh), a few output rows at a time: the source rows they cover are
// averaged vertically into rows of sums (which stay in L1), which are
// averaged horizontally.
func scalePlane(dst []byte, dstride, dw, dh int, src []byte, sstride, sw, sh int) {
	if dw <= 0 || dh <= 0 || sw <= 0 || sh <= 0 {
		return
	}
	p := cachedPlaneScaler(sw, sh, dw, dh)
	bp := midPool.Get().(*[]uint64)
	if cap(*bp) < 2*sw {
		*bp = make([]uint64, 2*sw)
	}
	mid := (*bp)[:2*sw]
	if p.packed {
		p.scalePacked(dst, dstride, src, sstride, mid[:sw], mid[sw:])
	} else {
		p.scaleWide(dst, dstride, src, sstride, mid[:sw])
	}
	midPool.Put(bp)
}

// scalePacked scales output rows y..y+3 together: y and y+1 packed in
// mid0, y+2 and y+3 in mid1, sharing the horizontal taps. Past the last
// row, the last one is made again.
func (p *planeScaler) scalePacked(dst []byte, dstride int, src []byte, sstride int, mid0, mid1 []uint64) {
	dw, last := p.dw, p.dh-1
	for y := 0; y <= last; y += 4 {
		var out [4][]byte
		for k := range out {
			r := min(y+k, last)
			out[k] = dst[r*dstride : r*dstride+dw]
		}
		p.verticalPacked(mid0, src, sstride, y, min(y+1, last))
		p.verticalPacked(mid1, src, sstride, min(y+2, last), min(y+3, last))
		p.horizontalPacked(out, mid0, mid1)
	}
}

// verticalPacked sets mid to the vertical sums of output rows ya (low
// halves) and yb (high halves).
func (p *planeScaler) verticalPacked(mid []uint64, src []byte, sstride, ya, yb int) {
	v, sw := &p.v, p.sw
	// Source rows r0..r1-1 of either output row, each with both rows'
	// weights (first rows never decrease, and yb's start by ya's end).
	fa, fb := int(v.first[ya]), int(v.first[yb])
	r0, r1 := fa, max(fa+int(v.count[ya]), fb+int(v.count[yb]))
	var wbuf [2 * packedMaxTaps]uint64
	wt := wbuf[:r1-r0]
	for k, w := range v.w[ya*v.n : ya*v.n+int(v.count[ya])] {
		wt[k] = uint64(w)
	}
	for k, w := range v.w[yb*v.n : yb*v.n+int(v.count[yb])] {
		wt[fb-r0+k] |= uint64(w) << 32
	}
	row := func(k int) []byte { return src[(r0+k)*sstride : (r0+k)*sstride+sw] }
	switch len(wt) {
	case 1:
		packRows1(mid, row(0), wt[0])
	case 2:
		packRows2(mid, row(0), row(1), wt[0], wt[1])
	case 3:
		packRows3(mid, row(0), row(1), row(2), wt[0], wt[1], wt[2])
	default:
		packRows4(mid, row(0), row(1), row(2), row(3), wt[0], wt[1], wt[2], wt[3])
		for k := 4; k < len(wt); k++ {
			addRow(mid, row(k), wt[k])
		}
	}
}

// packRows1..4 set mid to the sum of rows a, b, … times (packed) weights.
func packRows1(mid []uint64, a []byte, wa uint64) {
	a = a[:len(mid)]
	for x := range mid {
		mid[x] = uint64(a[x]) * wa
	}
}

func packRows2(mid []uint64, a, b []byte, wa, wb uint64) {
	a, b = a[:len(mid)], b[:len(mid)]
	for x := range mid {
		mid[x] = uint64(a[x])*wa + uint64(b[x])*wb
	}
}

func packRows3(mid []uint64, a, b, c []byte, wa, wb, wc uint64) {
	a, b, c = a[:len(mid)], b[:len(mid)], c[:len(mid)]
	for x := range mid {
		mid[x] = uint64(a[x])*wa + uint64(b[x])*wb + uint64(c[x])*wc
	}
}

func packRows4(mid []uint64, a, b, c, d []byte, wa, wb, wc, wd uint64) {
	a, b, c, d = a[:len(mid)], b[:len(mid)], c[:len(mid)], d[:len(mid)]
	for x := range mid {
		mid[x] = uint64(a[x])*wa + uint64(b[x])*wb + uint64(c[x])*wc + uint64(d[x])*wd
	}
}

// addRow adds row a times weight wa to mid.
func addRow(mid []uint64, a []byte, wa uint64) {
	a = a[:len(mid)]
	for x := range mid {
		mid[x] += uint64(a[x]) * wa
	}
}

// horizontalPacked averages the packed vertical sums mid0 and mid1 into
// the rows out[0] (low halves of mid0), out[1] (high halves), out[2] and
// out[3] (mid1).
func (p *planeScaler) horizontalPacked(out [4][]byte, mid0, mid1 []uint64) {
	const shift = 2 * packedShift
	const round = 1<<(shift-1) | 1<<(shift-1+32)
	o0 := out[0]
	o1, o2, o3 := out[1][:len(o0)], out[2][:len(o0)], out[3][:len(o0)]
	mid1 = mid1[:len(mid0)]
	switch n := p.h.n; n {
	case 2:
		// a·w0 + b·w1 = a<<packedShift + (b-a)·w1 needs one multiplication
		// (and a tap3 two). b-a can be negative and borrow across the
		// halves, but each half of the whole sum is in [0, 2^32), so the
		// sum mod 2^64 has both exactly.
		for x, tp := range p.h2[:len(o0)] {
			f, w1 := int(tp.f), uint64(tp.w1)
			a, b := mid0[f], mid0[f+1]
			s := (a+round>>packedShift)<<packedShift + (b-a)*w1
			o0[x], o1[x] = byte(s>>shift), byte(s>>(shift+32))
			a, b = mid1[f], mid1[f+1]
			s = (a+round>>packedShift)<<packedShift + (b-a)*w1
			o2[x], o3[x] = byte(s>>shift), byte(s>>(shift+32))
		}
	case 3:
		for x, tp := range p.h3[:len(o0)] {
			f, w1, w2 := int(tp.f), uint64(tp.w1), uint64(tp.w2)
			a, b, c := mid0[f], mid0[f+1], mid0[f+2]
			s := (a+round>>packedShift)<<packedShift + (b-a)*w1 + (c-a)*w2
			o0[x], o1[x] = byte(s>>shift), byte(s>>(shift+32))
			a, b, c = mid1[f], mid1[f+1], mid1[f+2]
			s = (a+round>>packedShift)<<packedShift + (b-a)*w1 + (c-a)*w2
			o2[x], o3[x] = byte(s>>shift), byte(s>>(shift+32))
		}
	default:
		first, w := p.h.first[:len(o0)], p.h.w[:n*len(o0)]
		for x, f := range first {
			ww := w[n*x : n*x+n]
			m0, m1 := mid0[f:], mid1[f:]
			m0, m1 = m0[:len(ww)], m1[:len(ww)]
			s0, s1 := uint64(round), uint64(round)
			for k, wt := range ww {
				s0 += m0[k] * uint64(wt)
				s1 += m1[k] * uint64(wt)
			}
			o0[x], o1[x] = byte(s0>>shift), byte(s0>>(shift+32))
			o2[x], o3[x] = byte(s1>>shift), byte(s1>>(shift+32))
		}
	}
}

// scaleWide scales one output row at a time with wideShift weights: the
// vertical sums stay below 2^32, the horizontal ones below 2^56.
func (p *planeScaler) scaleWide(dst []byte, dstride int, src []byte, sstride int, mid []uint64) {
	const shift = 2 * wideShift
	const round = 1 << (shift - 1)
	v, h, sw, dw := &p.v, &p.h, p.sw, p.dw
	for y := range p.dh {
		r0 := int(v.first[y])
		for k, w := range v.w[y*v.n : y*v.n+int(v.count[y])] {
			row := src[(r0+k)*sstride : (r0+k)*sstride+sw]
			if k == 0 {
				packRows1(mid, row, uint64(w))
			} else {
				addRow(mid, row, uint64(w))
			}
		}
		out := dst[y*dstride : y*dstride+dw]
		n := h.n
		first, w := h.first[:len(out)], h.w[:n*len(out)]
		for x, f := range first {
			ww := w[n*x : n*x+n]
			m := mid[f:]
			m = m[:len(ww)]
			s := uint64(round)
			for k, wt := range ww {
				s += m[k] * uint64(wt)
			}
			out[x] = byte(s >> shift)
		}
	}
}
