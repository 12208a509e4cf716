package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRealFFTMatchesDFT(t *testing.T) {
	for _, n := range []int{8, 128, 256} {
		r := rand.New(rand.NewPCG(1, uint64(n)))
		x := make([]float64, n)
		for i := range x {
			x[i] = r.Float64()*2 - 1
		}
		f := NewRealFFT(n)
		got := make([]float64, n/2+1)
		f.Power(x, got)
		for k := 0; k <= n/2; k++ {
			var sr, si float64
			for i, v := range x {
				a := -2 * math.Pi * float64(k*i) / float64(n)
				sr += v * math.Cos(a)
				si += v * math.Sin(a)
			}
			want := sr*sr + si*si
			if math.Abs(got[k]-want) > 1e-9*(1+want) {
				t.Fatalf("n=%d bin %d: got %g want %g", n, k, got[k], want)
			}
		}
	}
}
