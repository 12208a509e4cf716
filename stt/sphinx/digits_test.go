package sphinx

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/internal/testtier"
	"github.com/duplex-ai/duplex/stt"
)

// festivalWAV renders text with festival's HTS voice and returns the file,
// skipping (failing in CI) when festival is missing.
func festivalWAV(t *testing.T, text string) string {
	t.Helper()
	if _, err := exec.LookPath("text2wave"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("festival is missing: run scripts/deps.sh")
		}
		t.Skip("festival is missing")
	}
	wav := filepath.Join(t.TempDir(), "f.wav")
	c := exec.Command("text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", wav)
	c.Stdin = strings.NewReader(text)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("text2wave: %v %s", err, out)
	}
	return wav
}

func finish(t *testing.T, e *Engine, pcm []int16) stt.Result {
	t.Helper()
	s, err := e.NewStream(t.Context(), stt.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeAll(t, s, pcm)
	r, err := s.Finish(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A digit string comes back as numerals at 16 kHz and over a phone-line
// band (8 kHz, resampled: the digit pass refills the upper band), and
// arithmetic by spoken numbers is still a sum, not digits.
func TestDigitStringsFestival(t *testing.T) {
	requireTools(t, false)
	testtier.Slow(t, "festival and pocketsphinx decodes")
	e := newTestEngine(t, Options{PoolSize: 1})
	cases := []struct{ text, want string }{
		{"three seven one nine", "3719"},
		{"five five five zero one two three", "5550123"},
		{"what is twelve times seven", "what is twelve times seven"},
	}
	for _, c := range cases {
		wav := festivalWAV(t, c.text)
		wide := soxPCM(t, wav)
		phone := soxPCM(t, "-t", "wav", "|sox "+wav+" -r 8000 -t wav -")
		if bandLimited(wide) {
			t.Errorf("%q at 16 kHz taken as band-limited", c.text)
		}
		if !bandLimited(phone) {
			t.Errorf("%q through 8 kHz not taken as band-limited", c.text)
		}
		for name, pcm := range map[string][]int16{"16 kHz": wide, "8 kHz": phone} {
			r := finish(t, e, pcm)
			if r.NotUnderstood || r.Text != c.want {
				t.Errorf("festival %q at %s → %q understood=%v, want %q", c.text, name, r.Text, !r.NotUnderstood, c.want)
			}
		}
	}
}

func TestSqueezeQuiet(t *testing.T) {
	loud := func(n int) []int16 {
		p := make([]int16, n)
		for i := range p {
			p[i] = int16(3000 * (i%8 - 4))
		}
		return p
	}
	var pcm []int16
	pcm = append(pcm, make([]int16, 8000)...) // 500 ms quiet
	pcm = append(pcm, loud(3200)...)
	pcm = append(pcm, make([]int16, 1600)...) // 100 ms: kept whole
	pcm = append(pcm, loud(3200)...)
	pcm = append(pcm, make([]int16, 6400)...) // 400 ms
	got := squeezeQuiet(pcm, digitKeepQuiet)
	if want := digitKeepQuiet + 3200 + 1600 + 3200 + digitKeepQuiet; len(got) != want {
		t.Fatalf("squeezed to %d samples, want %d", len(got), want)
	}
	if frameRMS(got[digitKeepQuiet:digitKeepQuiet+frameSamples]) < quietRMS {
		t.Error("speech does not start after the kept quiet")
	}
}

func TestWantsDigitPass(t *testing.T) {
	for _, c := range []struct {
		grammar, lm string
		want        bool
	}{
		{"three seven one", "", true},
		{"what is nine minus four", "", false},
		{"", "to eight three", true}, // "to": not a digit; 2 of 3 are
		{"", "he was eight", false},
		{"", "nine", false},
		{"hello", "hello", false},
	} {
		if got := wantsDigitPass(strings.Fields(c.grammar), strings.Fields(c.lm)); got != c.want {
			t.Errorf("wantsDigitPass(%q, %q) = %v", c.grammar, c.lm, got)
		}
	}
}

// The digit pass itself: a real digit string (pocketsphinx-testdata's
// tidigits recording, "2 9 3 4 0") stands, real speech that is not digits
// does not (the digit loop forces it into digits far below the phone loop).
func TestDigitPassReal(t *testing.T) {
	requireTools(t, false)
	testtier.Slow(t, "pocketsphinx decodes of real recordings")
	recs := realRecordings(t)
	e := newTestEngine(t, Options{PoolSize: 1})
	for _, c := range []struct {
		file, want string
	}{
		{"tidigits/dhd.2934z.raw", "29340"},
		{"goforward.raw", ""},
		{"something.raw", ""},
		{"librivox/sense_and_sensibility_01_austen_64kb-0930.wav", ""},
	} {
		pcm, ok := recs[c.file]
		if !ok {
			pcm = recs[testdataDir+"/"+c.file]
		}
		ds, err := e.Digits(t.Context(), pcm)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if ds.Accept {
			got = ds.Digits
		}
		if got != c.want || ds.BandLimited {
			t.Errorf("%s → %q (margin %.1f, accept %v, band-limited %v), want %q", c.file, ds.Digits, ds.Margin, ds.Accept, ds.BandLimited, c.want)
		}
	}
}
