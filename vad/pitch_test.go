package vad

import (
	"math"
	"testing"
)

// glide returns d seconds of a voiced-like tone at rate Hz whose F0 moves
// from f0 to f1 geometrically: five harmonics with falling amplitudes.
func glide(rate int, d, f0, f1 float64) []int16 {
	n := int(d * float64(rate))
	out := make([]int16, n)
	var ph float64
	for i := range out {
		t := float64(i) / float64(n)
		f := f0 * math.Pow(f1/f0, t)
		ph += 2 * math.Pi * f / float64(rate)
		var s float64
		for h := 1; h <= 5; h++ {
			s += math.Sin(float64(h)*ph) / float64(h)
		}
		out[i] = int16(6000 * s)
	}
	return out
}

func feed(p *pitchTracker, pcm []int16, frame int) {
	for i := 0; i+frame <= len(pcm); i += frame {
		p.push(pcm[i : i+frame])
	}
}

func TestPitchSteadyTone(t *testing.T) {
	for _, rate := range []int{8000, 16000, 48000} {
		for _, f := range []float64{80, 120, 200, 310} {
			var p pitchTracker
			p.init(rate)
			feed(&p, glide(rate, 0.6, f, f), rate/50)
			hops := p.track()
			if hops < 30 {
				t.Fatalf("%d Hz: %d hops", rate, hops)
			}
			for h := hops - pitchFinal; h < hops; h++ {
				if got := float64(p.f0[h]); math.Abs(12*math.Log2(got/f)) > 0.3 {
					t.Fatalf("rate %d, %v Hz: hop %d F0 %.1f", rate, f, h, got)
				}
			}
			if c := p.contour(2, 2); c != ContourLevel {
				t.Errorf("rate %d, %v Hz: contour %v (%.2f st), want level", rate, f, c, p.last)
			}
		}
	}
}

// A glide's last 150 ms change by its rate times 140 ms (the line through
// 15 hops), in semitones.
func TestPitchGlides(t *testing.T) {
	for _, tc := range []struct {
		f0, f1 float64
		want   Contour
	}{
		{200, 140, ContourFalling}, // −6.2 st over 0.5 s: −1.7 st in 140 ms
		{120, 90, ContourFalling},
		{140, 200, ContourRising},
		{110, 112, ContourLevel},
		{300, 250, ContourLevel}, // −0.9 st in 140 ms: under the threshold
	} {
		var p pitchTracker
		p.init(16000)
		feed(&p, glide(16000, 0.5, tc.f0, tc.f1), 320)
		c := p.contour(1, 1)
		want := 12 * math.Log2(tc.f1/tc.f0) * 0.14 / 0.5
		if c != tc.want || math.Abs(float64(p.last)-want) > 0.3 {
			t.Errorf("%v→%v Hz: contour %v (%.2f st), want %v (%.2f st)", tc.f0, tc.f1, c, p.last, tc.want, want)
		}
	}
}

func TestPitchNoise(t *testing.T) {
	var p pitchTracker
	p.init(16000)
	pcm := make([]int16, 8000)
	x := uint32(1)
	for i := range pcm {
		x = x*1664525 + 1013904223
		pcm[i] = int16(x>>16) / 4
	}
	feed(&p, pcm, 320)
	if c := p.contour(2, 2); c != ContourNone {
		t.Errorf("white noise: contour %v, want none", c)
	}
}

func BenchmarkPitchContour(b *testing.B) {
	var p pitchTracker
	p.init(16000)
	feed(&p, glide(16000, 0.5, 200, 140), 320)
	b.ReportAllocs()
	for b.Loop() {
		p.contour(2, 2)
	}
}

func BenchmarkPitchPush(b *testing.B) {
	var p pitchTracker
	p.init(16000)
	pcm := glide(16000, 0.02, 200, 140)
	b.ReportAllocs()
	for b.Loop() {
		p.push(pcm)
	}
}

// Any audio, in frames of any size the detector uses, gives a contour and
// a finite change, never a panic.
func FuzzPitchContour(f *testing.F) {
	f.Add([]byte{0, 0, 255, 127, 1, 128}, uint8(0))
	f.Add(make([]byte, 640), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, r uint8) {
		rate := []int{8000, 16000, 48000}[int(r)%3]
		pcm := make([]int16, len(b)/2)
		for i := range pcm {
			pcm[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
		}
		// Repeat the input to fill the ring, so the analysis runs.
		var p pitchTracker
		p.init(rate)
		for range 40 {
			feed(&p, pcm, rate/50)
			if len(pcm) < rate/50 {
				p.push(pcm)
			}
		}
		c := p.contour(DefaultPitchFallST, DefaultPitchRiseST)
		if c < ContourNone || c > ContourRising || math.IsNaN(float64(p.last)) || math.IsInf(float64(p.last), 0) {
			t.Fatalf("contour %v, change %v", c, p.last)
		}
	})
}
