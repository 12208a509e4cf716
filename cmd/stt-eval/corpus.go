package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/duplex-ai/duplex/stt"
)

// offPhrases are requests outside the skills, spoken by the synthetic
// voices of the calibration split (cmd/stt-eval never calibrates on real
// recordings).
var offPhrases = []string{
	"the weather is nice in paris", "can you book a flight to london", "play some music",
	"hey can you hear me", "i would like to order a pizza", "turn off the lights in the kitchen",
	"my brother lives in a small town near the sea", "remind me to call my mother tomorrow",
	"the train was late again this morning", "how far is the moon from the earth",
	"she sells sea shells by the sea shore", "go forward ten meters",
}

// festival renders text with festival's HTS voice (trained on a real
// speaker), 16 kHz, padded with 300 ms of silence each side.
func festival(text string) ([]int16, error) {
	f, err := os.CreateTemp("", "stt-eval-*.wav")
	if err != nil {
		return nil, err
	}
	f.Close()
	defer os.Remove(f.Name())
	c := exec.Command("text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", f.Name())
	c.Stdin = strings.NewReader(text)
	if out, err := c.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("text2wave %q: %v %s (install festival festvox-us-slt-hts)", text, err, out)
	}
	pcm, err := soxPCM(f.Name())
	if err != nil {
		return nil, err
	}
	return pad(pcm), nil
}

// soxPCM reads any audio sox reads as 16 kHz mono s16 (dither seeded).
func soxPCM(in ...string) ([]int16, error) {
	return soxRaw(nil, append(append([]string{"-R"}, in...), "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", "-")...)
}

// soxRaw runs sox with args, stdin on its standard input, and reads its
// standard output as s16 samples.
func soxRaw(stdin []byte, args ...string) ([]int16, error) {
	var stderr bytes.Buffer
	c := exec.Command("sox", args...)
	c.Stdin = bytes.NewReader(stdin)
	c.Stderr = &stderr
	raw, err := c.Output()
	if err != nil {
		return nil, fmt.Errorf("sox %v: %v %s", args, err, stderr.String())
	}
	pcm := make([]int16, len(raw)/2)
	if err := binary.Read(bytes.NewReader(raw[:len(pcm)*2]), binary.LittleEndian, pcm); err != nil {
		return nil, err
	}
	return pcm, nil
}

// pad adds 300 ms of silence each side, as the turn detector's pre-roll
// and end-of-turn hangover leave an utterance.
func pad(pcm []int16) []int16 {
	z := make([]int16, stt.SampleRate*3/10)
	return append(append(append([]int16(nil), z...), pcm...), z...)
}

// recording is one real utterance and what was said.
type recording struct {
	name, ref string
	pcm       []int16
}

// testdataRecordings loads Debian pocketsphinx-testdata's real speech: the
// librivox sentences, the card names, the command, the digit strings.
func testdataRecordings(dir string) ([]recording, error) {
	var out []recording
	add := func(name, ref string, in ...string) error {
		pcm, err := soxPCM(in...)
		if err != nil {
			return err
		}
		out = append(out, recording{name, ref, pad(pcm)})
		return nil
	}
	for _, set := range []struct{ dir, trans string }{{"librivox", "transcription"}, {"cards", "cards.transcription"}} {
		refs, err := transcripts(filepath.Join(dir, set.dir, set.trans))
		if err != nil {
			return nil, err
		}
		wavs, _ := filepath.Glob(filepath.Join(dir, set.dir, "*.wav"))
		for _, w := range wavs {
			id := strings.TrimSuffix(filepath.Base(w), ".wav")
			if err := add(set.dir+"/"+id, refs[id], w); err != nil {
				return nil, err
			}
		}
	}
	raw := []string{"-t", "raw", "-r", "16000", "-e", "signed-integer", "-b", "16", "-c", "1"}
	for _, r := range []struct{ file, ref string }{
		{"goforward.raw", "go forward ten meters"},
		{"numbers.raw", ""}, // a read list of numbers; no transcript ships with it
		{"something.raw", "go somewhere and do something"},
		{"tidigits/dhd.2934z.raw", "2 9 3 4 0"},
	} {
		if err := add(r.file, r.ref, append(raw, filepath.Join(dir, r.file))...); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no recordings under %s (install pocketsphinx-testdata)", dir)
	}
	return out, nil
}

// transcripts reads "<s> words </s> (id)" lines.
func transcripts(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		i, j := strings.LastIndexByte(l, '('), strings.LastIndexByte(l, ')')
		if i < 0 || j < i {
			continue
		}
		words := strings.Fields(strings.NewReplacer("<s>", " ", "</s>", " ").Replace(l[:i]))
		m[l[i+1:j]] = strings.Join(words, " ")
	}
	return m, nil
}

// fsddStrings builds n digit strings of 3-6 digits from the Free Spoken
// Digit Dataset (8 kHz, resampled): one speaker per string, 100-400 ms of
// silence between digits, seeded. ref is the digits, space-separated.
func fsddStrings(dir string, speakers []string, n int, seed uint64) ([]recording, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.wav"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no FSDD recordings under %s (-fsdd)", dir)
	}
	sort.Strings(files)
	by := map[string]map[byte][]string{} // speaker → digit → files
	for _, f := range files {
		parts := strings.Split(strings.TrimSuffix(filepath.Base(f), ".wav"), "_")
		if len(parts) != 3 || len(parts[0]) != 1 {
			continue
		}
		if by[parts[1]] == nil {
			by[parts[1]] = map[byte][]string{}
		}
		by[parts[1]][parts[0][0]] = append(by[parts[1]][parts[0][0]], f)
	}
	r := rand.New(rand.NewPCG(seed, 0xf5dd))
	var out []recording
	for i := 0; i < n; i++ {
		spk := speakers[i%len(speakers)]
		if len(by[spk]) < 10 {
			return nil, fmt.Errorf("FSDD speaker %s not found under %s", spk, dir)
		}
		var pcm []int16
		var ref []string
		for k, nd := 0, 3+r.IntN(4); k < nd; k++ {
			d := byte('0' + r.IntN(10))
			fs := by[spk][d]
			p, err := soxPCM(fs[r.IntN(len(fs))])
			if err != nil {
				return nil, err
			}
			if k > 0 {
				pcm = append(pcm, make([]int16, stt.SampleRate*(100+r.IntN(301))/1000)...)
			}
			pcm = append(pcm, p...)
			ref = append(ref, string(d))
		}
		out = append(out, recording{fmt.Sprintf("fsdd/%s/%d", spk, i), strings.Join(ref, " "), pad(pcm)})
	}
	return out, nil
}

// fsddSingles picks n single-digit FSDD recordings of speakers (seeded,
// the digits in turn), 8→16 kHz and padded: real short utterances that
// are no skill request.
func fsddSingles(dir string, speakers []string, n int, seed uint64) ([]recording, error) {
	var out []recording
	r := rand.New(rand.NewPCG(seed, 0x51d))
	for i := 0; i < n; i++ {
		spk, d := speakers[i%len(speakers)], i%10
		fs, err := filepath.Glob(filepath.Join(dir, fmt.Sprintf("%d_%s_*.wav", d, spk)))
		if err != nil || len(fs) == 0 {
			return nil, fmt.Errorf("FSDD speaker %s, digit %d: no recordings under %s", spk, d, dir)
		}
		sort.Strings(fs)
		f := fs[r.IntN(len(fs))]
		p, err := soxPCM(f)
		if err != nil {
			return nil, err
		}
		out = append(out, recording{"fsdd1/" + filepath.Base(f), fmt.Sprint(d), pad(p)})
	}
	return out, nil
}

// telephone takes 16 kHz pcm through 8 kHz and back (sox), as a telephone
// leg would band-limit it.
func telephone(pcm []int16) ([]int16, error) {
	var in bytes.Buffer
	if err := binary.Write(&in, binary.LittleEndian, pcm); err != nil {
		return nil, err
	}
	return soxRaw(in.Bytes(), "-R", "-t", "raw", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", "-",
		"-t", "raw", "-", "rate", "8k", "rate", "16k")
}
