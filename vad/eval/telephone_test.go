package eval

import (
	"math"
	"testing"
)

// TestULaw: known code points of G.711 µ-law, the round trip's error stays
// within half a quantisation step of the segment, and the code is monotonic.
func TestULaw(t *testing.T) {
	for _, c := range []struct {
		in   int16
		code byte
		out  int16
	}{
		{0, 0xff, 0},
		{-1, 0x7f, 0},
		{32767, 0x80, 32124},
		{-32768, 0x00, -32124},
		{1000, 0xce, 988},
		{-1000, 0x4e, -988},
	} {
		if got := ulawEncode(c.in); got != c.code {
			t.Errorf("encode(%d) = %#x, want %#x", c.in, got, c.code)
		}
		if got := ulawDecode(c.code); got != c.out {
			t.Errorf("decode(%#x) = %d, want %d", c.code, got, c.out)
		}
	}
	prev := ulawDecode(ulawEncode(-32768))
	for x := -32768; x <= 32767; x++ {
		y := ulawDecode(ulawEncode(int16(x)))
		if y < prev {
			t.Fatalf("not monotonic at %d: %d after %d", x, y, prev)
		}
		prev = y
		// Half the step of x's segment (8 << seg at 16 bits).
		seg := 0
		for v := (min(abs(x), ulawClip) + ulawBias) >> 8; v > 0 && seg < 7; v >>= 1 {
			seg++
		}
		if abs(x) <= ulawClip && abs(int(y)-x) > 4<<seg {
			t.Fatalf("round trip of %d gave %d", x, y)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestTelephoneBand: a 1 kHz tone passes (within 0.5 dB, plus µ-law noise),
// 100 Hz and 3.9 kHz are cut by more than 9 dB.
func TestTelephoneBand(t *testing.T) {
	level := func(hz float64) float64 {
		n := 8000
		in := make([]int16, n)
		for i := range in {
			in[i] = int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/8000))
		}
		out := Telephone(in)
		var pi, po float64
		for i := n / 2; i < n; i++ { // after the filters settle
			pi += float64(in[i]) * float64(in[i])
			po += float64(out[i]) * float64(out[i])
		}
		return 10 * math.Log10(po/pi)
	}
	if g := level(1000); math.Abs(g) > 0.5 {
		t.Errorf("1 kHz: %.2f dB", g)
	}
	for _, hz := range []float64{100, 3900} {
		if g := level(hz); g > -9 {
			t.Errorf("%v Hz: %.2f dB, want below -9", hz, g)
		}
	}
}

// TestChannelErrors: a dataset holds one rate, and a telephone line is
// 8 kHz only.
func TestChannelErrors(t *testing.T) {
	if _, err := Collect(&Corpus{}, nil); err == nil {
		t.Error("Collect with no channel")
	}
	if _, err := Collect(&Corpus{}, nil, Channel{Rate: 8000}, Channel{Rate: 16000}); err == nil {
		t.Error("Collect with two rates")
	}
	if _, err := MeasureRates(&Corpus{}, []Channel{{Rate: 16000, Telephone: true}}, []Condition{{White, math.Inf(1)}}); err == nil {
		t.Error("a 16 kHz telephone line")
	}
	if _, err := Collect(&Corpus{}, nil, Channel{Rate: 16000, Telephone: true}); err == nil {
		t.Error("Collect from a 16 kHz telephone line")
	}
	if got := (Channel{Rate: 8000, Telephone: true}).String(); got != "8 kHz G.711" {
		t.Errorf("channel %q", got)
	}
}
