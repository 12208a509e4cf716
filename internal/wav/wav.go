// Package wav reads and writes 16-bit PCM RIFF/WAVE files.
//
// Read accepts mono or multi-channel (downmixed to mono) 16-bit PCM,
// including WAVE_FORMAT_EXTENSIBLE with a PCM sub-format, and skips unknown
// chunks. It never allocates from a header size: memory grows with the bytes
// actually read, and the data chunk is capped at MaxDataBytes.
package wav

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

const (
	// MaxDataBytes caps the PCM payload Read accepts (about 58 minutes of
	// 48 kHz stereo).
	MaxDataBytes = 1 << 30
	// MaxSampleRate is the highest sample rate Read accepts.
	MaxSampleRate = 768000
	// MaxChannels is the most interleaved channels Read downmixes.
	MaxChannels = 32

	formatPCM        = 1
	formatExtensible = 0xFFFE
	// streamingSize is written by some encoders (e.g. ffmpeg to a pipe)
	// when the length is unknown: read the data to EOF.
	streamingSize = 0xFFFFFFFF
	maxFmtChunk   = 1 << 10
)

// Read decodes a WAVE stream into mono 16-bit samples and its sample rate.
func Read(r io.Reader) (pcm []int16, sampleRate int, err error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, 0, fmt.Errorf("%w: stream is shorter than a RIFF header", ErrNotRIFF)
		}
		return nil, 0, err
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%w: header is %q…%q", ErrNotRIFF, hdr[0:4], hdr[8:12])
	}

	var (
		haveFmt  bool
		channels int
		rate     int
	)
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				if !haveFmt {
					return nil, 0, fmt.Errorf("%w: no \"fmt \" chunk", ErrTruncated)
				}
				return nil, 0, fmt.Errorf("%w: no \"data\" chunk", ErrTruncated)
			}
			return nil, 0, err
		}
		id := string(ch[0:4])
		size := binary.LittleEndian.Uint32(ch[4:8])
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, 0, fmt.Errorf("%w: \"fmt \" chunk is %d bytes, need at least 16", ErrInvalid, size)
			}
			if size > maxFmtChunk {
				return nil, 0, fmt.Errorf("%w: \"fmt \" chunk is %d bytes", ErrTooLarge, size)
			}
			buf := make([]byte, size+size%2) // bounded by maxFmtChunk
			if _, err := io.ReadFull(r, buf); err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return nil, 0, fmt.Errorf("%w: inside the \"fmt \" chunk", ErrTruncated)
				}
				return nil, 0, err
			}
			channels, rate, err = parseFmt(buf[:size])
			if err != nil {
				return nil, 0, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, 0, fmt.Errorf("%w: \"data\" chunk before \"fmt \"", ErrInvalid)
			}
			pcm, err := readData(r, size, channels)
			if err != nil {
				return nil, 0, err
			}
			return pcm, rate, nil
		default:
			skip := int64(size) + int64(size%2)
			n, err := io.CopyN(io.Discard, r, skip)
			if err != nil {
				if errors.Is(err, io.EOF) {
					return nil, 0, fmt.Errorf("%w: chunk %q declares %d bytes, %d present", ErrTruncated, id, size, n)
				}
				return nil, 0, err
			}
		}
	}
}

func parseFmt(b []byte) (channels, rate int, err error) {
	format := binary.LittleEndian.Uint16(b[0:2])
	channels = int(binary.LittleEndian.Uint16(b[2:4]))
	rate64 := binary.LittleEndian.Uint32(b[4:8])
	blockAlign := int(binary.LittleEndian.Uint16(b[12:14]))
	bits := int(binary.LittleEndian.Uint16(b[14:16]))
	if format == formatExtensible {
		// cbSize(2) validBits(2) channelMask(4) subFormat GUID(16).
		if len(b) < 40 {
			return 0, 0, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE \"fmt \" chunk is %d bytes, need 40", ErrInvalid, len(b))
		}
		format = binary.LittleEndian.Uint16(b[24:26])
	}
	if format != formatPCM {
		return 0, 0, fmt.Errorf("%w: format tag %#x", ErrNotPCM, format)
	}
	if bits != 16 {
		return 0, 0, fmt.Errorf("%w: %d bits per sample", ErrNotPCM, bits)
	}
	if channels < 1 || channels > MaxChannels {
		return 0, 0, fmt.Errorf("%w: %d channels", ErrInvalid, channels)
	}
	if rate64 < 1 || rate64 > MaxSampleRate {
		return 0, 0, fmt.Errorf("%w: sample rate %d Hz", ErrInvalid, rate64)
	}
	if blockAlign != 2*channels {
		return 0, 0, fmt.Errorf("%w: block align %d for %d 16-bit channels", ErrInvalid, blockAlign, channels)
	}
	return channels, int(rate64), nil
}

// readData reads the data chunk. size is the declared length; memory grows
// only with bytes actually read.
func readData(r io.Reader, size uint32, channels int) ([]int16, error) {
	toEOF := size == streamingSize
	limit := int64(size)
	if toEOF {
		limit = MaxDataBytes + 1
	} else if limit > MaxDataBytes {
		return nil, fmt.Errorf("%w: data chunk declares %d bytes, limit %d", ErrTooLarge, size, MaxDataBytes)
	}
	frame := 2 * channels
	br := bufio.NewReaderSize(io.LimitReader(r, limit), 64<<10)
	var (
		out  []int16
		buf  = make([]byte, 32<<10/frame*frame)
		got  int64
		tail int // bytes of a partial frame carried at the start of buf
	)
	for {
		n, err := io.ReadFull(br, buf[tail:])
		n += tail
		got += int64(n - tail)
		whole := n / frame * frame
		for off := 0; off < whole; off += frame {
			var sum int
			for c := 0; c < channels; c++ {
				sum += int(int16(binary.LittleEndian.Uint16(buf[off+2*c:])))
			}
			out = append(out, int16(sum/channels))
		}
		tail = copy(buf, buf[whole:n])
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, err
			}
			break
		}
	}
	if toEOF {
		if got > MaxDataBytes {
			return nil, fmt.Errorf("%w: data exceeds %d bytes", ErrTooLarge, MaxDataBytes)
		}
		return out, nil
	}
	if got < int64(size) {
		return nil, fmt.Errorf("%w: data chunk declares %d bytes, %d present", ErrTruncated, size, got)
	}
	// A trailing partial frame (size not a multiple of the block) is dropped.
	return out, nil
}

// ReadFile reads a WAVE file from disk.
func ReadFile(path string) ([]int16, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	pcm, rate, err := Read(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return pcm, rate, nil
}

// Write encodes mono 16-bit PCM as a canonical 44-byte-header WAVE stream.
func Write(w io.Writer, pcm []int16, sampleRate int) error {
	if sampleRate < 1 || sampleRate > MaxSampleRate {
		return fmt.Errorf("%w: sample rate %d Hz", ErrInvalid, sampleRate)
	}
	dataBytes := uint64(len(pcm)) * 2
	if dataBytes > math.MaxUint32-36 {
		return fmt.Errorf("%w: %d samples do not fit a RIFF file", ErrTooLarge, len(pcm))
	}
	var h [44]byte
	copy(h[0:4], "RIFF")
	binary.LittleEndian.PutUint32(h[4:8], uint32(36+dataBytes))
	copy(h[8:12], "WAVE")
	copy(h[12:16], "fmt ")
	binary.LittleEndian.PutUint32(h[16:20], 16)
	binary.LittleEndian.PutUint16(h[20:22], formatPCM)
	binary.LittleEndian.PutUint16(h[22:24], 1)
	binary.LittleEndian.PutUint32(h[24:28], uint32(sampleRate))
	binary.LittleEndian.PutUint32(h[28:32], uint32(sampleRate*2))
	binary.LittleEndian.PutUint16(h[32:34], 2)
	binary.LittleEndian.PutUint16(h[34:36], 16)
	copy(h[36:40], "data")
	binary.LittleEndian.PutUint32(h[40:44], uint32(dataBytes))
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.Write(h[:]); err != nil {
		return err
	}
	var b [2]byte
	for _, s := range pcm {
		binary.LittleEndian.PutUint16(b[:], uint16(s))
		if _, err := bw.Write(b[:]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteFile writes a mono 16-bit WAVE file, replacing any existing file.
func WriteFile(path string, pcm []int16, sampleRate int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, pcm, sampleRate); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
