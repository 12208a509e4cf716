package vad

import (
	"math"
	"math/bits"
)

// realFFT computes the power spectrum of a real block of n samples (n a power
// of two) with an n/2-point complex radix-2 FFT and the usual split step.
// All tables are built once; power does not allocate.
type realFFT struct {
	n      int
	half   int
	rev    []int     // bit reversal permutation for half
	cosT   []float64 // twiddles for the half-size FFT
	sinT   []float64
	splitC []float64 // cos(2πk/n), k < n/2
	splitS []float64 // sin(2πk/n)
	re, im []float64
}

func newRealFFT(n int) *realFFT {
	h := n / 2
	f := &realFFT{
		n: n, half: h,
		rev:    make([]int, h),
		cosT:   make([]float64, h/2),
		sinT:   make([]float64, h/2),
		splitC: make([]float64, h),
		splitS: make([]float64, h),
		re:     make([]float64, h),
		im:     make([]float64, h),
	}
	lg := bits.TrailingZeros(uint(h))
	for i := range h {
		f.rev[i] = int(bits.Reverse(uint(i)) >> (bits.UintSize - lg))
	}
	for i := range h / 2 {
		a := 2 * math.Pi * float64(i) / float64(h)
		f.cosT[i], f.sinT[i] = math.Cos(a), math.Sin(a)
	}
	for k := range h {
		a := 2 * math.Pi * float64(k) / float64(n)
		f.splitC[k], f.splitS[k] = math.Cos(a), math.Sin(a)
	}
	return f
}

// power writes |X[k]|² for k = 0..n/2 of the real input x (len n) into out
// (len n/2+1).
func (f *realFFT) power(x []float64, out []float64) {
	h := f.half
	re, im := f.re[:h], f.im[:h]
	x = x[:2*h]
	for i := range h {
		j := f.rev[i]
		re[j] = x[2*i]
		im[j] = x[2*i+1]
	}
	for size := 2; size <= h; size <<= 1 {
		hs := size >> 1
		step := h / size
		for start := 0; start < h; start += size {
			for k := range hs {
				wr, wi := f.cosT[k*step], -f.sinT[k*step]
				a, b := start+k, start+k+hs
				tr := re[b]*wr - im[b]*wi
				ti := re[b]*wi + im[b]*wr
				re[b], im[b] = re[a]-tr, im[a]-ti
				re[a], im[a] = re[a]+tr, im[a]+ti
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
