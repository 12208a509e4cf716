package realtime

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// ErrNotPCM16: audio that is not base64 of whole little-endian 16-bit
// samples.
var ErrNotPCM16 = errors.New("realtime: audio is not base64 PCM16")

// EncodePCM is the base64 of pcm as little-endian 16-bit samples, the
// audio of input_audio_buffer.append and response.output_audio.delta.
func EncodePCM(pcm []int16) string {
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// DecodePCM reverses EncodePCM.
func DecodePCM(b64 string) ([]int16, error) {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b)%2 != 0 {
		return nil, ErrNotPCM16
	}
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return pcm, nil
}
