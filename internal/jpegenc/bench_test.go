package jpegenc

import (
	"bytes"
	"image/jpeg"
	"testing"
)

func BenchmarkEncode1200x675(b *testing.B) {
	img := camera1200x675()
	var e Encoder
	dst, err := e.Encode(nil, img, 80)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(img.Y)))
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = e.Encode(dst[:0], img, 80)
	}
	b.ReportMetric(float64(len(dst)), "bytes")
}

func BenchmarkStdlib1200x675(b *testing.B) {
	img := camera1200x675()
	var buf bytes.Buffer
	b.SetBytes(int64(len(img.Y)))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes")
}
