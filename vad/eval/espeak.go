package eval

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
)

// ErrNoEspeak is returned when espeak-ng is not on PATH.
var ErrNoEspeak = errors.New("eval: espeak-ng not found on PATH")

// ErrWAV is returned, wrapped, for output espeak-ng should not have produced.
var ErrWAV = errors.New("eval: bad WAV")

// EspeakAvailable reports whether espeak-ng can be run.
func EspeakAvailable() bool {
	_, err := exec.LookPath("espeak-ng")
	return err == nil
}

// Speak renders text with espeak-ng and returns mono PCM at its native rate.
func Speak(ctx context.Context, voice string, wpm int, text string) ([]int16, int, error) {
	if !EspeakAvailable() {
		return nil, 0, ErrNoEspeak
	}
	cmd := exec.CommandContext(ctx, "espeak-ng", "--stdout", "-v", voice, "-s", fmt.Sprint(wpm), "--", text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, 0, fmt.Errorf("eval: espeak-ng -v %s: %w: %s", voice, err, stderr.String())
	}
	return parseWAV(out)
}

// parseWAV reads 16-bit mono PCM WAV. A data chunk size of 0 or 0xFFFFFFFF
// (streamed output) means "to the end".
func parseWAV(b []byte) ([]int16, int, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%w: no RIFF/WAVE header", ErrWAV)
	}
	rate := 0
	p := 12
	for p+8 <= len(b) {
		id := string(b[p : p+4])
		size := int(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		p += 8
		switch id {
		case "fmt ":
			if p+16 > len(b) {
				return nil, 0, fmt.Errorf("%w: short fmt chunk", ErrWAV)
			}
			ch := binary.LittleEndian.Uint16(b[p+2:])
			rate = int(binary.LittleEndian.Uint32(b[p+4:]))
			bps := binary.LittleEndian.Uint16(b[p+14:])
			if ch != 1 || bps != 16 {
				return nil, 0, fmt.Errorf("%w: %d channels, %d bits", ErrWAV, ch, bps)
			}
		case "data":
			if rate == 0 {
				return nil, 0, fmt.Errorf("%w: data before fmt", ErrWAV)
			}
			end := p + size
			if size == 0 || size == 0xFFFFFFFF || end > len(b) {
				end = len(b)
			}
			pcm := make([]int16, (end-p)/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(b[p+2*i:]))
			}
			return pcm, rate, nil
		}
		p += size + size&1
	}
	return nil, 0, fmt.Errorf("%w: no data chunk", ErrWAV)
}
