package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/internal/wav"
)

// TestMain fails the package if a test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.wav")
	if err := wav.WriteFile(in, make([]int16, 1600), 16000); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{}, {"-bogus"}, {"-text", "hi", "extra"},
		{"-audio", filepath.Join(dir, "missing.wav")},
		{"-turns", in + "," + filepath.Join(dir, "missing.wav")},
		{"-turns", in + ",," + in},
		{"-audio", in, "-turns", in},
		{"-text", "hi", "-barge-in", in},
		{"-audio", in, "-barge-in", in, "-barge-in-after", "-1s"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("run(%q) = %d, want 2 (stderr %s)", args, code, errb.String())
		}
	}
}

func TestJSONOnSignalingError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"offer has no audio"}`)
	}))
	defer srv.Close()
	in := filepath.Join(t.TempDir(), "in.wav")
	if err := wav.WriteFile(in, make([]int16, 1600), 16000); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"-server", srv.URL, "-audio", in, "-json", "-record", filepath.Join(t.TempDir(), "out.wav")}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var res struct {
		OK     bool     `json:"ok"`
		Errors []string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	if res.OK || len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "offer has no audio") {
		t.Fatalf("result %+v", res)
	}
}

func TestLoadWAVs(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n, rate int) string {
		p := filepath.Join(dir, name)
		if err := wav.WriteFile(p, make([]int16, n), rate); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b, c := write("a.wav", 1600, 16000), write("b.wav", 3200, 16000), write("c.wav", 4800, 48000)
	pcms, rate, err := loadWAVs([]string{a, b})
	if err != nil || rate != 16000 || len(pcms) != 2 || len(pcms[0]) != 1600 || len(pcms[1]) != 3200 {
		t.Fatalf("same rate: %d Hz, %v", rate, err)
	}
	pcms, rate, err = loadWAVs([]string{a, c})
	if err != nil || rate != 48000 || len(pcms[0]) < 4800 || len(pcms[0]) > 4802 || len(pcms[1]) != 4800 {
		t.Fatalf("mixed rates: %d Hz, %d and %d samples, %v", rate, len(pcms[0]), len(pcms[1]), err)
	}
	if _, _, err := loadWAVs([]string{write("empty.wav", 0, 16000)}); err == nil {
		t.Error("an empty WAV was accepted")
	}
}
