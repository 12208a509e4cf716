package video

import (
	"errors"
	"github.com/duplex-ai/duplex/media"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// videoFrames loads the frames of a test stream: IVF (VP8, VP9) or H.264
// Annex-B (.h264).
func videoFrames(t testing.TB, name string) (Codec, [][]byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".h264") {
		return H264, SplitAnnexB(data)
	}
	f, err := ParseIVF(data)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.Codec()
	if err != nil {
		t.Fatal(err)
	}
	return c, f.Frames
}

func newVideoDecoder(t testing.TB, c Codec) *Decoder {
	t.Helper()
	d, err := NewDecoder(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// Every frame of each codec decodes (inter frames too) and shows the colour
// the stream was made with, in full range.
func TestVideoDecoderColours(t *testing.T) {
	want := map[string][3]int{"red": {255, 0, 0}, "green": {0, 128, 0}, "blue": {0, 0, 255}}
	for _, file := range []string{"%s-320x240.h264", "%s-320x240-vp8.ivf", "%s-320x240-vp9.ivf", "%s-160x120-444.h264"} {
		for colour, rgb := range want {
			name := strings.Replace(file, "%s", colour, 1)
			if _, err := os.Stat(filepath.Join("testdata", name)); err != nil {
				continue // 4:4:4 only in red
			}
			t.Run(name, func(t *testing.T) {
				c, frames := videoFrames(t, name)
				d := newVideoDecoder(t, c)
				pics := 0
				for i, f := range frames {
					got, err := d.Decode(f)
					if err != nil {
						t.Fatalf("frame %d: %v", i, err)
					}
					if !got {
						t.Fatalf("frame %d: no picture (want one per frame)", i)
					}
					pics++
				}
				img, w, h, err := d.Picture(1200, 800)
				if err != nil {
					t.Fatal(err)
				}
				if img.Rect.Dx() != w || img.Rect.Dy() != h || w%160 != 0 {
					t.Fatalf("picture %v of a %dx%d stream", img.Rect, w, h)
				}
				if m := meanRGB(img, w/2, h/2, 8); !near(m, rgb, 12) {
					t.Fatalf("centre %v, want %v", m, rgb)
				}
				if pics != len(frames) || len(frames) < 6 {
					t.Fatalf("%d pictures of %d frames", pics, len(frames))
				}
			})
		}
	}
}

// A picture larger than the cap is downscaled (aspect kept); a moving
// stream decodes through its inter frames.
func TestVideoDecoderScalesAndMoves(t *testing.T) {
	for _, name := range []string{"testsrc-160x120-h264.h264", "testsrc-160x120-vp8.ivf", "testsrc-160x120-vp9.ivf"} {
		t.Run(name, func(t *testing.T) {
			c, frames := videoFrames(t, name)
			d := newVideoDecoder(t, c)
			if d.Codec() != c {
				t.Fatalf("codec %v", d.Codec())
			}
			var first, last []byte
			for i, f := range frames {
				if _, err := d.Decode(f); err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				img, _, _, err := d.Picture(80, 80)
				if err != nil {
					t.Fatal(err)
				}
				if img.Rect.Dx() != 80 || img.Rect.Dy() != 60 {
					t.Fatalf("scaled to %v, want 80x60", img.Rect)
				}
				if i == 0 {
					first = append([]byte{}, img.Y...)
				}
				last = img.Y
			}
			diff := 0
			for i := range first {
				if first[i] != last[i] {
					diff++
				}
			}
			if diff < len(first)/100 {
				t.Fatalf("last picture equals the first (%d of %d luma samples differ): inter frames not applied", diff, len(first))
			}
		})
	}
}

// Bad input is an error wrapping ErrDecode, and the decoder still
// decodes the next good stream after it.
func TestVideoDecoderErrors(t *testing.T) {
	if _, err := NewDecoder(Codec(9)); !errors.Is(err, ErrCodec) {
		t.Fatalf("codec 9: %v", err)
	}
	d := newVideoDecoder(t, H264)
	if _, _, _, err := d.Picture(0, 0); !errors.Is(err, media.ErrNoVideo) {
		t.Fatalf("picture before decode: %v", err)
	}
	if _, err := d.Decode(nil); !errors.Is(err, ErrDecode) {
		t.Fatalf("empty frame: %v", err)
	}
	_, vp8 := videoFrames(t, "red-320x240-vp8.ivf")
	for _, c := range []Codec{H264, VP9} {
		d := newVideoDecoder(t, c)
		if got, err := d.Decode(vp8[0]); err == nil && got {
			t.Errorf("%v decoded a VP8 frame", c)
		}
	}
	_, h264 := videoFrames(t, "red-320x240.h264")
	if got, err := d.Decode(h264[1]); got || err == nil {
		t.Fatalf("inter frame without a key frame: picture %v, err %v", got, err)
	}
	for i, f := range h264 {
		if _, err := d.Decode(f); err != nil {
			t.Fatalf("frame %d after bad input: %v", i, err)
		}
	}
	if _, _, _, err := d.Picture(0, 0); err != nil {
		t.Fatal(err)
	}
	d.Close()
	d.Close()
	if _, err := d.Decode(h264[0]); !errors.Is(err, ErrDecode) {
		t.Fatalf("decode after close: %v", err)
	}
}

func TestSplitAnnexB(t *testing.T) {
	_, aus := videoFrames(t, "red-320x240.h264")
	if len(aus) != 15 {
		t.Fatalf("%d access units, want 15", len(aus))
	}
	if !H264IsKey(aus[0]) || H264IsKey(aus[1]) {
		t.Fatalf("key: first %v second %v", H264IsKey(aus[0]), H264IsKey(aus[1]))
	}
	for _, b := range [][]byte{nil, {0}, {0, 0, 1}, {0, 0, 0, 1}, {1, 2, 3}} {
		for _, au := range SplitAnnexB(b) {
			H264IsKey(au)
		}
	}
}

func TestParseIVFErrors(t *testing.T) {
	data, err := os.ReadFile("testdata/red-320x240-vp9.ivf")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseIVF(data)
	if err != nil || f.FourCC != "VP90" || f.Width != 320 || f.Height != 240 || len(f.Frames) != 15 {
		t.Fatalf("%+v %v", f, err)
	}
	bad := map[string][]byte{
		"short":   data[:20],
		"magic":   append([]byte("XXXX"), data[4:]...),
		"overrun": append(append([]byte{}, data[:32]...), 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0),
		"cut":     data[:32+5],
	}
	for name, b := range bad {
		if _, err := ParseIVF(b); !errors.Is(err, ErrFile) {
			t.Errorf("%s: %v", name, err)
		}
	}
	f.FourCC = "AV01"
	if _, err := f.Codec(); !errors.Is(err, ErrCodec) {
		t.Fatal(err)
	}
}
