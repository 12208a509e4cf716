package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/internal/wav"
	"github.com/duplex-ai/duplex/vad"
)

// burst is ms of a 300 Hz + 1.1 kHz tone pair at rate, at about -12 dBFS.
func burst(rate, ms int) []int16 {
	n := rate * ms / 1000
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / float64(rate)
		out[i] = int16(4000*math.Sin(2*math.Pi*300*t) + 4000*math.Sin(2*math.Pi*1100*t))
	}
	return out
}

// fakeFSDD writes one 300 ms take of every digit for each speaker at 8 kHz.
func fakeFSDD(t *testing.T, speakers ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, sp := range speakers {
		for d := range 10 {
			if err := wav.WriteFile(filepath.Join(dir, fmt.Sprintf("%d_%s_0.wav", d, sp)), burst(8000, 300), 8000); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// toneStrings builds a corpus of n strings of three tone bursts of one fake
// FSDD speaker, 200 ms apart, with no babble (no espeak-ng needed).
func toneStrings(t *testing.T, seed uint64, n int) *Corpus {
	t.Helper()
	items, err := DigitStrings(fakeFSDD(t, "ann"), RealConfig{Seed: seed, Speakers: []string{"ann"}, Strings: n, DigitsMin: 3, DigitsMax: 3,
		GapMin: 200 * time.Millisecond, GapMax: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Talkers, cfg.NoiseOnly = 0, 0
	c, err := BuildReal(context.Background(), cfg, items)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDigitStrings(t *testing.T) {
	dir := fakeFSDD(t, "ann", "bob")
	cfg := RealConfig{Seed: 1, Speakers: []string{"ann", "bob"}, Strings: 3, DigitsMin: 3, DigitsMax: 3,
		GapMin: 200 * time.Millisecond, GapMax: 200 * time.Millisecond}
	items, err := DigitStrings(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 6 {
		t.Fatalf("%d strings, want 3 per speaker", len(items))
	}
	for i, it := range items {
		if want := []string{"ann", "bob"}[i/3]; it.Speaker != want {
			t.Errorf("string %d by %s, want %s", i, it.Speaker, want)
		}
		if n := len(strings.Fields(it.Text)); n != 3 {
			t.Errorf("string %d %q: %d digits, want 3", i, it.Text, n)
		}
		// Three 300 ms takes resampled to 16 kHz and two 200 ms gaps.
		if want := 3*samplesOf(300*time.Millisecond) + 2*samplesOf(200*time.Millisecond); len(it.PCM) != want {
			t.Errorf("string %d: %d samples, want %d", i, len(it.PCM), want)
		}
	}
	if _, err := DigitStrings(dir, RealConfig{Speakers: []string{"carl"}, Strings: 1, DigitsMin: 1, DigitsMax: 1}); !errors.Is(err, ErrNoRecordings) {
		t.Errorf("unknown speaker: %v, want ErrNoRecordings", err)
	}
	if _, err := DigitStrings(filepath.Join(dir, "absent"), DefaultRealConfig()); !errors.Is(err, ErrNoRecordings) {
		t.Errorf("absent folder: %v, want ErrNoRecordings", err)
	}
}

// TestRealCorpusSplits builds a corpus of digit strings whose gaps (200 ms)
// are longer than the label bridge: the gaps are labelled silence, each
// string is one utterance, and a detector whose MinSilence is shorter than
// the gaps splits every string into one turn per digit, which Evaluate
// reports as splits.
func TestRealCorpusSplits(t *testing.T) {
	c := toneStrings(t, 2, 4)
	if len(c.Utts) != 4 {
		t.Fatalf("%d utterances, want 4", len(c.Utts))
	}
	for i, u := range c.Utts {
		if d := u.End - u.Start; d < 1260*time.Millisecond || d > 1340*time.Millisecond {
			t.Errorf("utterance %d labelled %v long, want ≈ 1.3 s", i, d)
		}
		var silent int
		for f := int(u.Start / FrameTime); f < int(u.End/FrameTime); f++ {
			if !c.Labels[f] {
				silent++
			}
		}
		if silent < 16 || silent > 22 {
			t.Errorf("utterance %d: %d unlabelled frames inside, want the two 200 ms gaps (≈ 20)", i, silent)
		}
	}
	// The energy baseline on clean tones (StartThreshold 0.5, as in
	// TestSmokeF1: its score rarely reaches the default 0.998).
	energy := Contenders()[1].New
	short, err := Evaluate(c, c.Mix(White, math.Inf(1)), energy, vad.TurnOptions{MinSilence: 100 * time.Millisecond, StartThreshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	long, err := Evaluate(c, c.Mix(White, math.Inf(1)), energy, vad.TurnOptions{MinSilence: 400 * time.Millisecond, StartThreshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MinSilence 100 ms: %+v; 400 ms: %+v", short, long)
	if short.Missed != 0 || short.SplitUtts != 4 || TurnsPerUtt(short) != 3 || SplitRate(short) != 1 {
		t.Errorf("MinSilence 100 ms: %d missed, %d split, %.2f turns/utt; want 0, 4, 3", short.Missed, short.SplitUtts, TurnsPerUtt(short))
	}
	if long.Missed != 0 || long.SplitUtts != 0 || TurnsPerUtt(long) != 1 {
		t.Errorf("MinSilence 400 ms: %d missed, %d split, %.2f turns/utt; want 0, 0, 1", long.Missed, long.SplitUtts, TurnsPerUtt(long))
	}
}

func TestSentences(t *testing.T) {
	dir := t.TempDir()
	if err := wav.WriteFile(filepath.Join(dir, "a-1.wav"), burst(16000, 500), 16000); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "transcription"), []byte("<s> he was not </s> (a-1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Sentences(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 1 || s[0].Text != "he was not" || s[0].Speaker != "a-1" || len(s[0].PCM) != 8000 {
		t.Errorf("got %d sentences, first %q by %q", len(s), s[0].Text, s[0].Speaker)
	}
	if _, err := Sentences(t.TempDir()); !errors.Is(err, ErrNoRecordings) {
		t.Errorf("empty folder: %v, want ErrNoRecordings", err)
	}
	if _, err := BuildReal(context.Background(), DefaultConfig(), nil); !errors.Is(err, ErrNoRecordings) {
		t.Errorf("no items: %v, want ErrNoRecordings", err)
	}
}

// TestSentencesTestdata reads the pocketsphinx-testdata sentences when
// installed (scripts/deps.sh installs them).
func TestSentencesTestdata(t *testing.T) {
	const dir = "/usr/share/pocketsphinx/test/data/librivox"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("pocketsphinx-testdata not installed")
	}
	s, err := Sentences(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range s {
		if x.Text == "" || len(x.PCM) < Rate {
			t.Errorf("%s: text %q, %d samples", x.Speaker, x.Text, len(x.PCM))
		}
	}
}

// TestRelabel: a recording whose last 200 ms lie 30 dB below the rest is
// speech to the end under the 40 dB rule and ends 200 ms earlier under
// Relabel(-25), on the same audio.
func TestRelabel(t *testing.T) {
	loud := burst(16000, 400)
	x := make([]float64, 0, 9600)
	for _, s := range loud {
		x = append(x, float64(s))
	}
	for _, s := range burst(16000, 200) {
		x = append(x, float64(s)*math.Pow(10, -30.0/20))
	}
	cfg := DefaultConfig()
	cfg.Talkers, cfg.NoiseOnly = 0, 0
	c, err := BuildReal(context.Background(), cfg, []Spoken{{Source: "test", Speaker: "a", PCM: x}})
	if err != nil {
		t.Fatal(err)
	}
	alt, err := c.Relabel(-25)
	if err != nil {
		t.Fatal(err)
	}
	u, v := c.Utts[0], alt.Utts[0]
	if d := u.End - u.Start; d != 600*time.Millisecond {
		t.Errorf("40 dB labels: %v of speech, want 600ms", d)
	}
	if v.Start != u.Start || v.End != u.End-200*time.Millisecond {
		t.Errorf("25 dB labels: %v-%v, want %v-%v", v.Start, v.End, u.Start, u.End-200*time.Millisecond)
	}
	if alt.SpeechPower != c.SpeechPower || &alt.Clean[0] != &c.Clean[0] {
		t.Error("Relabel changed the audio or its level")
	}
	if _, err := (&Corpus{Utts: []Utterance{{}}}).Relabel(-25); err == nil {
		t.Error("Relabel of a corpus without spans: no error")
	}
}

func TestBestF1(t *testing.T) {
	scores := []float64{0.9, 0.8, 0.7, 0.6, 0.2, 0.1}
	labels := []bool{true, true, false, true, false, false}
	// p ≥ 0.6: tp 3, fp 1 → F1 6/7; p ≥ 0.8: tp 2 → 0.8.
	f1, th := bestF1(scores, labels)
	if math.Abs(f1-6.0/7) > 1e-9 || th != 0.6 {
		t.Errorf("best F1 %.3f at %.2f, want 0.857 at 0.60", f1, th)
	}
}
