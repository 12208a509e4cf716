package media

import (
	"errors"
	"testing"
)

// FuzzVideoDecoder: any bytes, as a first frame and a second one, never
// crash the decoder; failures wrap ErrVideoDecode or ErrVideoFrameSize.
// Seeds (testdata/fuzz/FuzzVideoDecoder): real key and inter frames of each
// codec.
func FuzzVideoDecoder(f *testing.F) {
	for _, name := range []string{"testsrc-160x120-h264.h264", "testsrc-160x120-vp8.ivf", "testsrc-160x120-vp9.ivf"} {
		c, frames := videoFrames(f, name)
		f.Add(uint8(c), frames[0], frames[1])
	}
	f.Fuzz(func(t *testing.T, codec uint8, first, second []byte) {
		d, err := NewVideoDecoder(VideoCodec(codec % 3))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		for _, b := range [][]byte{first, second} {
			if _, err := d.Decode(b); err != nil && !errors.Is(err, ErrVideoDecode) {
				t.Fatalf("decode: %v", err)
			}
			if _, _, _, err := d.Picture(64, 64); err != nil && !errors.Is(err, ErrNoVideo) &&
				!errors.Is(err, ErrVideoDecode) && !errors.Is(err, ErrVideoFrameSize) {
				t.Fatalf("picture: %v", err)
			}
		}
	})
}
