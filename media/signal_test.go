package media

import (
	"math"
)

// tone returns n samples of a sine of freq Hz at rate with amplitude amp.
func tone(n, rate int, freq, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

// rms of s as float.
func rms(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}

// snrDB compares got against ref sample by sample.
func snrDB(ref, got []int16) float64 {
	n := min(len(ref), len(got))
	var sig, noise float64
	for i := 0; i < n; i++ {
		r, g := float64(ref[i]), float64(got[i])
		sig += r * r
		noise += (r - g) * (r - g)
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/noise)
}

// bestLag returns the lag in [0, maxLag] (got delayed vs ref) with the
// highest correlation.
func bestLag(ref, got []int16, maxLag int) int {
	best, bestC := 0, math.Inf(-1)
	for lag := 0; lag <= maxLag; lag++ {
		var c float64
		n := min(len(ref), len(got)-lag)
		for i := 0; i < n; i++ {
			c += float64(ref[i]) * float64(got[i+lag])
		}
		if c > bestC {
			best, bestC = lag, c
		}
	}
	return best
}

// goertzelPower returns the power of freq in s (normalised per sample²).
func goertzelPower(s []int16, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range s {
		s0 := float64(v) + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - coeff*s1*s2
	n := float64(len(s))
	return p / (n * n)
}

// dominantFreq finds the strongest frequency between lo and hi Hz (1 Hz steps
// from a coarse 10 Hz search).
func dominantFreq(s []int16, rate int, lo, hi float64) float64 {
	// The 10 Hz scan on 200 ms from the middle (its resolution is about
	// 5 Hz), then the 1 Hz search near its peak on all of s.
	win := s
	if n := rate / 5; len(s) > n {
		win = s[(len(s)-n)/2 : (len(s)+n)/2]
	}
	best, bestP := lo, -1.0
	for f := lo; f <= hi; f += 10 {
		if p := goertzelPower(win, rate, f); p > bestP {
			best, bestP = f, p
		}
	}
	bestP = -1
	for f := best - 10; f <= best+10; f++ {
		if p := goertzelPower(s, rate, f); p > bestP {
			best, bestP = f, p
		}
	}
	return best
}
