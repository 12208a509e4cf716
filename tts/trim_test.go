package tts

import (
	"errors"
	"io"
	"reflect"
	"testing"
	"time"
)

type chunkStream struct{ chunks []Chunk }

func (s *chunkStream) Next() (Chunk, error) {
	if len(s.chunks) == 0 {
		return Chunk{}, io.EOF
	}
	c := s.chunks[0]
	s.chunks = s.chunks[1:]
	return c, nil
}

func (s *chunkStream) Close() error { return nil }

func level(n int, v int16) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = v
	}
	return pcm
}

func readAll(t *testing.T, s Stream) (pcm []int16, marks []Mark) {
	t.Helper()
	for {
		c, err := s.Next()
		if errors.Is(err, io.EOF) {
			return pcm, marks
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(c.PCM) == 0 {
			t.Fatal("an empty chunk")
		}
		pcm = append(pcm, c.PCM...)
		marks = append(marks, c.Marks...)
	}
}

// TestTrimLead: the quiet start goes, across chunks (a chunk quiet
// throughout is skipped, its marks kept); the first voiced sample and
// everything after it stay, quiet or not; marks move with the audio.
func TestTrimLead(t *testing.T) {
	const rate = 1000 // 1 ms a sample
	src := &chunkStream{chunks: []Chunk{
		{PCM: level(30, 40), SampleRate: rate, Marks: []Mark{{TextOffset: 0, Sample: 0}}},
		{PCM: append(level(20, -99), level(10, 3000)...), SampleRate: rate},
		{PCM: append(level(5, 0), level(5, 2000)...), SampleRate: rate, Marks: []Mark{{TextOffset: 3, Sample: 62}}},
	}}
	pcm, marks := readAll(t, TrimLead(src, 250*time.Millisecond))
	want := append(append(level(10, 3000), level(5, 0)...), level(5, 2000)...)
	if !reflect.DeepEqual(pcm, want) {
		t.Fatalf("pcm %v, want %v", pcm, want)
	}
	if wantM := []Mark{{TextOffset: 0, Sample: 0}, {TextOffset: 3, Sample: 12}}; !reflect.DeepEqual(marks, wantM) {
		t.Fatalf("marks %+v, want %+v", marks, wantM)
	}
}

// TestTrimLeadCap: at most maxLead goes, however long the quiet; a quiet
// stream ends without audio.
func TestTrimLeadCap(t *testing.T) {
	src := &chunkStream{chunks: []Chunk{{PCM: append(level(400, 1), level(10, 500)...), SampleRate: 1000}}}
	pcm, _ := readAll(t, TrimLead(src, 250*time.Millisecond))
	if len(pcm) != 160 || pcm[0] != 1 || pcm[150] != 500 {
		t.Fatalf("%d samples left (first %d), want the last 150 ms of quiet and the voice", len(pcm), pcm[0])
	}
	if pcm, _ := readAll(t, TrimLead(&chunkStream{chunks: []Chunk{{PCM: level(100, 0), SampleRate: 1000}}}, time.Second)); len(pcm) != 0 {
		t.Fatalf("a quiet stream gave %d samples", len(pcm))
	}
}
