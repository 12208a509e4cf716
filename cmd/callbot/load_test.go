package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/internal/wav"
)

func TestLoadUsage(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.wav")
	if err := wav.WriteFile(in, make([]int16, 1600), 16000); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-calls", "5"}, "needs -audio"},
		{[]string{"-calls", "5", "-idle", "-turns", in}, "-turns does not apply"},
		{[]string{"-calls", "5", "-idle", "-ramp", "0"}, "must be positive"},
		{[]string{"-calls", "5", "-audio", filepath.Join(dir, "missing.wav")}, "missing.wav"},
		{[]string{"-calls", "5", "-idle", "-server", "http://192.0.2.1:8080"}, "not a loopback address"},
		{[]string{"-calls", "100000", "-idle"}, "calls, want"},
		{[]string{"-calls", "2", "-audio", in}, "no frame above -40 dBFS"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
