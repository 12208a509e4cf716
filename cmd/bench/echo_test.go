package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEchoOnlySelectsRows(t *testing.T) {
	defer func(old string) { echoOpt.only = old }(echoOpt.only)
	count := func(only string) (n, real int) {
		echoOpt.only = only
		for _, ec := range echoCases() {
			if selected(ec.label()) {
				n++
				if ec.real {
					real++
				}
			}
		}
		return n, real
	}
	if n, real := count(""); n != 21 || real != 7 {
		t.Errorf("no filter: %d rows (%d real), want 21 (7)", n, real)
	}
	if n, _ := count("auto/-20dB/300ms/espeak"); n != 1 {
		t.Errorf("one row's label selects %d rows", n)
	}
	if n, real := count("auto/,/real"); n != 7 || real != 7 {
		t.Errorf("auto/,/real selects %d rows (%d real), want the 7 real", n, real)
	}
}

func TestReadRealBargeIn(t *testing.T) {
	const path = "/usr/share/pocketsphinx/test/data/goforward.raw"
	full, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("pocketsphinx-testdata: %v", err)
	}
	pcm, err := readRealBargeIn(path)
	if err != nil {
		t.Fatal(err)
	}
	// The recording's voice starts 500 ms in; 100 ms of lead is kept.
	lead := len(full)/2 - len(pcm)
	if lead < 6400 || lead > 7040 {
		t.Errorf("cut %d samples of lead, want about 400 ms (6400–7040)", lead)
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{"odd.raw": make([]byte, 6401), "silent.raw": make([]byte, 32000)} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readRealBargeIn(p); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
}
