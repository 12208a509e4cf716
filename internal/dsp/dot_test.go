package dsp

import (
	"math"
	"testing"
)

func TestDot(t *testing.T) {
	for n := 0; n <= 9; n++ {
		c := make([]float64, n)
		x := make([]float64, n+2) // longer x: only len(c) counts
		want := 0.0
		for i := range c {
			c[i], x[i] = float64(i+1), float64(2*i-3)
			want += c[i] * x[i]
		}
		x[n], x[n+1] = 1e9, 1e9
		if got := Dot(c, x); got != want {
			t.Errorf("n=%d: %v, want %v", n, got, want)
		}
		c32, x32 := make([]float32, n), make([]float32, n)
		for i := range c32 {
			c32[i], x32[i] = float32(c[i]), float32(x[i])
		}
		if got := Dot(c32, x32); math.Abs(float64(got)-want) > 1e-3 {
			t.Errorf("float32 n=%d: %v, want %v", n, got, want)
		}
	}
}
