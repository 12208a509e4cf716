package media

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hraban/opus"
	pionopus "github.com/pion/opus"
)

// speechSignal returns ~2 s of espeak-ng speech at 48 kHz mono, or skips.
func speechSignal(t testing.TB) []int16 {
	t.Helper()
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Skip("espeak-ng not installed: no speech signal for the evaluation")
	}
	wav := filepath.Join(t.TempDir(), "speech.wav")
	cmd := exec.Command(bin, "-v", "en-us", "-w", wav, "What time is it now? Please tell me the weather for tomorrow morning.")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("espeak-ng failed: %v: %s", err, out)
	}
	pcm, rate, err := readWAV(wav)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Resample(pcm, rate, 48000)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readWAV reads a 16-bit mono PCM WAV file (as espeak-ng writes it).
func readWAV(path string) ([]int16, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAV file")
	}
	rate := 0
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8:]
		if size > len(body) || size < 0 {
			size = len(body) // espeak-ng writing to a file leaves sizes exact; be lenient
		}
		switch id {
		case "fmt ":
			if size < 16 || binary.LittleEndian.Uint16(body[0:]) != 1 || binary.LittleEndian.Uint16(body[2:]) != 1 || binary.LittleEndian.Uint16(body[14:]) != 16 {
				return nil, 0, errors.New("want 16-bit mono PCM")
			}
			rate = int(binary.LittleEndian.Uint32(body[4:]))
		case "data":
			if rate == 0 {
				return nil, 0, errors.New("data before fmt")
			}
			pcm := make([]int16, size/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return pcm, rate, nil
		}
		off += 8 + size + size&1
	}
	return nil, 0, errors.New("no data chunk")
}

func opusMode(toc byte) string {
	switch c := toc >> 3; {
	case c < 12:
		return "SILK"
	case c < 16:
		return "hybrid"
	default:
		return "CELT"
	}
}

// TestPionOpusVersusLibopus encodes speech with libopus in SILK, hybrid and
// CELT modes and compares github.com/pion/opus's decode with libopus's.
func TestPionOpusVersusLibopus(t *testing.T) {
	speech := speechSignal(t)
	modes := []struct {
		name    string
		app     opus.Application
		bitrate int
		maxBW   opus.Bandwidth
		want    string
	}{
		{"voip-16k-wideband", opus.AppVoIP, 16000, opus.Wideband, "SILK"},
		{"voip-24k-fullband", opus.AppVoIP, 24000, opus.Fullband, "hybrid"},
		{"lowdelay-64k", opus.AppRestrictedLowdelay, 64000, opus.Fullband, "CELT"},
		{"audio-64k", opus.AppAudio, 64000, opus.Fullband, "CELT"},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			enc, err := opus.NewEncoder(48000, 1, m.app)
			if err != nil {
				t.Fatal(err)
			}
			if err := enc.SetBitrate(m.bitrate); err != nil {
				t.Fatal(err)
			}
			if err := enc.SetMaxBandwidth(m.maxBW); err != nil {
				t.Fatal(err)
			}
			var pkts [][]byte
			counts := map[string]int{}
			buf := make([]byte, maxOpusPacket)
			for i := 0; i+960 <= len(speech); i += 960 {
				n, err := enc.Encode(speech[i:i+960], buf)
				if err != nil {
					t.Fatal(err)
				}
				pkts = append(pkts, append([]byte(nil), buf[:n]...))
				counts[opusMode(buf[0])]++
			}
			if counts[m.want] == 0 {
				t.Errorf("no %s packets (modes %v)", m.want, counts)
			}
			for _, rate := range []int{48000, 16000} {
				lib, err := NewOpusDecoder(rate, 1)
				if err != nil {
					t.Fatal(err)
				}
				pion, err := pionopus.NewDecoderWithOutput(rate, 1)
				if err != nil {
					t.Fatal(err)
				}
				var ref, got []int16
				out := make([]int16, maxOpusDuration)
				failed := 0
				for _, p := range pkts {
					r, err := lib.Decode(p)
					if err != nil {
						t.Fatal(err)
					}
					ref = append(ref, r...)
					n, err := pion.DecodeToInt16(p, out)
					if err != nil {
						failed++
						if failed == 1 {
							t.Errorf("pion/opus %d Hz: %v", rate, err)
						}
						n = len(r)
						clear(out[:n])
					}
					got = append(got, out[:n]...)
				}
				if len(got) != len(ref) {
					t.Errorf("%d Hz: pion decoded %d samples, libopus %d", rate, len(got), len(ref))
				}
				lag := bestLag(ref, got, 64)
				t.Logf("%s → %d Hz: packets %v, %d bytes avg, pion/opus vs libopus SNR %.1f dB (lag %d), %d decode errors",
					m.name, rate, counts, avgLen(pkts), snrDB(ref, got[lag:]), lag, failed)
			}
		})
	}
}

func avgLen(pkts [][]byte) int {
	n := 0
	for _, p := range pkts {
		n += len(p)
	}
	return n / max(len(pkts), 1)
}
