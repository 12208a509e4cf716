package wav

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"testing/iotest"
)

// FuzzRead parses arbitrary bytes as a WAVE stream: no panic; an error
// wraps one of the package's sentinels and comes without a result; a
// result never holds more samples than the input has bytes for, has a rate
// in range, does not depend on how the reader chunks the stream, and
// survives a Write/Read round trip.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	_ = Write(&buf, []int16{1, 2, 3, -4}, 16000)
	f.Add(buf.Bytes())
	f.Add(build(fmtChunk(1, 2, 48000, 16), chunk("data", 8, samples(100, 300, -32768, -32768))))
	f.Add(build(extensibleFmt(1), chunk("data", 0xFFFFFFFF, samples(5))))
	f.Add(build(chunk("LIST", 3, []byte{1, 2, 3, 0}), fmtChunk(1, 1, 22050, 16), chunk("data", 0xFFFFFFF0, nil)))
	f.Add(build(fmtChunk(1, 3, 8000, 16), chunk("data", 7, samples(1, 2, 3, 4))))
	f.Add([]byte("RIFF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pcm, rate, err := Read(bytes.NewReader(data))
		// One byte per Read call, and EOF together with the last byte.
		pcm1, rate1, err1 := Read(iotest.DataErrReader(iotest.OneByteReader(bytes.NewReader(data))))
		if (err == nil) != (err1 == nil) || (err != nil && err.Error() != err1.Error()) || rate != rate1 || !slices.Equal(pcm, pcm1) {
			t.Fatalf("chunked reads differ: %d samples at %d Hz, %v; one byte at a time %d samples at %d Hz, %v",
				len(pcm), rate, err, len(pcm1), rate1, err1)
		}
		if err != nil {
			if pcm != nil || rate != 0 {
				t.Fatal("error with a result")
			}
			for _, s := range []error{ErrNotRIFF, ErrNotPCM, ErrTruncated, ErrTooLarge, ErrInvalid} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error %v wraps no sentinel", err)
		}
		// Output can never exceed what the input holds.
		if 2*len(pcm) > len(data) {
			t.Fatalf("%d samples from %d bytes", len(pcm), len(data))
		}
		if rate < 1 || rate > MaxSampleRate {
			t.Fatalf("rate %d", rate)
		}
		var out bytes.Buffer
		if err := Write(&out, pcm, rate); err != nil {
			t.Fatal(err)
		}
		pcm2, rate2, err := Read(&out)
		if err != nil || rate2 != rate || !slices.Equal(pcm2, pcm) {
			t.Fatalf("round trip: %d samples at %d Hz → %d samples at %d Hz, %v", len(pcm), rate, len(pcm2), rate2, err)
		}
	})
}
