package media

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

func TestOpusRoundTripTone(t *testing.T) {
	for _, tc := range []struct {
		rate, channels int
		opt            EncoderOptions
	}{
		{48000, 1, EncoderOptions{}},
		{48000, 2, EncoderOptions{Bitrate: 64000, Application: "audio"}},
		{16000, 1, EncoderOptions{FEC: true, PacketLossPercent: 10}},
		{48000, 1, EncoderOptions{Bitrate: 64000, Application: "lowdelay"}},
	} {
		enc, err := NewOpusEncoder(tc.rate, tc.channels, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := NewOpusDecoder(tc.rate, tc.channels)
		if err != nil {
			t.Fatal(err)
		}
		frame := tc.rate / 50
		src := tone(frame*50, tc.rate, 440, 8000) // 1 s
		var out []int16
		pcm := make([]int16, frame*tc.channels)
		for i := 0; i < 50; i++ {
			for j := 0; j < frame; j++ {
				for c := 0; c < tc.channels; c++ {
					pcm[j*tc.channels+c] = src[i*frame+j]
				}
			}
			pkt, err := enc.Encode(pcm)
			if err != nil {
				t.Fatal(err)
			}
			got, err := dec.Decode(pkt)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != frame*tc.channels {
				t.Fatalf("decoded %d samples, want %d", len(got), frame*tc.channels)
			}
			for j := 0; j < frame; j++ {
				out = append(out, got[j*tc.channels]) // first channel
			}
		}
		tail := out[len(out)/2:]
		if f := dominantFreq(tail, tc.rate, 100, 2000); math.Abs(f-440) > 3 {
			t.Errorf("%+v: decoded tone at %.0f Hz, want 440", tc, f)
		}
		ratio := rms(tail) / rms(src[len(src)/2:])
		if ratio < 0.8 || ratio > 1.25 {
			t.Errorf("%+v: energy ratio %.2f, want ≈ 1", tc, ratio)
		}
	}
}

func TestOpusPLCAndFECSampleCounts(t *testing.T) {
	enc, err := NewOpusEncoder(48000, 1, EncoderOptions{FEC: true, PacketLossPercent: 20})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewOpusDecoder(48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	src := tone(960*10, 48000, 300, 8000)
	var pkts [][]byte
	for i := 0; i < 10; i++ {
		p, err := enc.Encode(src[i*960 : (i+1)*960])
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, append([]byte(nil), p...))
	}
	for i := 0; i < 5; i++ {
		if _, err := dec.Decode(pkts[i]); err != nil {
			t.Fatal(err)
		}
	}
	plc, err := dec.DecodePLC(960)
	if err != nil || len(plc) != 960 {
		t.Fatalf("PLC: %d samples, err %v; want 960", len(plc), err)
	}
	// packet 6 lost: recover from packet 7's FEC.
	fec, err := dec.DecodeFEC(pkts[7], 960)
	if err != nil || len(fec) != 960 {
		t.Fatalf("FEC: %d samples, err %v; want 960", len(fec), err)
	}
	if rms(fec) < 1000 {
		t.Errorf("FEC output rms %.0f: expected recovered tone", rms(fec))
	}
	// A longer span: PLC for the earlier part, FEC for the last 20 ms.
	fec, err = dec.DecodeFEC(pkts[9], 2880)
	if err != nil || len(fec) != 2880 {
		t.Fatalf("FEC 60 ms: %d samples, err %v; want 2880", len(fec), err)
	}
	for _, bad := range []int{0, -960, 100, 5761} {
		if _, err := dec.DecodePLC(bad); !errors.Is(err, ErrFrameSize) {
			t.Errorf("PLC(%d): err %v, want ErrFrameSize", bad, err)
		}
	}
}

func TestOpusErrors(t *testing.T) {
	if _, err := NewOpusEncoder(44100, 1, EncoderOptions{}); !errors.Is(err, ErrInvalidSampleRate) {
		t.Errorf("encoder 44.1 kHz: %v", err)
	}
	if _, err := NewOpusEncoder(48000, 3, EncoderOptions{}); !errors.Is(err, ErrInvalidChannels) {
		t.Errorf("encoder 3 channels: %v", err)
	}
	if _, err := NewOpusEncoder(48000, 1, EncoderOptions{Application: "x"}); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("bad application: %v", err)
	}
	enc, err := NewOpusEncoder(48000, 1, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Encode(make([]int16, 959)); !errors.Is(err, ErrFrameSize) {
		t.Errorf("short frame: %v", err)
	}
	dec, err := NewOpusDecoder(48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Decode(nil); !errors.Is(err, ErrEmptyPayload) {
		t.Errorf("empty payload: %v", err)
	}
	// A code-3 packet with an impossible frame count.
	if _, err := dec.Decode([]byte{0x03, 0xff, 0x00}); !errors.Is(err, ErrOpus) {
		t.Errorf("corrupt payload: %v", err)
	}
}

func BenchmarkOpusEncode(b *testing.B) {
	enc, err := NewOpusEncoder(48000, 1, EncoderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	src := tone(960, 48000, 440, 8000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := enc.Encode(src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpusDecode(b *testing.B) {
	enc, err := NewOpusEncoder(48000, 1, EncoderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	dec, err := NewOpusDecoder(48000, 1)
	if err != nil {
		b.Fatal(err)
	}
	src := tone(960, 48000, 440, 8000)
	p, err := enc.Encode(src)
	if err != nil {
		b.Fatal(err)
	}
	pkt := append([]byte(nil), p...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dec.Decode(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpusEncodeSpeech encodes espeak-ng speech frame by frame (what
// the server sends; a tone is far cheaper to encode) at the complexity the
// server uses and at libopus's default.
func BenchmarkOpusEncodeSpeech(b *testing.B) {
	src := speechSignal(b)
	for _, c := range []int{5, 10} {
		b.Run(fmt.Sprintf("complexity=%d", c), func(b *testing.B) {
			enc, err := NewOpusEncoder(48000, 1, EncoderOptions{Complexity: c})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i+960 > len(src) {
					i = 0
				}
				if _, err := enc.Encode(src[i : i+960]); err != nil {
					b.Fatal(err)
				}
				i += 960
			}
		})
	}
}

// TestOpusComplexityQuality: speech encoded at complexity 5 decodes about
// as faithfully as at 10 (waveform SNR after aligning the codec delay).
func TestOpusComplexityQuality(t *testing.T) {
	src := speechSignal(t)
	snr := func(c int) float64 {
		enc, err := NewOpusEncoder(48000, 1, EncoderOptions{Complexity: c})
		if err != nil {
			t.Fatal(err)
		}
		dec, err := NewOpusDecoder(48000, 1)
		if err != nil {
			t.Fatal(err)
		}
		var out []int16
		for i := 0; i+960 <= len(src); i += 960 {
			p, err := enc.Encode(src[i : i+960])
			if err != nil {
				t.Fatal(err)
			}
			pcm, err := dec.Decode(p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, pcm...)
		}
		// The SNR at the codec's delay (libopus: 6.5 ms at 48 kHz): the
		// best lag on every 16th sample, then every sample near it.
		snrAt := func(lag, step int) float64 {
			var sig, noise float64
			for i := 0; i+lag < len(out) && i < len(src); i += step {
				s, d := float64(src[i]), float64(out[i+lag])
				sig += s * s
				noise += (s - d) * (s - d)
			}
			return 10 * math.Log10(sig/noise)
		}
		coarse, at := math.Inf(-1), 0
		for lag := 0; lag < 960; lag++ {
			if v := snrAt(lag, 16); v > coarse {
				coarse, at = v, lag
			}
		}
		best := math.Inf(-1)
		for lag := max(0, at-16); lag < min(960, at+17); lag++ {
			best = max(best, snrAt(lag, 1))
		}
		return best
	}
	s5, s10 := snr(5), snr(10)
	t.Logf("waveform SNR: complexity 5 %.1f dB, complexity 10 %.1f dB", s5, s10)
	if s5 < s10-3 || s5 < 5 {
		t.Fatalf("complexity 5 SNR %.1f dB vs %.1f dB at 10", s5, s10)
	}
	if _, err := NewOpusEncoder(48000, 1, EncoderOptions{Complexity: 11}); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("complexity 11: %v", err)
	}
}
