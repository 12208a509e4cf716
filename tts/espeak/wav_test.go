package espeak

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func wavHeader(rate uint32, channels, bits uint16, extra ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(0x7ffff024))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))
	binary.Write(&b, binary.LittleEndian, []uint16{1, channels})
	binary.Write(&b, binary.LittleEndian, []uint32{rate, rate * uint32(channels) * uint32(bits) / 8})
	binary.Write(&b, binary.LittleEndian, []uint16{channels * bits / 8, bits})
	for _, e := range extra {
		b.Write(e)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(0x7ffff000))
	return b.Bytes()
}

func TestReadWAVHeader(t *testing.T) {
	list := append([]byte("LIST"), 3, 0, 0, 0, 'a', 'b', 'c', 0)
	tests := []struct {
		name string
		in   []byte
		rate int
		err  error
	}{
		{"espeak-ng", wavHeader(22050, 1, 16), 22050, nil},
		{"extra chunk", wavHeader(22050, 1, 16, list), 22050, nil},
		{"stereo", wavHeader(22050, 2, 16), 0, ErrBadWAV},
		{"8 bit", wavHeader(22050, 1, 8), 0, ErrBadWAV},
		{"truncated", wavHeader(22050, 1, 16)[:30], 0, ErrBadWAV},
		{"empty", nil, 0, ErrBadWAV},
		{"not riff", []byte("RIFX0000WAVEfmt "), 0, ErrBadWAV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bytes.NewReader(append(tt.in, 1, 2, 3, 4))
			rate, err := readWAVHeader(r)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || rate != tt.rate {
				t.Fatalf("got %d, %v; want %d", rate, err, tt.rate)
			}
			if r.Len() != 4 {
				t.Fatalf("header consumed %d sample bytes", 4-r.Len())
			}
		})
	}
}

func FuzzReadWAVHeader(f *testing.F) {
	f.Add(wavHeader(22050, 1, 16))
	f.Add(wavHeader(22050, 1, 16, []byte("LIST\x03\x00\x00\x00abc\x00")))
	f.Fuzz(func(t *testing.T, b []byte) {
		rate, err := readWAVHeader(bytes.NewReader(b))
		if err == nil && rate <= 0 {
			t.Fatalf("rate %d without error", rate)
		}
	})
}
