package video

import (
	"encoding/binary"
	"fmt"
)

// IVF is a parsed IVF file: the container of VP8 and VP9 test streams.
type IVF struct {
	FourCC string // "VP80", "VP90"
	Width  int
	Height int
	// TimebaseNum/TimebaseDen is the frame timestamp unit in seconds.
	TimebaseNum, TimebaseDen uint32
	Frames                   [][]byte // sub-slices of the input
}

// ParseIVF parses an IVF file held in memory; every size is checked
// against the data before use. Errors wrap ErrFile.
func ParseIVF(data []byte) (*IVF, error) {
	const fileHeader, frameHeader = 32, 12
	if len(data) < fileHeader || string(data[:4]) != "DKIF" {
		return nil, fmt.Errorf("%w: not an IVF file", ErrFile)
	}
	hl := int(binary.LittleEndian.Uint16(data[6:]))
	if hl < fileHeader || hl > len(data) {
		hl = fileHeader
	}
	f := &IVF{
		FourCC:      string(data[8:12]),
		Width:       int(binary.LittleEndian.Uint16(data[12:])),
		Height:      int(binary.LittleEndian.Uint16(data[14:])),
		TimebaseDen: binary.LittleEndian.Uint32(data[16:]),
		TimebaseNum: binary.LittleEndian.Uint32(data[20:]),
	}
	for off := hl; off < len(data); {
		if len(data)-off < frameHeader {
			return nil, fmt.Errorf("%w: ivf: truncated frame header", ErrFile)
		}
		size := int64(binary.LittleEndian.Uint32(data[off:]))
		off += frameHeader
		if size > int64(len(data)-off) {
			return nil, fmt.Errorf("%w: ivf: frame of %d bytes overruns the file", ErrFile, size)
		}
		if size > 0 {
			f.Frames = append(f.Frames, data[off:off+int(size):off+int(size)])
		}
		off += int(size)
	}
	return f, nil
}

// Codec maps the IVF FourCC to a Codec (ErrCodec otherwise).
func (f *IVF) Codec() (Codec, error) {
	switch f.FourCC {
	case "VP80":
		return VP8, nil
	case "VP90":
		return VP9, nil
	}
	return 0, fmt.Errorf("%w: ivf fourcc %q", ErrCodec, f.FourCC)
}

// SplitAnnexB splits an H.264 Annex-B byte stream into access units (each
// with its start codes, as a decoder or an RTP packetizer takes them). A
// new unit starts at an access unit delimiter, SPS, PPS or SEI following a
// slice, or at a slice whose first_mb_in_slice is 0.
func SplitAnnexB(data []byte) [][]byte {
	var aus [][]byte
	start, prevVCL := -1, false
	for _, n := range annexBNALs(data) {
		typ := data[n.hdr] & 0x1f
		vcl := typ >= 1 && typ <= 5
		first := false
		switch {
		case typ == 9 || ((typ == 6 || typ == 7 || typ == 8) && prevVCL):
			first = true
		case vcl && prevVCL && n.hdr+1 < len(data) && data[n.hdr+1]&0x80 != 0:
			first = true // first_mb_in_slice ue(v) == 0 is the single bit 1
		}
		if first && start >= 0 {
			aus = append(aus, data[start:n.sc:n.sc])
			start = -1
		}
		if start < 0 {
			start = n.sc
		}
		if vcl {
			prevVCL = true
		} else if first || typ == 9 || typ == 7 || typ == 8 || typ == 6 {
			prevVCL = false
		}
	}
	if start >= 0 {
		aus = append(aus, data[start:])
	}
	return aus
}

type annexBNAL struct{ sc, hdr int } // start code offset, NAL header offset

// annexBNALs finds the NAL units of an Annex-B stream.
func annexBNALs(b []byte) []annexBNAL {
	var out []annexBNAL
	for i := 0; i+3 <= len(b); {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			sc := i
			if i > 0 && b[i-1] == 0 {
				sc = i - 1
			}
			if i+3 < len(b) {
				out = append(out, annexBNAL{sc: sc, hdr: i + 3})
			}
			i += 3
			continue
		}
		i++
	}
	return out
}

// H264IsKey reports whether an Annex-B access unit holds an IDR slice.
func H264IsKey(au []byte) bool {
	for _, n := range annexBNALs(au) {
		if au[n.hdr]&0x1f == 5 {
			return true
		}
	}
	return false
}
