package vad

import (
	"encoding/binary"
	"testing"
	"time"
)

// FuzzDetector feeds arbitrary PCM in arbitrary chunk sizes, at arbitrary
// (even backwards) media times, and checks that nothing panics and events
// alternate start/end with sane fields.
func FuzzDetector(f *testing.F) {
	f.Add([]byte{}, uint16(320), int64(0), uint8(0))
	f.Add(make([]byte, 4000), uint16(1), int64(-5), uint8(1))
	loud := make([]byte, 64000)
	for i := range loud {
		loud[i] = byte(i * 37)
	}
	f.Add(loud, uint16(777), int64(1e12), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16, at0 int64, cfg uint8) {
		rates := []int{8000, 16000, 48000}
		fds := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond}
		rate, fd := rates[int(cfg)%3], fds[int(cfg/3)%3]
		c, err := NewClassifier(Options{SampleRate: rate, FrameDuration: fd})
		if err != nil {
			t.Fatal(err)
		}
		d, err := NewDetector(c, TurnOptions{SampleRate: rate, FrameDuration: fd, MaxUtterance: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, len(data)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
		n := int(chunk)%2000 + 1
		at := time.Duration(at0)
		open := false
		for off := 0; off < len(pcm); off += n {
			for _, e := range d.Push(pcm[off:min(off+n, len(pcm))], at) {
				switch e.Type {
				case SpeechStarted:
					if open {
						t.Fatal("two starts without an end")
					}
					open = true
					if pre, _ := d.PreRoll(); len(pre) == 0 {
						t.Fatal("start without pre-roll")
					}
				case SpeechEnded:
					if !open {
						t.Fatal("end without a start")
					}
					open = false
					if e.Duration < 0 {
						t.Fatalf("negative duration %v", e.Duration)
					}
				default:
					t.Fatalf("bad event %v", e.Type)
				}
			}
			at += time.Duration(int(at0%7)) * time.Millisecond // arbitrary, possibly inconsistent clock
		}
		d.Reset()
	})
}
