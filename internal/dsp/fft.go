package dsp

import (
	"math"
	"math/bits"
)

// RealFFT computes the power spectrum of a real block of n samples (n a power
// of two, at least 8) with an n/2-point complex radix-2 FFT and the usual
// split step. All tables are built once; Power does not allocate.
type RealFFT struct {
	n      int
	half   int
	rev    []int     // bit reversal permutation for half
	twR    []float64 // twiddles e^{-2πik/size} of the stages size = 8, 16 … h, one after another
	twI    []float64
	splitC []float64 // cos(2πk/n), k < n/2
	splitS []float64 // sin(2πk/n)
	re, im []float64
}

func NewRealFFT(n int) *RealFFT {
	h := n / 2
	f := &RealFFT{
		n: n, half: h,
		rev:    make([]int, h),
		splitC: make([]float64, h),
		splitS: make([]float64, h),
		re:     make([]float64, h),
		im:     make([]float64, h),
	}
	lg := bits.TrailingZeros(uint(h))
	for i := range h {
		f.rev[i] = int(bits.Reverse(uint(i)) >> (bits.UintSize - lg))
	}
	for size := 8; size <= h; size <<= 1 {
		for k := range size / 2 {
			a := 2 * math.Pi * float64(k) / float64(size)
			f.twR, f.twI = append(f.twR, math.Cos(a)), append(f.twI, -math.Sin(a))
		}
	}
	for k := range h {
		a := 2 * math.Pi * float64(k) / float64(n)
		f.splitC[k], f.splitS[k] = math.Cos(a), math.Sin(a)
	}
	return f
}

// Power writes |X[k]|² for k = 0..n/2 of the real input x (len n) into out
// (len n/2+1).
func (f *RealFFT) Power(x []float64, out []float64) {
	h := f.half
	re, im := f.re[:h], f.im[:h]
	x = x[:2*h]
	for i := range h {
		j := f.rev[i]
		re[j] = x[2*i]
		im[j] = x[2*i+1]
	}
	// The first two stages have the twiddles 1 and -i: adds only.
	if h >= 4 {
		for a := 0; a+3 < h; a += 4 {
			r0, i0, r1, i1 := re[a]+re[a+1], im[a]+im[a+1], re[a]-re[a+1], im[a]-im[a+1]
			r2, i2, r3, i3 := re[a+2]+re[a+3], im[a+2]+im[a+3], re[a+2]-re[a+3], im[a+2]-im[a+3]
			re[a], im[a] = r0+r2, i0+i2
			re[a+2], im[a+2] = r0-r2, i0-i2
			// (r3, i3)·(-i) = (i3, -r3)
			re[a+1], im[a+1] = r1+i3, i1-r3
			re[a+3], im[a+3] = r1-i3, i1+r3
		}
	}
	for size, tw := 8, 0; size <= h; size <<= 1 {
		hs := size >> 1
		wr, wi := f.twR[tw:tw+hs], f.twI[tw:tw+hs]
		tw += hs
		for start := 0; start < h; start += size {
			lo, hi := re[start:start+hs], re[start+hs:start+size]
			loI, hiI := im[start:start+hs], im[start+hs:start+size]
			for k := range lo {
				tr := hi[k]*wr[k] - hiI[k]*wi[k]
				ti := hi[k]*wi[k] + hiI[k]*wr[k]
				hi[k], hiI[k] = lo[k]-tr, loI[k]-ti
				lo[k], loI[k] = lo[k]+tr, loI[k]+ti
			}
		}
	}
	out = out[:h+1]
	// DC and Nyquist.
	out[0] = (re[0] + im[0]) * (re[0] + im[0])
	out[h] = (re[0] - im[0]) * (re[0] - im[0])
	for k := 1; k < h; k++ {
		zr, zi := re[k], im[k]
		cr, ci := re[h-k], -im[h-k] // conj(Z[h-k])
		er, ei := (zr+cr)*0.5, (zi+ci)*0.5
		dr, di := (zr-cr)*0.5, (zi-ci)*0.5
		// odd = d / i = (di, -dr)
		or, oi := di, -dr
		wr, wi := f.splitC[k], -f.splitS[k]
		xr := er + or*wr - oi*wi
		xi := ei + or*wi + oi*wr
		out[k] = xr*xr + xi*xi
	}
}
