package callbot

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestVideoLoadIVF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.ivf")
	writeTestIVF(t, path, 25, 10)
	clip, err := loadVideo(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(clip.frames) != 25 || clip.interval != time.Second/30 || clip.codec.MimeType != webrtc.MimeTypeVP8 {
		t.Fatalf("%d frames every %v, %v", len(clip.frames), clip.interval, clip.codec)
	}
	for _, tc := range []struct{ from, want int }{{0, 0}, {1, 10}, {10, 10}, {11, 20}, {21, 0}, {24, 0}} {
		if got := clip.nextKey(tc.from); got != tc.want {
			t.Errorf("nextKey(%d) = %d, want %d", tc.from, got, tc.want)
		}
	}

	data, _ := os.ReadFile(path)
	bad := map[string][]byte{
		"short":         data[:20],
		"overrun":       append(append([]byte{}, data[:32]...), 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0),
		"cut header":    data[:32+5],
		"not vp8/vp9":   append(append(append([]byte{}, data[:8]...), "AV01"...), data[12:]...),
		"no frames":     data[:32],
		"no key":        append(append([]byte{}, data[:32]...), data[32+112:32+2*112]...),
		"bad signature": append([]byte("XXXX"), data[4:]...),
		"h264 no key":   {0, 0, 0, 1, 0x41, 0x9a, 0, 0, 1, 0x41, 0x9a},
		"h264 empty":    {0, 0, 0, 1},
	}
	for name, b := range bad {
		if _, err := parseVideo(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// ffmpegClip encodes 1 s of a colour at 15 fps in the file's format.
func ffmpegClip(t *testing.T, name string) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (scripts/deps.sh)")
	}
	enc := map[string][]string{
		"h264": {"-c:v", "libx264", "-profile:v", "baseline", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-f", "h264"},
		"vp8":  {"-c:v", "libvpx", "-deadline", "realtime", "-f", "ivf"},
		"vp9":  {"-c:v", "libvpx-vp9", "-deadline", "realtime", "-f", "ivf"},
	}[name]
	path := filepath.Join(t.TempDir(), name)
	args := append([]string{"-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=320x240:r=15", "-t", "1", "-g", "15"}, enc...)
	if out, err := exec.Command("ffmpeg", append(args, path)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	return path
}

// Each codec's file loads with the track codec pion packetizes it with.
func TestVideoLoadCodecs(t *testing.T) {
	for name, mime := range map[string]string{"h264": webrtc.MimeTypeH264, "vp8": webrtc.MimeTypeVP8, "vp9": webrtc.MimeTypeVP9} {
		t.Run(name, func(t *testing.T) {
			clip, err := loadVideo(ffmpegClip(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if clip.codec.MimeType != mime || clip.codec.ClockRate != 90000 || len(clip.frames) != 15 {
				t.Fatalf("%v, %d frames", clip.codec, len(clip.frames))
			}
			if !clip.key[0] || clip.key[1] || clip.nextKey(1) != 0 {
				t.Fatalf("key frames %v", clip.key)
			}
			want := time.Second / 15
			if name == "h264" {
				want = annexBInterval // Annex-B has no timing
			}
			if clip.interval != want {
				t.Fatalf("interval %v, want %v", clip.interval, want)
			}
		})
	}
}
