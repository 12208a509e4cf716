package media

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestResamplerRoundTripSNR(t *testing.T) {
	src := tone(48000, 48000, 1000, 10000)
	down, err := Resample(src, 48000, 16000)
	if err != nil {
		t.Fatal(err)
	}
	if len(down) != 16000 {
		t.Fatalf("48k→16k: %d samples, want 16000", len(down))
	}
	up, err := Resample(down, 16000, 48000)
	if err != nil {
		t.Fatal(err)
	}
	if len(up) != 48000 {
		t.Fatalf("16k→48k: %d samples, want 48000", len(up))
	}
	// The filters have no phase delay; confirm by correlation, then compare
	// away from the edges.
	edge := 2000
	lag := bestLag(src[edge:len(src)-edge], up[edge:], 64)
	if lag != 0 {
		t.Errorf("round trip delay %d samples, want 0", lag)
	}
	snr := snrDB(src[edge:len(src)-edge], up[edge+lag:len(up)-edge+lag])
	t.Logf("48k→16k→48k 1 kHz SNR %.1f dB", snr)
	if snr < 40 {
		t.Errorf("SNR %.1f dB, want ≥ 40", snr)
	}
}

func TestResamplerStopBand(t *testing.T) {
	for _, f := range []float64{8500, 10000, 15000, 20000} {
		src := tone(48000, 48000, f, 10000)
		out, err := Resample(src, 48000, 16000)
		if err != nil {
			t.Fatal(err)
		}
		in := rms(src)
		got := rms(out[500 : len(out)-500])
		att := 20 * math.Log10(in/math.Max(got, 1e-9))
		t.Logf("%.0f Hz attenuated %.1f dB", f, att)
		if att < 40 {
			t.Errorf("%.0f Hz attenuated %.1f dB, want ≥ 40", f, att)
		}
	}
}

func TestResamplerRates(t *testing.T) {
	tests := []struct {
		in, out int
		freq    float64
	}{
		{16000, 48000, 1000},
		{22050, 48000, 1000},
		{8000, 16000, 440},
		{48000, 16000, 1000},
		{44100, 16000, 3000},
		{24000, 16000, 2000},
		{16000, 16000, 1000},
	}
	for _, tt := range tests {
		src := tone(tt.in, tt.in, tt.freq, 8000) // one second
		out, err := Resample(src, tt.in, tt.out)
		if err != nil {
			t.Fatalf("%d→%d: %v", tt.in, tt.out, err)
		}
		if len(out) != tt.out {
			t.Errorf("%d→%d: %d samples, want %d", tt.in, tt.out, len(out), tt.out)
		}
		want := tone(tt.out, tt.out, tt.freq, 8000)
		edge := tt.out / 20
		snr := snrDB(want[edge:len(want)-edge], out[edge:len(out)-edge])
		if snr < 40 {
			t.Errorf("%d→%d: SNR vs ideal tone %.1f dB, want ≥ 40", tt.in, tt.out, snr)
		}
		if f := dominantFreq(out, tt.out, 100, float64(tt.out)/2-100); math.Abs(f-tt.freq) > 2 {
			t.Errorf("%d→%d: tone at %.0f Hz, want %.0f", tt.in, tt.out, f, tt.freq)
		}
	}
}

func TestResamplerStreamingEqualsOneShot(t *testing.T) {
	for _, rates := range [][2]int{{48000, 16000}, {22050, 48000}, {16000, 48000}} {
		src := tone(9999, rates[0], 700, 12000)
		want, err := Resample(src, rates[0], rates[1])
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewResampler(rates[0], rates[1])
		if err != nil {
			t.Fatal(err)
		}
		var got []int16
		chunks := []int{1, 7, 13, 331, 2, 997, 0, 45}
		for i, k := 0, 0; i < len(src); k++ {
			n := min(chunks[k%len(chunks)], len(src)-i)
			got = r.Process(got, src[i:i+n])
			i += n
		}
		got = r.Flush(got)
		if !slices.Equal(got, want) {
			t.Errorf("%v: streaming output (%d) differs from one-shot (%d)", rates, len(got), len(want))
		}
		// After Flush the resampler starts a fresh stream.
		again := r.Flush(r.Process(nil, src))
		if !slices.Equal(again, want) {
			t.Errorf("%v: second stream after Flush differs", rates)
		}
	}
}

func TestResamplerReset(t *testing.T) {
	r, err := NewResampler(48000, 16000)
	if err != nil {
		t.Fatal(err)
	}
	src := tone(960, 48000, 1000, 10000)
	first := r.Process(nil, src)
	r.Process(nil, tone(123, 48000, 3000, 20000))
	r.Reset()
	second := r.Process(nil, src)
	if !slices.Equal(first, second) {
		t.Error("output after Reset differs from a fresh resampler")
	}
}

func TestResamplerInvalid(t *testing.T) {
	for _, rates := range [][2]int{{0, 16000}, {16000, -1}, {48000, 44101}, {1 << 30, 16000}} {
		if _, err := NewResampler(rates[0], rates[1]); !errors.Is(err, ErrInvalidSampleRate) {
			t.Errorf("%v: err %v, want ErrInvalidSampleRate", rates, err)
		}
	}
}

func BenchmarkResample48to16(b *testing.B) {
	r, err := NewResampler(48000, 16000)
	if err != nil {
		b.Fatal(err)
	}
	src := tone(opusFrameSamples, 48000, 1000, 10000)
	dst := make([]int16, 0, 2*FrameSamples)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dst = r.Process(dst[:0], src)
	}
}
