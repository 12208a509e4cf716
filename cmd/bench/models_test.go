package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/vad/eval"
)

// TestModelRealTurns: the real call holds every librivox sentence and the
// spoken command at 16 kHz; a corpus whose files are absent is left out
// with a note naming it, not an error.
func TestModelRealTurns(t *testing.T) {
	const librivox = "/usr/share/pocketsphinx/test/data/librivox"
	if _, err := os.Stat(filepath.Join(librivox, "fileids")); err != nil {
		t.Skipf("pocketsphinx-testdata: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "none")
	cl, notes, err := modelRealTurns(missing, librivox)
	if err != nil {
		t.Fatal(err)
	}
	if cl.rate != eval.Rate || len(cl.turns) != 6 {
		t.Fatalf("%d turns at %d Hz, want the 5 sentences and the command at %d", len(cl.turns), cl.rate, eval.Rate)
	}
	for i, pcm := range cl.turns {
		if len(pcm) < eval.Rate {
			t.Errorf("turn %d: %d samples, want a recording of a second or more", i, len(pcm))
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "FSDD") {
		t.Errorf("notes %q, want one saying the digit strings were left out", notes)
	}
	cl, notes, err = modelRealTurns(missing, missing)
	if err != nil || len(cl.turns) != 1 || len(notes) != 2 || !strings.Contains(notes[0], "librivox") {
		t.Errorf("no corpora: %d turns, notes %q, %v; want the command alone and two notes", len(cl.turns), notes, err)
	}
}
