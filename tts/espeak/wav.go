package espeak

import (
	"encoding/binary"
	"fmt"
	"io"
)

// maxWAVChunk bounds a RIFF chunk skipped before "data".
const maxWAVChunk = 1 << 16

// readWAVHeader reads a RIFF/WAVE header up to the start of the "data"
// chunk's samples and checks the format is PCM mono s16. The data size is
// ignored: espeak-ng --stdout writes a placeholder (0x7ffff000) because it
// cannot seek back in a pipe, so the samples simply run until EOF.
func readWAVHeader(r io.Reader) (sampleRate int, err error) {
	var riff [12]byte
	if _, err := io.ReadFull(r, riff[:]); err != nil {
		return 0, fmt.Errorf("%w: riff header: %w", ErrBadWAV, err)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return 0, fmt.Errorf("%w: not RIFF/WAVE", ErrBadWAV)
	}
	haveFmt := false
	for range 16 {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return 0, fmt.Errorf("%w: chunk header: %w", ErrBadWAV, err)
		}
		id, size := string(hdr[0:4]), binary.LittleEndian.Uint32(hdr[4:8])
		switch id {
		case "fmt ":
			if size < 16 || size > maxWAVChunk {
				return 0, fmt.Errorf("%w: fmt chunk of %d bytes", ErrBadWAV, size)
			}
			f := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, f); err != nil {
				return 0, fmt.Errorf("%w: fmt chunk: %w", ErrBadWAV, err)
			}
			format := binary.LittleEndian.Uint16(f[0:2])
			channels := binary.LittleEndian.Uint16(f[2:4])
			sampleRate = int(binary.LittleEndian.Uint32(f[4:8]))
			bits := binary.LittleEndian.Uint16(f[14:16])
			if format != 1 || channels != 1 || bits != 16 || sampleRate <= 0 {
				return 0, fmt.Errorf("%w: format %d, %d channels, %d bits, %d Hz (want PCM mono 16-bit)",
					ErrBadWAV, format, channels, bits, sampleRate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return 0, fmt.Errorf("%w: data before fmt", ErrBadWAV)
			}
			return sampleRate, nil
		default:
			if size > maxWAVChunk {
				return 0, fmt.Errorf("%w: %q chunk of %d bytes", ErrBadWAV, id, size)
			}
			if _, err := io.CopyN(io.Discard, r, int64(size+size%2)); err != nil {
				return 0, fmt.Errorf("%w: %q chunk: %w", ErrBadWAV, id, err)
			}
		}
	}
	return 0, fmt.Errorf("%w: no data chunk", ErrBadWAV)
}
