package sphinx

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/stt"
)

// TestdataDir holds Debian pocketsphinx-testdata's real recordings.
const testdataDir = "/usr/share/pocketsphinx/test/data"

// realRecordings returns every real recording of pocketsphinx-testdata
// (none asks for a skill), 16 kHz mono, padded with 300 ms of silence.
func realRecordings(t *testing.T) map[string][]int16 {
	t.Helper()
	if _, err := os.Stat(testdataDir + "/librivox"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pocketsphinx-testdata is missing: run scripts/deps.sh")
		}
		t.Skip("pocketsphinx-testdata is missing")
	}
	out := map[string][]int16{}
	wavs, _ := filepath.Glob(testdataDir + "/librivox/*.wav")
	cards, _ := filepath.Glob(testdataDir + "/cards/*.wav")
	for _, f := range append(wavs, cards...) {
		out[f] = soxPCM(t, f)
	}
	for _, f := range []string{"goforward.raw", "numbers.raw", "something.raw", "tidigits/dhd.2934z.raw"} {
		out[f] = soxPCM(t, "-t", "raw", "-r", "16000", "-e", "signed-integer", "-b", "16", "-c", "1", testdataDir+"/"+f)
	}
	return out
}

func soxPCM(t *testing.T, in ...string) []int16 {
	t.Helper()
	args := append(append([]string{"-R"}, in...), "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", "-")
	raw, err := exec.Command("sox", args...).Output()
	if err != nil {
		t.Fatalf("sox %v: %v", in, err)
	}
	pcm := make([]int16, len(raw)/2)
	if err := binary.Read(bytes.NewReader(raw[:len(pcm)*2]), binary.LittleEndian, pcm); err != nil {
		t.Fatal(err)
	}
	pad := make([]int16, stt.SampleRate*3/10)
	return append(append(append([]int16(nil), pad...), pcm...), pad...)
}

// shortReal: the recordings TestRealSpeechRejected decodes under -short,
// the shortest off-grammar one and a digit string (the lmstream tests
// decode a librivox sentence); the slow tier decodes them all.
var shortReal = []string{"cards/001.wav", "tidigits/dhd.2934z.raw"}

// Real human speech that asks for no skill comes back not understood
// (with what the general model heard), or as a string of digits; never as
// a skill phrase of the grammar.
func TestRealSpeechRejected(t *testing.T) {
	requireTools(t, false)
	recs := realRecordings(t)
	if testing.Short() {
		for name := range recs {
			if !slices.ContainsFunc(shortReal, func(s string) bool { return strings.HasSuffix(name, s) }) {
				delete(recs, name)
			}
		}
		if len(recs) != len(shortReal) {
			t.Fatalf("%d of the recordings %v", len(recs), shortReal)
		}
	}
	e := newTestEngine(t, Options{PoolSize: 1})
	for name, pcm := range recs {
		s, err := e.NewStream(t.Context(), stt.StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		writeAll(t, s, pcm)
		r, err := s.Finish(t.Context())
		_ = s.Close()
		if err != nil {
			t.Fatal(err)
		}
		digits := strings.Trim(r.Text, "0123456789") == "" // numerals only
		if !r.NotUnderstood && !digits {
			t.Errorf("%s → %q (%.2f) taken as a skill phrase", filepath.Base(name), r.Text, r.Confidence)
		}
		t.Logf("%s → %q understood=%v conf %.2f", filepath.Base(name), r.Text, !r.NotUnderstood, r.Confidence)
	}
}

// The same check must not reject skill phrases in a voice other than
// espeak-ng's: festival's HTS voice trained on a real speaker.
func TestFestivalSkillPhrasesAccepted(t *testing.T) {
	requireTools(t, false)
	if _, err := exec.LookPath("text2wave"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("festival is missing: run scripts/deps.sh")
		}
		t.Skip("festival is missing")
	}
	texts := []string{"what time is it", "what is twelve times seven", "tell me a story", "three seven one nine", "yes", "no", "no thanks", "nope", "yes please"}
	if testing.Short() { // a sum and an answer; the slow tier all
		texts = []string{"what is twelve times seven", "no"}
	}
	e := newTestEngine(t, Options{PoolSize: 1})
	for _, text := range texts {
		wav := filepath.Join(t.TempDir(), "f.wav")
		c := exec.Command("text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", wav)
		c.Stdin = strings.NewReader(text)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("text2wave: %v %s", err, out)
		}
		s, err := e.NewStream(t.Context(), stt.StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		writeAll(t, s, soxPCM(t, wav))
		r, err := s.Finish(t.Context())
		_ = s.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := text
		if d, ok := DigitString(strings.Fields(text)); ok {
			want = d
		}
		// An answer to "Shall I …?" need only keep its meaning.
		if text == "no" && r.Text == "nope" {
			want = "nope"
		}
		if r.NotUnderstood || r.Text != want {
			t.Errorf("festival %q → %q understood=%v", text, r.Text, !r.NotUnderstood)
		}
	}
}
