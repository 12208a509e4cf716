package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/wav"
)

func tone(rate, ms int) []int16 {
	out := make([]int16, rate*ms/1000)
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
	}
	return out
}

// TestRealClips: R's recordings come from both folders (the sentences
// spoken realRepeats times, digit strings per FSDD speaker with their
// digits as words for the alignment); an absent folder is left out with a
// note, not an error.
func TestRealClips(t *testing.T) {
	fsdd, lib := t.TempDir(), t.TempDir()
	for _, sp := range realConfig().Speakers {
		for d := range 10 {
			if err := wav.WriteFile(filepath.Join(fsdd, fmt.Sprintf("%d_%s_0.wav", d, sp)), tone(8000, 300), 8000); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := wav.WriteFile(filepath.Join(lib, "s1.wav"), tone(16000, 1000), 16000); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lib, "transcription"), []byte("<s> he was not </s> (s1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clips, notes, err := realClips(fsdd, lib)
	if err != nil {
		t.Fatal(err)
	}
	cfg := realConfig()
	if want := realRepeats + cfg.Strings*len(cfg.Speakers); len(clips) != want || len(notes) != 0 {
		t.Fatalf("%d clips, notes %q; want %d, none", len(clips), notes, want)
	}
	if c := clips[0]; c.source != "librivox:s1" || c.text != "he was not" || len(c.pcm) != 16000 {
		t.Errorf("first clip %s %q, %d samples", c.source, c.text, len(c.pcm))
	}
	for _, c := range clips[realRepeats:] {
		n := len(strings.Fields(c.text))
		if !strings.HasPrefix(c.source, "fsdd:") || n < cfg.DigitsMin || n > cfg.DigitsMax {
			t.Errorf("clip %s %q", c.source, c.text)
		}
		for _, w := range strings.Fields(c.text) {
			if !strings.Contains(" zero one two three four five six seven eight nine ", " "+w+" ") {
				t.Errorf("clip %s: %q is not a digit word", c.source, w)
			}
		}
	}
	clips, notes, err = realClips(filepath.Join(fsdd, "absent"), lib)
	if err != nil || len(clips) != realRepeats || len(notes) != 1 {
		t.Errorf("FSDD absent: %d clips, notes %q, err %v; want the sentences and one note", len(clips), notes, err)
	}
}

// TestAlignDigitStrings: a digit string's transcript is a numeral, its
// recording's text words; a string the server split in two does not shift
// the strings after it onto the wrong recordings.
func TestAlignDigitStrings(t *testing.T) {
	qs := []question{{text: "two seven three one one two"}, {text: "nine eight one nine"}, {text: "three two zero nine one seven zero"}}
	turns := []callbot.Turn{{User: "711"}, {User: "2"}, {User: "919"}, {User: "3209170"}}
	if got, want := align(qs, turns), []int{0, -1, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("align: %v, want %v", got, want)
	}
}

// R's FSDD turns are split by speaker: the end-of-turn rules were tuned on
// eval.TrainFSDDSpeakers, the others are held out; unmatched turns, turns
// with no latency and the librivox call count in neither.
func TestRFSDDSplits(t *testing.T) {
	r := &resultR{
		clips: []realClip{{source: "fsdd:george"}, {source: "fsdd:nicolas"}, {source: "librivox:x"}, {source: "fsdd:jackson"}, {source: "fsdd:theo"}},
		rows: []realRow{
			{clip: 0, group: "fsdd", latency: 900},
			{clip: 1, group: "fsdd", latency: 700},
			{clip: 2, group: "librivox", latency: 400},
			{clip: -1, group: "fsdd", latency: 300},
			{clip: 3, group: "fsdd", latency: 0},
			{clip: 4, group: "fsdd", latency: 800},
		},
	}
	tuning, heldOut := r.fsddSplits()
	if !slices.Equal(tuning, []float64{900}) || !slices.Equal(heldOut, []float64{700, 800}) {
		t.Fatalf("tuning %v, held out %v; want [900] and [700 800]", tuning, heldOut)
	}
}
