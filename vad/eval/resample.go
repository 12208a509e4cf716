package eval

import "math"

// Resample converts x from rate `from` to rate `to` with a polyphase
// windowed-sinc filter (32 taps per phase, Blackman window, cut-off at 95 %
// of the lower Nyquist). It is exact for rational ratios such as 22050→16000
// (320/441) and meant for offline corpus building, not for the media path.
func Resample(x []float64, from, to int) []float64 {
	if from == to {
		return append([]float64(nil), x...)
	}
	g := gcd(from, to)
	up, down := to/g, from/g // output n sits at input position n*down/up
	const half = 16
	fc := 0.5 * 0.95 * math.Min(1, float64(to)/float64(from)) // cycles per input sample
	table := make([][2 * half]float64, up)
	for ph := range up {
		frac := float64(ph) / float64(up)
		var sum float64
		for j := range 2 * half {
			t := float64(j-half+1) - frac
			v := 2 * fc
			if t != 0 {
				v = math.Sin(2*math.Pi*fc*t) / (math.Pi * t)
			}
			u := (t + half) / (2 * half) // window position in [0,1]
			w := 0.42 - 0.5*math.Cos(2*math.Pi*u) + 0.08*math.Cos(4*math.Pi*u)
			if u < 0 || u > 1 {
				w = 0
			}
			table[ph][j] = v * w
			sum += v * w
		}
		for j := range 2 * half {
			table[ph][j] /= sum
		}
	}
	n := int(int64(len(x)) * int64(up) / int64(down))
	out := make([]float64, n)
	for i := range out {
		pos := int64(i) * int64(down)
		base := int(pos / int64(up))
		ph := int(pos % int64(up))
		var acc float64
		for j := range 2 * half {
			k := base + j - half + 1
			if k >= 0 && k < len(x) {
				acc += table[ph][j] * x[k]
			}
		}
		out[i] = acc
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
