package espeak

import (
	"math"
	"slices"
	"testing"

	"github.com/duplex-ai/duplex/tts"
)

// TestLeadingQuietDropped: a synthesis's audio starts at its first audible
// sample; the marks of dropped chunks move to the first audio and every
// mark's sample is shifted by what was dropped.
func TestLeadingQuietDropped(t *testing.T) {
	s := newStream(t.Context())
	s.push(tts.Chunk{PCM: make([]int16, 300), SampleRate: SampleRate, Marks: []tts.Mark{{TextOffset: 0, Sample: 0}}})
	s.push(tts.Chunk{PCM: []int16{5, -99, 99, 0, 400, 0, -7}, SampleRate: SampleRate, Marks: []tts.Mark{{TextOffset: 6, Sample: 304}}})
	s.push(tts.Chunk{PCM: []int16{1, 2, 3}, SampleRate: SampleRate, Marks: []tts.Mark{{TextOffset: 9, Sample: 308}}})
	s.finish(nil)
	pcm, chunks := collect(t, s)
	if want := []int16{400, 0, -7, 1, 2, 3}; !slices.Equal(pcm, want) {
		t.Fatalf("audio %v, want %v", pcm, want)
	}
	var marks []tts.Mark
	for _, c := range chunks {
		marks = append(marks, c.Marks...)
	}
	if want := []tts.Mark{{TextOffset: 0, Sample: 0}, {TextOffset: 6, Sample: 0}, {TextOffset: 9, Sample: 4}}; !slices.Equal(marks, want) {
		t.Fatalf("marks %v, want %v", marks, want)
	}
	if len(chunks) != 2 || len(chunks[0].Marks) != 2 {
		t.Fatalf("chunks %+v: want the quiet chunk's mark with the first audio", chunks)
	}
}

// TestLeadingQuietCapped: at most maxLeadTrim samples are dropped, however
// long the quiet start; audible audio is never touched.
func TestLeadingQuietCapped(t *testing.T) {
	s := newStream(t.Context())
	s.push(tts.Chunk{PCM: make([]int16, maxLeadTrim+50), SampleRate: SampleRate})
	s.push(tts.Chunk{PCM: []int16{1000, 0}, SampleRate: SampleRate})
	s.finish(nil)
	if pcm, _ := collect(t, s); len(pcm) != 52 {
		t.Fatalf("%d samples left, want the 50 quiet ones past the cap and 2", len(pcm))
	}
	s = newStream(t.Context())
	s.push(tts.Chunk{PCM: []int16{-100, 0, 0}, SampleRate: SampleRate})
	s.finish(nil)
	if pcm, _ := collect(t, s); !slices.Equal(pcm, []int16{-100, 0, 0}) {
		t.Fatalf("audio %v: an audible first sample was dropped", pcm)
	}
}

// TestRealLeadingQuiet: espeak-ng starts "Twelve times seven is 84." with
// about 50 ms of silence (the t's closure); the stream's first 20 ms are
// audible, in both modes, and the word marks still fall inside the audio.
func TestRealLeadingQuiet(t *testing.T) {
	for _, mode := range []Mode{ModeLibrary, ModeProcess} {
		e := newTestEngine(t, Options{Mode: mode})
		s, err := e.Synthesize(t.Context(), "Twelve times seven is 84.", tts.Options{})
		if err != nil {
			t.Fatal(err)
		}
		pcm, chunks := collect(t, s)
		if len(pcm) < SampleRate/2 {
			t.Fatalf("%v: %d samples", mode, len(pcm))
		}
		if db := dbfsOf(pcm[:SampleRate/50]); db < -40 {
			t.Errorf("%v: first 20 ms at %.1f dBFS: the leading quiet is still there", mode, db)
		}
		for _, c := range chunks {
			for _, m := range c.Marks {
				if m.Sample < 0 || m.Sample > len(pcm) {
					t.Errorf("%v: mark %+v outside the %d samples", mode, m, len(pcm))
				}
			}
		}
	}
}

func dbfsOf(pcm []int16) float64 { return 20 * math.Log10(max(rms(pcm), 1e-3)/32768) }
