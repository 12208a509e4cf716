package jpegenc

import "math"

// AAN rotation constants (libjpeg jfdctflt.c).
const (
	c4   = 0.707106781 // cos(4π/16)
	c6   = 0.382683433 // cos(6π/16)
	c2m6 = 0.541196100 // cos(2π/16) - cos(6π/16)
	c2p6 = 1.306562965 // cos(2π/16) + cos(6π/16)
)

// transform runs the Arai-Agui-Nakajima forward DCT on the 8×8 samples at
// pix[off:] (rows stride bytes apart) and quantises the result into q.
//
// q is in transposed order: q[8k+u] holds the coefficient of horizontal
// frequency k and vertical frequency u. That lets the second pass write and
// quantise eight contiguous outputs per iteration, with the layout change
// absorbed by the zig-zag tables (zigzagT, zigzagMask). recip must use the
// same order.
//
// The returned mask has bit i set when the i-th coefficient in zig-zag
// order is non-zero, so the entropy coder can jump over runs of zeros.
func transform(q *[64]int32, tmp *[64]float32, pix []byte, off, stride int, recip *[64]float32) uint64 {
	// Rows: output k of row r goes to tmp[8k+r], i.e. transposed, so the
	// column pass below reads contiguous memory.
	for r := range 8 {
		s := pix[off : off+8 : off+8]
		off += stride
		y0, y1, y2, y3, y4, y5, y6, y7 := dct1D(
			sampleF[s[0]], sampleF[s[1]], sampleF[s[2]], sampleF[s[3]],
			sampleF[s[4]], sampleF[s[5]], sampleF[s[6]], sampleF[s[7]])
		tmp[r], tmp[8+r], tmp[16+r], tmp[24+r] = y0, y1, y2, y3
		tmp[32+r], tmp[40+r], tmp[48+r], tmp[56+r] = y4, y5, y6, y7
	}
	var mask uint64
	for k := range 8 {
		c := (*[8]float32)(tmp[8*k : 8*k+8])
		y0, y1, y2, y3, y4, y5, y6, y7 := dct1D(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
		rc := (*[8]float32)(recip[8*k : 8*k+8])
		o := (*[8]int32)(q[8*k : 8*k+8])
		o[0], o[1], o[2], o[3] = quant(y0, rc[0]), quant(y1, rc[1]), quant(y2, rc[2]), quant(y3, rc[3])
		o[4], o[5], o[6], o[7] = quant(y4, rc[4]), quant(y5, rc[5]), quant(y6, rc[6]), quant(y7, rc[7])
		nz := nonzero(o[0]) | nonzero(o[1])<<1 | nonzero(o[2])<<2 | nonzero(o[3])<<3 |
			nonzero(o[4])<<4 | nonzero(o[5])<<5 | nonzero(o[6])<<6 | nonzero(o[7])<<7
		mask |= zigzagMask[k][nz]
	}
	return mask
}

// sampleF maps a sample to its level-shifted float value; a table load is
// cheaper than an integer-to-float conversion.
var sampleF = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i - 128)
	}
	return t
}()

// roundMagic is 1.5·2^23: the float32 values around it are spaced exactly
// 1 apart, so adding it to any |x| < 2^22 rounds x to an integer (to
// nearest, ties to even, in the FPU's default mode) and leaves that integer
// in the low mantissa bits.
const roundMagic = 0x1.8p23

// quant scales a DCT output by its reciprocal quantisation step and rounds
// it to the nearest integer, ties to even. Quantised values stay within
// ±2^11, far inside roundMagic's range. The trick needs no float-to-int
// conversion, and unlike libjpeg's float path (ties up) it is unbiased,
// which matters for flat synthetic content where exact ties are common.
func quant(y, recip float32) int32 {
	return int32(math.Float32bits(y*recip+roundMagic) - math.Float32bits(roundMagic))
}

// nonzero is 1 if v != 0 and 0 otherwise, without a branch.
func nonzero(v int32) uint8 {
	return uint8(uint32(v|-v) >> 31)
}

// dct1D is the one-dimensional AAN butterfly on eight samples. Output k is
// scaled by aanScale[k] (and the DC by 1), which recip compensates.
func dct1D(x0, x1, x2, x3, x4, x5, x6, x7 float32) (y0, y1, y2, y3, y4, y5, y6, y7 float32) {
	t0, t7 := x0+x7, x0-x7
	t1, t6 := x1+x6, x1-x6
	t2, t5 := x2+x5, x2-x5
	t3, t4 := x3+x4, x3-x4

	// Even part.
	t10, t13 := t0+t3, t0-t3
	t11, t12 := t1+t2, t1-t2
	y0, y4 = t10+t11, t10-t11
	z1 := (t12 + t13) * c4
	y2, y6 = t13+z1, t13-z1

	// Odd part.
	t10, t11, t12 = t4+t5, t5+t6, t6+t7
	z5 := (t10 - t12) * c6
	z2 := c2m6*t10 + z5
	z4 := c2p6*t12 + z5
	z3 := t11 * c4
	z11, z13 := t7+z3, t7-z3
	y5, y3 = z13+z2, z13-z2
	y1, y7 = z11+z4, z11-z4
	return
}
