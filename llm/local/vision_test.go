package local

import (
	"bytes"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/llm"
)

func look(t *testing.T, img, prev *llm.Image) string {
	t.Helper()
	req := llm.Request{Now: now, Image: img, PreviousImage: prev,
		History: []llm.Message{{Role: llm.RoleUser, Text: "what do you see?"}}}
	text, _ := streamAll(t, req)
	return text
}

func TestCameraSolidRed(t *testing.T) {
	got := look(t, &llm.Image{Decoded: solid(640, 480, color.RGBA{255, 0, 0, 255}), Captured: now}, nil)
	for _, w := range []string{"red", "100 percent", "bright", "plain", "not what the objects are"} {
		if !strings.Contains(got, w) {
			t.Fatalf("%q lacks %q", got, w)
		}
	}
	if strings.Contains(got, "changed") {
		t.Fatalf("mentions change without a previous picture: %q", got)
	}
}

func TestCameraDescriptions(t *testing.T) {
	half := solid(640, 480, color.RGBA{20, 40, 200, 255}) // blue
	for y := 0; y < 480; y++ {
		for x := 0; x < 640*3/10; x++ {
			half.Set(x, y, color.RGBA{250, 250, 250, 255}) // 30% white
		}
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, solid(320, 240, color.RGBA{30, 160, 40, 255}), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		img, prev *llm.Image
		want      []string
	}{
		{"two colours", &llm.Image{Decoded: half}, nil, []string{"mostly blue, about 70 percent", "white at about 30 percent"}},
		{"dark", &llm.Image{Decoded: solid(64, 48, color.RGBA{10, 10, 12, 255})}, nil, []string{"black", "dark"}},
		{"dim gray", &llm.Image{Decoded: solid(64, 48, color.RGBA{70, 70, 70, 255})}, nil, []string{"gray", "dim"}},
		{"jpeg only", &llm.Image{JPEG: jpg.Bytes()}, nil, []string{"green"}},
		{"unchanged", &llm.Image{Decoded: solid(64, 48, color.RGBA{255, 0, 0, 255})}, &llm.Image{Decoded: solid(64, 48, color.RGBA{255, 0, 0, 255})}, []string{"the same"}},
		{"changed a lot", &llm.Image{Decoded: solid(64, 48, color.RGBA{255, 255, 255, 255})}, &llm.Image{Decoded: solid(64, 48, color.RGBA{0, 0, 0, 255})}, []string{"A lot has changed"}},
		{"stale", &llm.Image{Decoded: solid(64, 48, color.RGBA{255, 200, 0, 255}), Captured: now.Add(-30 * time.Second)}, nil, []string{"yellow", "30 seconds old"}},
		{"no pixels", &llm.Image{}, nil, []string{"I can't see anything"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := look(t, tc.img, tc.prev)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Fatalf("%q lacks %q", got, w)
				}
			}
		})
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		r, g, b uint8
		want    string
	}{
		{255, 0, 0, "red"}, {255, 140, 0, "orange"}, {255, 230, 0, "yellow"}, {0, 200, 0, "green"},
		{0, 200, 200, "teal"}, {0, 0, 255, "blue"}, {140, 0, 220, "purple"}, {255, 105, 180, "pink"},
		{255, 180, 190, "pink"}, {120, 70, 20, "brown"}, {250, 250, 250, "white"}, {128, 128, 128, "gray"}, {5, 5, 5, "black"},
	} {
		if got := classify(float64(tc.r)/255, float64(tc.g)/255, float64(tc.b)/255); got != tc.want {
			t.Errorf("rgb(%d,%d,%d) = %s, want %s", tc.r, tc.g, tc.b, got, tc.want)
		}
	}
}
