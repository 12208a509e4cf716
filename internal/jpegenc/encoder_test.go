package jpegenc

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os/exec"
	"strings"
	"testing"
)

func encode(t testing.TB, img *image.YCbCr, quality int) []byte {
	t.Helper()
	var e Encoder
	out, err := e.Encode(nil, img, quality)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMatchesStdlib checks that quality and size track image/jpeg, which
// uses the same tables, across content types and qualities.
func TestMatchesStdlib(t *testing.T) {
	const w, h = 320, 184 // height not a multiple of 16
	images := []struct {
		name string
		img  *image.YCbCr
	}{
		{"bars", colourBars(w, h)},
		{"gradient", gradient(w, h)},
		{"noise", noise(w, h, 1)},
		{"photo", photoLike(w, h, 3)},
	}
	for _, tc := range images {
		for _, q := range []int{50, 80, 95} {
			t.Run(fmt.Sprintf("%s/q%d", tc.name, q), func(t *testing.T) {
				ours := encode(t, tc.img, q)
				std := stdEncode(t, tc.img, q)
				ly, lc := planePSNR(t, tc.img, decode(t, ours))
				sy, sc := planePSNR(t, tc.img, decode(t, std))
				ratio := float64(len(ours)) / float64(len(std))
				t.Logf("luma %.2f dB (std %.2f), chroma %.2f dB (std %.2f), %d bytes (std %d, %+.1f%%)",
					ly, sy, lc, sc, len(ours), len(std), 100*(ratio-1))
				if ly < sy-0.3 || lc < sc-0.3 {
					t.Errorf("PSNR luma %.2f chroma %.2f; image/jpeg gets %.2f, %.2f", ly, lc, sy, sc)
				}
				if ratio < 0.85 || ratio > 1.15 {
					t.Errorf("size %d bytes, image/jpeg %d", len(ours), len(std))
				}
			})
		}
	}
}

// TestSizes covers partial MCUs in both directions, down to a single pixel.
func TestSizes(t *testing.T) {
	for _, sz := range []image.Point{{1, 1}, {7, 5}, {16, 16}, {17, 9}, {33, 31}, {1200, 675}} {
		t.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(t *testing.T) {
			img := photoLike(sz.X, sz.Y, 5)
			if sz.X == 1200 {
				img = camera1200x675()
			}
			ly, lc := planePSNR(t, img, decode(t, encode(t, img, 90)))
			sy, sc := planePSNR(t, img, decode(t, stdEncode(t, img, 90)))
			t.Logf("luma %.2f dB (std %.2f), chroma %.2f dB (std %.2f)", ly, sy, lc, sc)
			// A few dozen pixels make PSNR noisy, hence the margin.
			if ly < sy-1 || lc < sc-1 || ly < 30 || lc < 30 {
				t.Errorf("PSNR luma %.2f chroma %.2f; image/jpeg gets %.2f, %.2f", ly, lc, sy, sc)
			}
		})
	}
}

// TestSubImage checks that Rect.Min is honoured, including odd and negative
// offsets where chroma samples do not line up with the MCU grid.
func TestSubImage(t *testing.T) {
	base := photoLike(64, 48, 9)
	for _, r := range []image.Rectangle{
		image.Rect(3, 5, 40, 33),   // odd offset
		image.Rect(4, 6, 41, 35),   // even offset, odd size
		image.Rect(1, 0, 2, 1),     // one pixel at an odd column
		image.Rect(0, 0, 64, 48),   // the whole image
		image.Rect(10, 10, 64, 48), // reaching the parent's edges
	} {
		t.Run(r.String(), func(t *testing.T) {
			img := base.SubImage(r).(*image.YCbCr)
			got := decode(t, encode(t, img, 90))
			std := decode(t, stdEncode(t, img, 90))
			checkClose(t, img, got, std)
		})
	}
	t.Run("negative origin", func(t *testing.T) {
		img := image.NewYCbCr(image.Rect(-7, -3, 30, 20), image.YCbCrSubsampleRatio420)
		src := photoLike(37, 23, 4)
		for y := range 23 {
			for x := range 37 {
				c := src.YCbCrAt(x, y)
				img.Y[img.YOffset(x-7, y-3)] = c.Y
				img.Cb[img.COffset(x-7, y-3)] = c.Cb
				img.Cr[img.COffset(x-7, y-3)] = c.Cr
			}
		}
		got := decode(t, encode(t, img, 90))
		std := decode(t, stdEncode(t, img, 90))
		checkClose(t, img, got, std)
	})
}

// checkClose compares two decodings of src, ours and image/jpeg's, in RGB:
// ours must have src's size and be about as faithful. The margin is wider
// than TestMatchesStdlib's because a few dozen pixels make PSNR noisy.
func checkClose(t *testing.T, src image.Image, got, std image.Image) {
	t.Helper()
	if got.Bounds().Size() != src.Bounds().Size() {
		t.Fatalf("decoded size %v, want %v", got.Bounds().Size(), src.Bounds().Size())
	}
	ours, theirs := rgbPSNR(src, got), rgbPSNR(src, std)
	t.Logf("RGB PSNR %.2f dB, image/jpeg %.2f dB", ours, theirs)
	if ours < theirs-1 || ours < 20 {
		t.Errorf("RGB PSNR %.2f dB, image/jpeg %.2f dB", ours, theirs)
	}
}

// rgbPSNR compares b, whose bounds start at (0, 0), with a over a's bounds.
func rgbPSNR(a, b image.Image) float64 {
	r := a.Bounds()
	var se float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ca := color.RGBAModel.Convert(a.At(x, y)).(color.RGBA)
			cb := color.RGBAModel.Convert(b.At(x-r.Min.X, y-r.Min.Y)).(color.RGBA)
			for _, d := range []float64{
				float64(ca.R) - float64(cb.R), float64(ca.G) - float64(cb.G), float64(ca.B) - float64(cb.B),
			} {
				se += d * d
			}
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*3*float64(r.Dx()*r.Dy())/se)
}

// TestByteStuffing encodes noise at quality 100, where almost every
// coefficient is coded and 0xFF bytes are frequent in the entropy data.
func TestByteStuffing(t *testing.T) {
	img := noise(128, 96, 42)
	out := encode(t, img, 100)
	sos := bytes.Index(out, []byte{0xff, 0xda})
	data := out[sos+12 : len(out)-2] // entropy-coded segment, before EOI
	stuffed := bytes.Count(data, []byte{0xff, 0x00})
	if stuffed < 10 {
		t.Fatalf("only %d stuffed 0xFF bytes; the test no longer exercises stuffing", stuffed)
	}
	if n := bytes.Count(data, []byte{0xff}); n != stuffed {
		t.Errorf("%d 0xFF bytes in entropy data, %d followed by 0x00", n, stuffed)
	}
	ly, lc := planePSNR(t, img, decode(t, out))
	t.Logf("%d stuffed bytes; PSNR luma %.2f chroma %.2f", stuffed, ly, lc)
	if ly < 40 || lc < 40 {
		t.Errorf("PSNR luma %.2f chroma %.2f at quality 100", ly, lc)
	}
}

func TestBitWriter(t *testing.T) {
	tests := []struct {
		name  string
		codes [][2]uint64 // bits, length
		want  []byte
	}{
		{"stuffing", [][2]uint64{{0xffff_ffff, 32}, {0x12, 8}}, []byte{0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0, 0x12}},
		{"mixed word", [][2]uint64{{0x12ff_34ff, 32}}, []byte{0x12, 0xff, 0, 0x34, 0xff, 0}},
		{"padding with ones", [][2]uint64{{0b101, 3}}, []byte{0xbf}},
		{"padding makes 0xFF", [][2]uint64{{0b1, 1}}, []byte{0xff, 0}},
		{"spanning words", [][2]uint64{{0x7ffffff, 27}, {0x7ffffff, 27}, {0, 2}}, []byte{
			0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0, 0xfc,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := bitWriter{buf: []byte{}}
			for _, c := range tc.codes {
				w.emit(c[0], uint(c[1]))
			}
			if got := w.finish(); !bytes.Equal(got, tc.want) {
				t.Errorf("got % x, want % x", got, tc.want)
			}
		})
	}
}

// TestTablesMatchStdlib compares the DQT and DHT segments with
// image/jpeg's, which uses the same tables and quality scaling.
func TestTablesMatchStdlib(t *testing.T) {
	img := gradient(16, 16)
	for _, q := range []int{1, 10, 49, 50, 51, 75, 99, 100} {
		ours, std := encode(t, img, q), stdEncode(t, img, q)
		for _, marker := range []byte{markerDQT, markerDHT} {
			if a, b := segment(t, ours, marker), segment(t, std, marker); !bytes.Equal(a, b) {
				t.Errorf("quality %d: marker %#x segment differs from image/jpeg's", q, marker)
			}
		}
	}
}

// segment returns the first marker segment of the given type, length
// included.
func segment(t *testing.T, jpg []byte, marker byte) []byte {
	t.Helper()
	for i := 2; i+4 <= len(jpg) && jpg[i] == 0xff; {
		n := int(jpg[i+2])<<8 | int(jpg[i+3])
		if jpg[i+1] == marker {
			return jpg[i+2 : i+2+n]
		}
		i += 2 + n
	}
	t.Fatalf("no marker %#x", marker)
	return nil
}

func TestErrors(t *testing.T) {
	ok := image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio420)
	short := image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio420)
	short.Cr = short.Cr[:len(short.Cr)-1]
	tests := []struct {
		name    string
		img     *image.YCbCr
		quality int
		want    error
	}{
		{"nil", nil, 80, ErrInvalidImage},
		{"empty", image.NewYCbCr(image.Rect(0, 0, 0, 8), image.YCbCrSubsampleRatio420), 80, ErrInvalidImage},
		{"too wide", &image.YCbCr{Rect: image.Rect(0, 0, 65536, 1), SubsampleRatio: image.YCbCrSubsampleRatio420}, 80, ErrInvalidImage},
		{"short slice", short, 80, ErrInvalidImage},
		{"negative stride", &image.YCbCr{Y: ok.Y, Cb: ok.Cb, Cr: ok.Cr, YStride: -8, CStride: 4,
			Rect: ok.Rect, SubsampleRatio: image.YCbCrSubsampleRatio420}, 80, ErrInvalidImage},
		{"4:4:4", image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio444), 80, ErrUnsupportedSubsampling},
		{"4:2:2", image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio422), 80, ErrUnsupportedSubsampling},
		{"quality 0", ok, 0, ErrInvalidQuality},
		{"quality 101", ok, 101, ErrInvalidQuality},
		{"quality -1", ok, -1, ErrInvalidQuality},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Encoder
			dst := []byte("prefix")
			out, err := e.Encode(dst, tc.img, tc.quality)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "jpegenc: ") {
				t.Errorf("error %q lacks the jpegenc: prefix", err)
			}
			if string(out) != "prefix" {
				t.Errorf("dst changed to %q on error", out)
			}
		})
	}
	if _, err := new(Encoder).Encode(nil, ok, 80); err != nil {
		t.Errorf("valid image: %v", err)
	}
}

// TestReuse checks that an Encoder gives the same bytes as a fresh one
// whatever it encoded before, and that it appends to dst.
func TestReuse(t *testing.T) {
	a, b := photoLike(40, 30, 1), photoLike(50, 20, 2).SubImage(image.Rect(1, 1, 49, 19)).(*image.YCbCr)
	var e Encoder
	var dst []byte
	for _, step := range []struct {
		img *image.YCbCr
		q   int
	}{{a, 80}, {b, 50}, {a, 80}, {b, 80}, {a, 30}} {
		prefix := []byte("xyz")
		var err error
		dst, err = e.Encode(append(dst[:0], prefix...), step.img, step.q)
		if err != nil {
			t.Fatal(err)
		}
		if want := encode(t, step.img, step.q); !bytes.Equal(dst[len(prefix):], want) || !bytes.HasPrefix(dst, prefix) {
			t.Fatalf("quality %d: reused Encoder output differs from a fresh one", step.q)
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	for _, img := range []*image.YCbCr{
		photoLike(100, 60, 1),
		photoLike(100, 60, 1).SubImage(image.Rect(1, 1, 99, 59)).(*image.YCbCr), // realigned chroma
	} {
		var e Encoder
		dst, _ := e.Encode(nil, img, 80)
		allocs := testing.AllocsPerRun(10, func() {
			dst, _ = e.Encode(dst[:0], img, 80)
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations per Encode, want 0", img.Rect, allocs)
		}
	}
}

// TestLibjpeg checks that libjpeg(-turbo) accepts the output without
// warnings, when djpeg is installed.
func TestLibjpeg(t *testing.T) {
	djpeg, err := exec.LookPath("djpeg")
	if err != nil {
		t.Skip("djpeg not installed (Debian: libjpeg-turbo-progs)")
	}
	for _, img := range []*image.YCbCr{camera1200x675(), noise(33, 31, 5)} {
		for _, q := range []int{1, 80, 100} {
			cmd := exec.Command(djpeg, "-pnm")
			cmd.Stdin = bytes.NewReader(encode(t, img, q))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil || stderr.Len() > 0 {
				t.Fatalf("%v q%d: djpeg: %v %s", img.Rect, q, err, stderr.Bytes())
			}
			var w, h int
			if _, err := fmt.Fscanf(&stdout, "P6\n%d %d", &w, &h); err != nil || w != img.Rect.Dx() || h != img.Rect.Dy() {
				t.Errorf("%v q%d: djpeg decoded %dx%d (%v)", img.Rect, q, w, h, err)
			}
		}
	}
}

// FuzzEncode feeds arbitrary sizes, offsets, qualities and pixels; the
// output must always decode to an image of the right size.
func FuzzEncode(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint8(0), uint8(80), []byte{0})
	f.Add(uint8(17), uint8(9), uint8(3), uint8(100), []byte{0xff, 0x00, 0x80, 0x7f})
	f.Add(uint8(40), uint8(33), uint8(1), uint8(1), bytes.Repeat([]byte{0xff, 0x00}, 300))
	f.Add(uint8(64), uint8(64), uint8(2), uint8(95), []byte("some pixels"))
	f.Fuzz(func(t *testing.T, w, h, offset, quality uint8, pix []byte) {
		width, height := 1+int(w%64), 1+int(h%64)
		dx, dy := int(offset&3), int(offset>>2&3)
		img := image.NewYCbCr(image.Rect(0, 0, width+dx, height+dy), image.YCbCrSubsampleRatio420)
		if len(pix) > 0 {
			for i := range img.Y {
				img.Y[i] = pix[i%len(pix)]
			}
			for i := range img.Cb {
				img.Cb[i] = pix[(i+7)%len(pix)]
				img.Cr[i] = pix[(i+13)%len(pix)]
			}
		}
		sub := img.SubImage(image.Rect(dx, dy, width+dx, height+dy)).(*image.YCbCr)
		var e Encoder
		out, err := e.Encode(nil, sub, 1+int(quality%100))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Width != width || cfg.Height != height {
			t.Fatalf("decoded %dx%d, want %dx%d", cfg.Width, cfg.Height, width, height)
		}
		if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
			t.Fatal(err)
		}
	})
}
