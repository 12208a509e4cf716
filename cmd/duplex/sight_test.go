package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/internal/callbot"
)

// seen asks "what do you see" with the camera file and returns the reply.
func seen(t *testing.T, base string, q []int16, rate int, clip string, lead time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := callbot.Run(ctx, callbot.Options{Server: base, Turns: [][]int16{q}, AudioRate: rate,
		VideoPath: clip, Lead: lead, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Turns) != 1 {
		t.Fatalf("%s: turns %+v errors %v", filepath.Base(clip), res.Turns, res.Errors)
	}
	t.Logf("%s: %q → %q", filepath.Base(clip), res.Turns[0].User, res.Turns[0].Reply)
	return strings.ToLower(res.Turns[0].Reply)
}

// TestAssistantSeesEveryCodec: an H.264-only, a VP8-only and a VP9-only
// caller (each offers only its file's codec) show red and are told red.
func TestAssistantSeesEveryCodec(t *testing.T) {
	base := startServer(t)
	q, rate := speak(t, "what do you see")
	dir := filepath.Join("..", "..", "media", "video", "testdata")
	for _, clip := range []string{"red-320x240.h264", "red-320x240-vp8.ivf", "red-320x240-vp9.ivf"} {
		if reply := seen(t, base, q, rate, filepath.Join(dir, clip), 0); !strings.Contains(reply, "red") {
			t.Errorf("%s: reply %q does not say red", clip, reply)
		}
	}
}

// TestAssistantSeesWhileAsked: the scene is blue as the question starts,
// red as it ends and green from just after it (while the server
// transcribes and thinks): the answer is red, the colour shown while the
// user asked, in every codec; a turn that took a fresh picture after the
// question (what a key frame per turn gave) is told green. The clips are
// made with ffmpeg, every frame a key frame so the callbot's skip to a key
// frame after a PLI keeps time.
func TestAssistantSeesWhileAsked(t *testing.T) {
	base := startServer(t)
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg is required (Debian ffmpeg): ", err)
	}
	q, rate := speak(t, "please tell me what you see in front of me right now")
	const lead = 2 * time.Second
	speech := time.Duration(len(q)) * time.Second / time.Duration(rate)
	blue := lead + speech/2                // the question's first half
	red := speech/2 + 100*time.Millisecond // its second half (espeak-ng ends it with silence)
	dir := t.TempDir()
	for _, c := range []struct{ name, args string }{
		{"scene.h264", "-c:v libx264 -profile:v baseline -g 1 -bsf:v h264_mp4toannexb -f h264"},
		{"scene-vp8.ivf", "-c:v libvpx -g 1 -b:v 300k -deadline realtime -cpu-used 8 -f ivf"},
		{"scene-vp9.ivf", "-c:v libvpx-vp9 -g 1 -b:v 300k -deadline realtime -cpu-used 8 -f ivf"},
	} {
		out := filepath.Join(dir, c.name)
		src := func(colour string, d time.Duration) []string {
			return []string{"-f", "lavfi", "-i", fmt.Sprintf("color=c=%s:s=320x240:r=30:d=%.3f", colour, d.Seconds())}
		}
		args := []string{"-hide_banner", "-loglevel", "error", "-y"}
		args = append(args, src("blue", blue)...)
		args = append(args, src("red", red)...)
		args = append(args, src("green", 20*time.Second)...)
		args = append(args, "-filter_complex", "[0][1][2]concat=n=3:v=1:a=0,format=yuv420p")
		args = append(args, strings.Fields(c.args)...)
		if b, err := exec.Command("ffmpeg", append(args, out)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %s: %v %s", c.name, err, b)
		}
		reply := seen(t, base, q, rate, out, lead)
		if !strings.Contains(reply, "red") || strings.Contains(reply, "blue") || strings.Contains(reply, "green") {
			t.Errorf("%s: reply %q, want red (shown as the question ended) and neither blue nor green", c.name, reply)
		}
	}
}

// TestMaxVideoCalls: with -max-video-calls 1, of two callers showing red at
// once one is told red and the other, whose camera is not decoded, that
// the assistant cannot see; both calls go on.
func TestMaxVideoCalls(t *testing.T) {
	base := startServer(t, "-max-video-calls", "1")
	q, rate := speak(t, "what do you see")
	clip := filepath.Join("..", "..", "media", "video", "testdata", "red-320x240-vp8.ivf")
	replies := make(chan string, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			res, err := callbot.Run(ctx, callbot.Options{Server: base, Turns: [][]int16{q}, AudioRate: rate,
				VideoPath: clip, Lead: time.Second, Log: zerolog.Nop()})
			switch {
			case err != nil:
				replies <- "error: " + err.Error()
			case len(res.Turns) != 1:
				replies <- fmt.Sprintf("turns %+v errors %v", res.Turns, res.Errors)
			default:
				replies <- res.Turns[0].Reply
			}
		}()
	}
	wg.Wait()
	close(replies)
	var red, blind int
	for r := range replies {
		t.Logf("reply: %q", r)
		switch {
		case strings.Contains(strings.ToLower(r), "red"):
			red++
		case strings.Contains(r, "can't see"):
			blind++
		}
	}
	if red != 1 || blind != 1 {
		t.Fatalf("%d callers saw red and %d could not see, want one each", red, blind)
	}
}
