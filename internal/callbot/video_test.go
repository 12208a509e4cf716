package callbot

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadIVF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.ivf")
	writeTestIVF(t, path, 25, 10)
	clip, err := loadIVF(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(clip.frames) != 25 || clip.interval != time.Second/30 {
		t.Fatalf("%d frames every %v", len(clip.frames), clip.interval)
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
		"not vp8":       append(append(append([]byte{}, data[:8]...), "VP90"...), data[12:]...),
		"no frames":     data[:32],
		"no key":        append(append([]byte{}, data[:32]...), data[32+112:32+2*112]...),
		"bad signature": append([]byte("XXXX"), data[4:]...),
	}
	for name, b := range bad {
		if _, err := parseIVF(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
