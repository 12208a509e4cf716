package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/wav"
)

// -real-fsdd runs TestRealSpeechNoSkillAnswer on FSDD digit strings too
// (an eval, not part of make test: the corpus may not be copied here).
// realAll calls with every recording (about 4.5 minutes); by default one
// of each kind (a read sentence, a card name, a command, digits).
var realAll = flag.Bool("real-all", false, "TestRealSpeechNoSkillAnswer: every pocketsphinx-testdata recording, not one of each kind")

var realFSDD = flag.String("real-fsdd", "", "FSDD folder (e.g. ../../../shared/corpus/fsdd): also call with digit strings from it")

// skillAnswer matches the offline brain's skill answers: a sum, the time,
// the date, a greeting, a story, a memory, help, an acknowledgement.
var skillAnswer = regexp.MustCompile(`(?i)\b(plus|minus|times|divided by|over)\b.* is -?\d|^It's \d|^Today is|^Hello|^Good (morning|afternoon|evening)|once upon|^You said|^I said|^I'm running offline|^Okay\.$|^You're welcome|^Goodbye`)

// shortest is the smallest file of paths, alone.
func shortest(paths []string) []string {
	best, size := "", int64(-1)
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && (size < 0 || fi.Size() < size) {
			best, size = p, fi.Size()
		}
	}
	return []string{best}
}

// TestRealSpeechNoSkillAnswer: every real recording of pocketsphinx-testdata
// (none asks for a skill), spoken into a real call to the default offline
// assistant, gets a reply that is no skill answer.
func TestRealSpeechNoSkillAnswer(t *testing.T) {
	const dir = "/usr/share/pocketsphinx/test/data"
	if _, err := os.Stat(dir + "/librivox"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pocketsphinx-testdata is missing: run scripts/deps.sh")
		}
		t.Skip("pocketsphinx-testdata is missing")
	}
	var turns [][]int16
	wavs, _ := filepath.Glob(dir + "/librivox/*.wav")
	cards, _ := filepath.Glob(dir + "/cards/*.wav")
	raws := []string{"goforward.raw", "numbers.raw", "something.raw", "tidigits/dhd.2934z.raw"}
	if !*realAll && len(wavs) > 0 && len(cards) > 0 {
		// The shortest of each kind: the call's length is the audio's and
		// the replies', which quote what was heard.
		wavs, cards, raws = shortest(wavs), shortest(cards), []string{"goforward.raw", "numbers.raw"}
	}
	for _, f := range append(wavs, cards...) {
		pcm, rate, err := wav.ReadFile(f)
		if err != nil || rate != 16000 {
			t.Fatalf("%s: %v (rate %d)", f, err, rate)
		}
		turns = append(turns, pcm)
	}
	for _, f := range raws {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, len(b)/2)
		for i := range pcm {
			pcm[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
		}
		turns = append(turns, pcm)
	}
	if *realFSDD != "" {
		turns = append(turns, fsddTurns(t, *realFSDD)...)
	}
	base := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(len(turns))*40*time.Second)
	defer cancel()
	res, err := callbot.Run(ctx, callbot.Options{
		Server: base, Turns: turns, AudioRate: 16000, Gap: time.Second,
		Tail: 8 * time.Second, TurnTimeout: 30 * time.Second, Wait: len(turns), Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Turns) == 0 {
		t.Fatalf("no turns; errors %v", res.Errors)
	}
	quoted := 0
	for i, tr := range res.Turns {
		t.Logf("turn %d: heard %q → %q", i+1, tr.User, tr.Reply)
		if skillAnswer.MatchString(tr.Reply) {
			t.Errorf("turn %d: %q got the skill answer %q", i+1, tr.User, tr.Reply)
		}
		if strings.HasPrefix(tr.Reply, "I heard '") {
			quoted++
		}
	}
	var understood []string
	for _, ev := range res.Events {
		if ev.Understood != nil && *ev.Understood {
			understood = append(understood, ev.Text)
		}
	}
	t.Logf("%d turns for %d recordings, %d replies quote what was heard; understood (digit strings): %q", len(res.Turns), len(turns), quoted, understood)
	if quoted == 0 {
		t.Error("no reply quotes what was heard")
	}
}

// fsddTurns: 20 digit strings of 3-6 digits (one speaker each, 300 ms
// apart), resampled 8→16 kHz by repeating samples' linear midpoints.
func fsddTurns(t *testing.T, dir string) [][]int16 {
	var out [][]int16
	for i := 0; i < 20; i++ {
		speaker := []string{"george", "jackson", "nicolas", "theo"}[i%4]
		files, _ := filepath.Glob(filepath.Join(dir, "*_"+speaker+"_*.wav"))
		sort.Strings(files)
		if len(files) < 100 {
			t.Fatalf("no FSDD recordings of %s under %s", speaker, dir)
		}
		var s []int16
		for k := 0; k < 3+i%4; k++ {
			f := files[(i*131+k*977)%len(files)]
			pcm, rate, err := wav.ReadFile(f)
			if err != nil || rate != 8000 {
				t.Fatalf("%s: %v (rate %d)", f, err, rate)
			}
			if k > 0 {
				s = append(s, make([]int16, 4800)...)
			}
			for j, v := range pcm {
				next := v
				if j+1 < len(pcm) {
					next = pcm[j+1]
				}
				s = append(s, v, int16((int32(v)+int32(next))/2))
			}
		}
		out = append(out, s)
	}
	return out
}
