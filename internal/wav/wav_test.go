package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// build assembles a RIFF file from chunks; riffSize 0 means computed.
func build(chunks ...[]byte) []byte {
	var body bytes.Buffer
	body.WriteString("WAVE")
	for _, c := range chunks {
		body.Write(c)
	}
	var out bytes.Buffer
	out.WriteString("RIFF")
	_ = binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
	out.Write(body.Bytes())
	return out.Bytes()
}

func chunk(id string, size uint32, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(id)
	_ = binary.Write(&b, binary.LittleEndian, size)
	b.Write(data)
	return b.Bytes()
}

func fmtChunk(format, channels uint16, rate uint32, bits uint16) []byte {
	var b bytes.Buffer
	blockAlign := channels * bits / 8
	for _, v := range []any{format, channels, rate, rate * uint32(blockAlign), blockAlign, bits} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	return chunk("fmt ", uint32(b.Len()), b.Bytes())
}

func extensibleFmt(sub uint16) []byte {
	var b bytes.Buffer
	for _, v := range []any{uint16(formatExtensible), uint16(1), uint32(16000), uint32(32000), uint16(2), uint16(16),
		uint16(22), uint16(16), uint32(4), sub} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.Write([]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71})
	return chunk("fmt ", uint32(b.Len()), b.Bytes())
}

func samples(v ...int16) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, v)
	return b.Bytes()
}

func TestRead(t *testing.T) {
	mono := samples(1, -2, 300, -32768, 32767)
	cases := []struct {
		name string
		in   []byte
		want []int16
		rate int
		err  error
	}{
		{"mono", build(fmtChunk(1, 1, 16000, 16), chunk("data", uint32(len(mono)), mono)), []int16{1, -2, 300, -32768, 32767}, 16000, nil},
		{"stereo downmix", build(fmtChunk(1, 2, 48000, 16), chunk("data", 8, samples(100, 300, -32768, -32768))), []int16{200, -32768}, 48000, nil},
		{"extra chunks skipped, odd padded", build(chunk("LIST", 3, []byte{1, 2, 3, 0}), fmtChunk(1, 1, 22050, 16), chunk("junk", 0, nil), chunk("data", 4, samples(7, 8))), []int16{7, 8}, 22050, nil},
		{"extensible pcm", build(extensibleFmt(1), chunk("data", 2, samples(5))), []int16{5}, 16000, nil},
		{"streaming size reads to EOF", build(fmtChunk(1, 1, 8000, 16), chunk("data", 0xFFFFFFFF, samples(1, 2, 3))), []int16{1, 2, 3}, 8000, nil},
		{"partial trailing frame dropped", build(fmtChunk(1, 1, 8000, 16), chunk("data", 3, []byte{1, 0, 9})), []int16{1}, 8000, nil},
		{"empty data", build(fmtChunk(1, 1, 8000, 16), chunk("data", 0, nil)), nil, 8000, nil},
		{"empty", nil, nil, 0, ErrNotRIFF},
		{"text", []byte("hello, this is not a wav file"), nil, 0, ErrNotRIFF},
		{"RIFF not WAVE", append([]byte("RIFF\x04\x00\x00\x00AVI "), 0), nil, 0, ErrNotRIFF},
		{"float", build(fmtChunk(3, 1, 16000, 32), chunk("data", 4, samples(0, 0))), nil, 0, ErrNotPCM},
		{"8-bit", build(fmtChunk(1, 1, 16000, 8), chunk("data", 2, []byte{1, 2})), nil, 0, ErrNotPCM},
		{"extensible float", build(extensibleFmt(3), chunk("data", 2, samples(5))), nil, 0, ErrNotPCM},
		{"zero channels", build(fmtChunk(1, 0, 16000, 16), chunk("data", 2, samples(5))), nil, 0, ErrInvalid},
		{"zero rate", build(fmtChunk(1, 1, 0, 16), chunk("data", 2, samples(5))), nil, 0, ErrInvalid},
		{"absurd rate", build(fmtChunk(1, 1, 4_000_000_000, 16), chunk("data", 2, samples(5))), nil, 0, ErrInvalid},
		{"short fmt", build(chunk("fmt ", 8, make([]byte, 8)), chunk("data", 2, samples(5))), nil, 0, ErrInvalid},
		{"huge fmt", build(chunk("fmt ", 1<<30, nil)), nil, 0, ErrTooLarge},
		{"data before fmt", build(chunk("data", 2, samples(5)), fmtChunk(1, 1, 8000, 16)), nil, 0, ErrInvalid},
		{"no data", build(fmtChunk(1, 1, 8000, 16)), nil, 0, ErrTruncated},
		{"no fmt", build(chunk("LIST", 0, nil)), nil, 0, ErrTruncated},
		{"truncated data", build(fmtChunk(1, 1, 8000, 16), chunk("data", 1000, samples(1, 2))), nil, 0, ErrTruncated},
		{"absurd data size", build(fmtChunk(1, 1, 8000, 16), chunk("data", 0xFFFFFFF0, samples(1, 2))), nil, 0, ErrTooLarge},
		{"truncated fmt", build(chunk("fmt ", 16, make([]byte, 4))), nil, 0, ErrTruncated},
		{"skipped chunk truncated", build(chunk("LIST", 1<<31, []byte{1, 2})), nil, 0, ErrTruncated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pcm, rate, err := Read(bytes.NewReader(tc.in))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "wav: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				return
			}
			if rate != tc.rate {
				t.Errorf("rate = %d, want %d", rate, tc.rate)
			}
			if len(pcm) != len(tc.want) {
				t.Fatalf("got %d samples %v, want %v", len(pcm), pcm, tc.want)
			}
			for i := range pcm {
				if pcm[i] != tc.want[i] {
					t.Fatalf("sample %d = %d, want %d", i, pcm[i], tc.want[i])
				}
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	pcm := make([]int16, 48000+7)
	for i := range pcm {
		pcm[i] = int16(i*7919 - 1<<15)
	}
	for _, n := range []int{0, 1, len(pcm)} {
		var buf bytes.Buffer
		if err := Write(&buf, pcm[:n], 48000); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != 44+2*n {
			t.Fatalf("wrote %d bytes for %d samples", buf.Len(), n)
		}
		got, rate, err := Read(&buf)
		if err != nil || rate != 48000 || len(got) != n {
			t.Fatalf("Read: %d samples at %d Hz, err %v", len(got), rate, err)
		}
		for i := range got {
			if got[i] != pcm[i] {
				t.Fatalf("sample %d: %d != %d", i, got[i], pcm[i])
			}
		}
	}
	path := filepath.Join(t.TempDir(), "x.wav")
	if err := WriteFile(path, pcm, 16000); err != nil {
		t.Fatal(err)
	}
	got, rate, err := ReadFile(path)
	if err != nil || rate != 16000 || len(got) != len(pcm) {
		t.Fatalf("ReadFile: %d samples at %d Hz, err %v", len(got), rate, err)
	}
	if _, _, err := ReadFile(filepath.Join(t.TempDir(), "missing.wav")); err == nil {
		t.Fatal("ReadFile of a missing file succeeded")
	}
	if err := Write(&bytes.Buffer{}, pcm, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Write at 0 Hz: %v", err)
	}
}
