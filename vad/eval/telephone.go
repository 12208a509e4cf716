package eval

import "math"

// Telephone passes 8 kHz pcm through what a telephone line does to it: the
// 300–3400 Hz voice band (second-order Butterworth high-pass at 300 Hz and
// low-pass at 3400 Hz) and G.711 µ-law coding (each sample encoded to 8 bits
// and decoded again), as a PSTN or SIP call delivers it.
func Telephone(pcm []int16) []int16 {
	hp := newBiquad(false, 300, 8000)
	lp := newBiquad(true, 3400, 8000)
	out := make([]int16, len(pcm))
	for i, s := range pcm {
		out[i] = ulawDecode(ulawEncode(sample16(lp.step(hp.step(float64(s))))))
	}
	return out
}

// biquad is a second-order Butterworth (Q = 1/√2) low- or high-pass filter,
// from the bilinear transform of the analogue prototype (the audio EQ
// cookbook's formulas), in direct form I.
type biquad struct {
	b0, b1, b2, a1, a2 float64
	x1, x2, y1, y2     float64
}

func newBiquad(lowPass bool, fc float64, rate int) *biquad {
	w := 2 * math.Pi * fc / float64(rate)
	alpha := math.Sin(w) / (2 / math.Sqrt2) // sin w / (2Q)
	c := math.Cos(w)
	a0 := 1 + alpha
	f := &biquad{a1: -2 * c / a0, a2: (1 - alpha) / a0}
	if lowPass {
		f.b0 = (1 - c) / 2 / a0
		f.b1 = (1 - c) / a0
	} else {
		f.b0 = (1 + c) / 2 / a0
		f.b1 = -(1 + c) / a0
	}
	f.b2 = f.b0
	return f
}

func (f *biquad) step(x float64) float64 {
	y := f.b0*x + f.b1*f.x1 + f.b2*f.x2 - f.a1*f.y1 - f.a2*f.y2
	f.x2, f.x1 = f.x1, x
	f.y2, f.y1 = f.y1, y
	return y
}

// G.711 µ-law on 16-bit samples: the magnitude plus a bias of 132 is coded
// as a 3-bit segment (the position of its highest set bit above bit 7) and
// the 4 bits below that bit; the code byte is inverted.
const (
	ulawBias = 0x84
	ulawClip = 32635
)

func ulawEncode(s int16) byte {
	x := int(s)
	var sign byte
	if x < 0 {
		sign, x = 0x80, -x
	}
	x = min(x, ulawClip) + ulawBias
	seg := 0
	for v := x >> 8; v > 0 && seg < 7; v >>= 1 {
		seg++
	}
	mant := byte(x>>(seg+3)) & 0x0f
	return ^(sign | byte(seg)<<4 | mant)
}

func ulawDecode(u byte) int16 {
	u = ^u
	seg := int(u>>4) & 7
	t := (int(u&0x0f)<<3 + ulawBias) << seg
	if u&0x80 != 0 {
		return int16(ulawBias - t)
	}
	return int16(t - ulawBias)
}
