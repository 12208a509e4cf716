package dsp

import (
	"math"
	"slices"
	"testing"
)

// The delayed resampler returns a whole frame's outputs every call, and
// the same signal as the plain one, HalfWidth input samples later.
func TestDelayedResampler(t *testing.T) {
	src := make([]int16, 48000)
	for i := range src {
		src[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/48000))
	}
	d, err := NewDelayedResampler(48000, 16000)
	if err != nil {
		t.Fatal(err)
	}
	var got []int16
	for off := 0; off < len(src); off += 960 {
		n := len(got)
		got = d.Process(got, src[off:off+960])
		if len(got)-n != 320 {
			t.Fatalf("frame at %d: %d outputs, want 320", off, len(got)-n)
		}
	}
	want, err := Resample(src, 48000, 16000)
	if err != nil {
		t.Fatal(err)
	}
	lag := d.HalfWidth() / 3 // input samples → outputs
	if !slices.Equal(got[lag:], want[:len(got)-lag]) {
		t.Fatal("delayed output differs from the plain resampler's, shifted")
	}
	d.Reset()
	if again := d.Process(nil, src[:960]); !slices.Equal(again, got[:320]) {
		t.Fatal("output after Reset differs from a fresh delayed resampler")
	}
}
