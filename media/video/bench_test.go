package video

import (
	"fmt"
	"github.com/duplex-ai/duplex/media"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// benchSizes are the camera sizes benchmarked.
var benchSizes = []struct {
	name string
	size string
	rate string // bitrate, as a WebRTC sender would use
}{{"480p", "640x480", "1M"}, {"720p", "1280x720", "2M"}}

// benchStream encodes 2 s of ffmpeg's moving testsrc at 30 fps with a key
// frame every 30 frames (H.264 constrained baseline; VP8/VP9 realtime) and
// returns its frames. Skips without ffmpeg.
func benchStream(b *testing.B, c Codec, size, rate string) [][]byte {
	b.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Skip("ffmpeg not installed")
	}
	var args []string
	ext := "ivf"
	switch c {
	case H264:
		args, ext = []string{"-c:v", "libx264", "-profile:v", "baseline", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-f", "h264"}, "h264"
	case VP8:
		args = []string{"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-pix_fmt", "yuv420p", "-f", "ivf"}
	case VP9:
		args = []string{"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-pix_fmt", "yuv420p", "-f", "ivf"}
	}
	out := filepath.Join(b.TempDir(), "s."+ext)
	cmd := append([]string{"-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=" + size + ":r=30", "-t", "2", "-g", "30", "-b:v", rate}, args...)
	if o, err := exec.Command("ffmpeg", append(cmd, out)...).CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg: %v: %s", err, o)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	if c == H264 {
		return SplitAnnexB(data)
	}
	f, err := ParseIVF(data)
	if err != nil {
		b.Fatal(err)
	}
	return f.Frames
}

func forEachBenchStream(b *testing.B, fn func(b *testing.B, c Codec, frames [][]byte)) {
	for _, c := range []Codec{H264, VP8, VP9} {
		for _, s := range benchSizes {
			b.Run(fmt.Sprintf("%v-%s", c, s.name), func(b *testing.B) {
				fn(b, c, benchStream(b, c, s.size, s.rate))
			})
		}
	}
}

// BenchmarkVideoDecode: libavcodec decode of one frame (every frame of the
// stream in turn, key frames included), one thread.
func BenchmarkVideoDecode(b *testing.B) {
	forEachBenchStream(b, func(b *testing.B, c Codec, frames [][]byte) {
		d := newVideoDecoder(b, c)
		i := 0
		for b.Loop() {
			if _, err := d.Decode(frames[i%len(frames)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkVideoPicture: decode + scale to ≤1200×800 + full range + JPEG
// (quality 80) of one frame: what a turn's image costs on top of decoding.
func BenchmarkVideoPicture(b *testing.B) {
	forEachBenchStream(b, func(b *testing.B, c Codec, frames [][]byte) {
		d := newVideoDecoder(b, c)
		i := 0
		for b.Loop() {
			if _, err := d.Decode(frames[i%len(frames)]); err != nil {
				b.Fatal(err)
			}
			img, _, _, err := d.Picture(media.ImageMaxWidth, media.ImageMaxHeight)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := media.EncodeJPEG(img, media.ImageMaxWidth, media.ImageMaxHeight, media.DefaultJPEGQuality); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkVideoReceive: the whole receive path of one frame — its RTP
// packets through the sample builder and depacketizer into the decoder —
// idle (a picture every 2 s of the 30 fps clock) and sampling (every 1 s).
// × 30 is a camera's CPU per second.
func BenchmarkVideoReceive(b *testing.B) {
	for _, mode := range []string{"idle", "sampling"} {
		b.Run(mode, func(b *testing.B) {
			forEachBenchStream(b, func(b *testing.B, c Codec, frames [][]byte) {
				pkts, first := videoStream(c, frames, 1200, 0, 0)
				first = append(first, len(pkts))
				clk := newFakeClock()
				v := newVideoReceiver(b, ReceiverOptions{Codec: c, Clock: clk, MaxWidth: media.ImageMaxWidth, MaxHeight: media.ImageMaxHeight})
				v.SetSampling(mode == "sampling")
				n, loops := 0, 0
				span := uint32(len(frames)) * videoClockRate / 15
				for b.Loop() {
					f := n % len(frames)
					for _, p := range pkts[first[f]:first[f+1]] {
						q := *p
						q.SequenceNumber += uint16(loops * len(pkts))
						q.Timestamp += uint32(loops) * span
						v.Push(&q)
					}
					clk.Advance(time.Second / 30)
					n++
					if n%len(frames) == 0 {
						loops++
					}
				}
				st := v.Stats()
				if st.DecodeErrors != 0 || (b.N > 2*len(frames) && st.Decoded == 0) {
					b.Fatalf("stats %+v", st)
				}
			})
		})
	}
}

// BenchmarkVideoDecodeNonRef: a VP8 720p stream with two temporal layers
// (every other frame is referenced by none, as WebRTC senders do for
// scalability), decoded with and without skipping non-reference frames
// (what the receiver does while idle). Reports the share of frames that
// produced a picture.
func BenchmarkVideoDecodeNonRef(b *testing.B) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Skip("ffmpeg not installed")
	}
	out := filepath.Join(b.TempDir(), "tl.ivf")
	args := []string{"-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=1280x720:r=30", "-t", "2", "-g", "30",
		"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "2M",
		"-ts-parameters", "ts_number_layers=2:ts_target_bitrate=1000,2000:ts_rate_decimator=2,1:ts_periodicity=2:ts_layer_id=0,1:ts_layering_mode=2",
		"-f", "ivf", out}
	if o, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg: %v: %s", err, o)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	f, err := ParseIVF(data)
	if err != nil {
		b.Fatal(err)
	}
	for _, skip := range []bool{false, true} {
		b.Run(fmt.Sprintf("skip=%v", skip), func(b *testing.B) {
			d := newVideoDecoder(b, VP8)
			d.SetSkipNonRef(skip)
			i, pics := 0, 0
			for b.Loop() {
				got, err := d.Decode(f.Frames[i%len(f.Frames)])
				if err != nil {
					b.Fatal(err)
				}
				if got {
					pics++
				}
				i++
			}
			b.ReportMetric(float64(pics)/float64(i), "pictures/frame")
		})
	}
}
