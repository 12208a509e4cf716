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

	"github.com/duplex-ai/duplex/internal/wav"
)

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"-bogus"}, {"-text", "hi", "extra"}, {"-audio", filepath.Join(t.TempDir(), "missing.wav")}} {
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
