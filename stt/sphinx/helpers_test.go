package sphinx

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"testing"

	"github.com/duplex-ai/duplex/stt"
)

// requireTools fails in CI (CI=true) and skips elsewhere when pocketsphinx's
// model or the espeak-ng and sox commands are missing.
func requireTools(t *testing.T, needSpeech bool) {
	t.Helper()
	missing := ""
	for _, p := range []string{DefaultHMM, DefaultLM, DefaultDict} {
		if _, err := os.Stat(p); err != nil {
			missing = "pocketsphinx-en-us model (" + p + ")"
		}
	}
	if needSpeech && missing == "" {
		for _, c := range []string{"espeak-ng", "sox"} {
			if _, err := exec.LookPath(c); err != nil {
				missing = c
			}
		}
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing: run scripts/deps.sh", missing)
	}
	t.Skipf("%s is missing", missing)
}

// speak renders text with espeak-ng at 16 kHz and pads 300 ms of silence
// each side.
func speak(t *testing.T, voice, text string) []int16 {
	t.Helper()
	out, err := exec.Command("sh", "-c",
		`espeak-ng -v "$1" --stdout "$2" | sox -R -t wav - -r 16000 -c 1 -b 16 -e signed-integer -t raw -`,
		"sh", voice, text).Output()
	if err != nil || len(out) < 3200 {
		t.Fatalf("espeak-ng/sox %q: %v", text, err)
	}
	pcm := make([]int16, len(out)/2)
	if err := binary.Read(bytes.NewReader(out[:len(pcm)*2]), binary.LittleEndian, pcm); err != nil {
		t.Fatal(err)
	}
	pad := make([]int16, stt.SampleRate*3/10)
	return append(append(append([]int16(nil), pad...), pcm...), pad...)
}

func newTestEngine(t *testing.T, opt Options) *Engine {
	t.Helper()
	e, err := NewEngine(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// writeAll streams pcm in 20 ms writes.
func writeAll(t *testing.T, s stt.Stream, pcm []int16) {
	t.Helper()
	for off := 0; off < len(pcm); off += frameSamples {
		if err := s.Write(pcm[off:min(off+frameSamples, len(pcm))]); err != nil {
			t.Fatal(err)
		}
	}
}

// newTestDecoder is a decoder with o, freed when the test ends.
func newTestDecoder(t *testing.T, o Options) *decoder {
	t.Helper()
	d, err := newDecoder(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.free)
	return d
}

// telephone takes pcm through 8 kHz and back (sox), as a phone line would.
func telephone(t *testing.T, pcm []int16) []int16 {
	t.Helper()
	var in bytes.Buffer
	if err := binary.Write(&in, binary.LittleEndian, pcm); err != nil {
		t.Fatal(err)
	}
	c := exec.Command("sox", "-R", "-t", "raw", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", "-",
		"-t", "raw", "-", "rate", "8k", "rate", "16k")
	c.Stdin = &in
	out, err := c.Output()
	if err != nil {
		t.Fatalf("sox 8 kHz: %v", err)
	}
	res := make([]int16, len(out)/2)
	if err := binary.Read(bytes.NewReader(out[:len(res)*2]), binary.LittleEndian, res); err != nil {
		t.Fatal(err)
	}
	return res
}
