package espeak

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/tts"
)

// readSize is how much worker output one read takes; espeak-ng's stdout is
// block-buffered (4 KiB writes), so chunks are about 90 ms of audio.
const readSize = 8192

// synthProcess runs one `espeak-ng --stdout` worker with the text on stdin
// and streams the PCM after the WAV header as it arrives. Cancelling s.ctx
// kills the worker; it is always reaped (cmd.Wait) before returning.
func synthProcess(s *stream, bin, text, voice string, rate int) error {
	cmd := exec.CommandContext(s.ctx, bin, "--stdout", "-b", "1", "-v", voice, "-s", strconv.Itoa(rate))
	cmd.Stdin = strings.NewReader(text)
	stderr := &limitedBuffer{max: 4096}
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second // do not hang on pipes a stray descendant holds
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSynthesis, err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: start %s: %w", ErrSynthesis, bin, err)
	}
	readErr := streamWAV(s, stdout)
	if readErr != nil {
		_ = cmd.Process.Kill() // we stop reading: do not leave it blocked on a full pipe
	}
	waitErr := cmd.Wait()
	if err := s.stopped(); err != nil {
		return err
	}
	if waitErr != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "voice does not exist") {
			return fmt.Errorf("%w: %q", ErrUnknownVoice, voice)
		}
		return fmt.Errorf("%w: %s: %w: %s", ErrSynthesis, bin, waitErr, msg)
	}
	return readErr
}

// streamWAV parses the WAV header and pushes the samples as they arrive,
// carrying an odd byte over to the next read.
func streamWAV(s *stream, r io.Reader) error {
	rate, err := readWAVHeader(r)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil // no output at all: the exit status tells why
		}
		return err
	}
	if rate != SampleRate {
		return fmt.Errorf("%w: %d Hz, want %d", ErrBadWAV, rate, SampleRate)
	}
	buf := make([]byte, readSize)
	carry := 0 // 0 or 1 byte kept at buf[0]
	for {
		n, err := r.Read(buf[carry:])
		n += carry
		if whole := n / 2; whole > 0 {
			pcm := make([]int16, whole)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(buf[2*i:]))
			}
			s.push(tts.Chunk{PCM: pcm, SampleRate: SampleRate})
		}
		carry = n % 2
		if carry == 1 {
			buf[0] = buf[n-1]
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if e := s.stopped(); e != nil {
				return e
			}
			return fmt.Errorf("%w: reading worker output: %w", ErrSynthesis, err)
		}
	}
}

// limitedBuffer keeps the first max bytes written (a worker's stderr).
type limitedBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
