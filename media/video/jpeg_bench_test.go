package video

import (
	"bytes"
	"fmt"
	"github.com/duplex-ai/duplex/media"
	"image/jpeg"
	"testing"

	"github.com/duplex-ai/duplex/internal/turbojpeg"
)

// BenchmarkJPEGEncoders: the snapshot path's encode step (EncodeJPEG's
// input, a 4:2:0 camera frame) by libjpeg-turbo and image/jpeg, quality
// 80, on the realistic scene key frame scaled to 1200×800 and 640×480
// (BENCHMARKS.md, "JPEG encoder").
func BenchmarkJPEGEncoders(b *testing.B) {
	codec, frames := videoFrames(b, "scene-1280x720.ivf")
	dec, err := NewDecoder(codec)
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	if _, err := dec.Decode(frames[0]); err != nil {
		b.Fatal(err)
	}
	img, _, _, err := dec.Picture(0, 0)
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range [][2]int{{1200, 800}, {640, 480}} {
		frame := media.ScaleYCbCr420(img, size[0], size[1])
		name := fmt.Sprintf("%dx%d", size[0], size[1])
		b.Run(name+"/image-jpeg", func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := jpeg.Encode(&buf, frame, &jpeg.Options{Quality: media.DefaultJPEGQuality}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes")
		})
		b.Run(name+"/turbojpeg", func(b *testing.B) {
			var e turbojpeg.Encoder
			defer e.Close()
			var out []byte
			b.ReportAllocs()
			for b.Loop() {
				if out, err = e.Encode(out[:0], frame, media.DefaultJPEGQuality); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(out)), "bytes")
		})
	}
}

func BenchmarkSnapshotScale720p(b *testing.B) {
	img := keyPicture(b, "scene-1280x720.ivf")
	b.ReportAllocs()
	for b.Loop() {
		media.ScaleToFit(img, media.ImageMaxWidth, media.ImageMaxHeight)
	}
}

func BenchmarkSnapshotJPEG(b *testing.B) {
	img := keyPicture(b, "scene-1280x720.ivf")
	scaled := media.ScaleToFit(img, media.ImageMaxWidth, media.ImageMaxHeight)
	for b.Loop() {
		if _, _, err := media.EncodeJPEG(scaled, media.ImageMaxWidth, media.ImageMaxHeight, media.DefaultJPEGQuality); err != nil {
			b.Fatal(err)
		}
	}
}
