// Package dsp holds small numeric kernels shared by the media path and the
// VAD.
package dsp

// Dot returns Σ c[i]·x[i] over len(c) (x must be at least as long). Four
// running sums let the multiply-adds proceed without waiting on each other;
// the result therefore rounds differently from a single running sum.
func Dot[T ~float32 | ~float64](c, x []T) T {
	x = x[:len(c)]
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= len(c); i += 4 {
		s0 += c[i] * x[i]
		s1 += c[i+1] * x[i+1]
		s2 += c[i+2] * x[i+2]
		s3 += c[i+3] * x[i+3]
	}
	for ; i < len(c); i++ {
		s0 += c[i] * x[i]
	}
	return s0 + s1 + s2 + s3
}
