package openai

import (
	"encoding/binary"
	"io"
)

// wavHeaderSize is the canonical 44-byte RIFF/WAVE PCM header.
const wavHeaderSize = 44

// writeWAV writes pcm as a 16-bit mono little-endian PCM WAVE file.
func writeWAV(w io.Writer, pcm []int16, sampleRate int) error {
	data := len(pcm) * 2
	h := make([]byte, wavHeaderSize, wavHeaderSize+data)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+data))
	copy(h[8:], "WAVE")
	copy(h[12:], "fmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)                   // fmt chunk size
	binary.LittleEndian.PutUint16(h[20:], 1)                    // PCM
	binary.LittleEndian.PutUint16(h[22:], 1)                    // mono
	binary.LittleEndian.PutUint32(h[24:], uint32(sampleRate))   // sample rate
	binary.LittleEndian.PutUint32(h[28:], uint32(sampleRate*2)) // byte rate
	binary.LittleEndian.PutUint16(h[32:], 2)                    // block align
	binary.LittleEndian.PutUint16(h[34:], 16)                   // bits per sample
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(data))
	for _, s := range pcm {
		h = binary.LittleEndian.AppendUint16(h, uint16(s))
	}
	_, err := w.Write(h)
	return err
}
