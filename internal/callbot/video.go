package callbot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
)

// maxIVFBytes caps the video file loaded into memory.
const maxIVFBytes = 256 << 20

// ivfClip is a VP8 IVF file held in memory.
type ivfClip struct {
	frames   [][]byte
	key      []bool
	interval time.Duration
}

// loadIVF reads a VP8 IVF file. Frame sizes are checked against the file
// before ivfreader (which allocates what the header says) sees them.
func loadIVF(path string) (*ivfClip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxIVFBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxIVFBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxIVFBytes>>20)
	}
	clip, err := parseIVF(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return clip, nil
}

func parseIVF(data []byte) (*ivfClip, error) {
	const fileHeader, frameHeader = 32, 12
	if len(data) < fileHeader {
		return nil, errors.New("ivf: shorter than the 32-byte file header")
	}
	for off := fileHeader; off < len(data); {
		if len(data)-off < frameHeader {
			return nil, errors.New("ivf: truncated frame header")
		}
		size := int64(binary.LittleEndian.Uint32(data[off:]))
		off += frameHeader
		if size > int64(len(data)-off) {
			return nil, fmt.Errorf("ivf: frame of %d bytes overruns the file", size)
		}
		off += int(size)
	}
	rd, hdr, err := ivfreader.NewWith(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("ivf: %w", err)
	}
	if hdr.FourCC != "VP80" {
		return nil, fmt.Errorf("ivf: codec %q, need VP80", hdr.FourCC)
	}
	clip := &ivfClip{interval: time.Duration(float64(hdr.TimebaseNumerator) / float64(hdr.TimebaseDenominator) * float64(time.Second))}
	if clip.interval < 5*time.Millisecond || clip.interval > time.Second {
		clip.interval = time.Second / 30
	}
	for {
		frame, _, err := rd.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("ivf: %w", err)
		}
		if len(frame) == 0 {
			continue
		}
		clip.frames = append(clip.frames, frame)
		// VP8 frame tag: bit 0 of the first byte is 0 for a key frame.
		clip.key = append(clip.key, frame[0]&1 == 0)
	}
	if len(clip.frames) == 0 {
		return nil, errors.New("ivf: no frames")
	}
	hasKey := false
	for _, k := range clip.key {
		hasKey = hasKey || k
	}
	if !hasKey {
		return nil, errors.New("ivf: no key frame")
	}
	return clip, nil
}

// nextKey returns the index of the first key frame at or after i, looping.
func (c *ivfClip) nextKey(i int) int {
	for k := 0; k < len(c.frames); k++ {
		j := (i + k) % len(c.frames)
		if c.key[j] {
			return j
		}
	}
	return i % len(c.frames)
}
