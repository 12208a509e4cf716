package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/wav"
)

func TestRTScriptHear(t *testing.T) {
	q := rtScript{from: 3, first: rtQuestion}
	for _, n := range []int{3, 4, 9} {
		if got := q.hear(n); got != rtQuestion {
			t.Errorf("question call: commit %d heard %q", n, got)
		}
	}
	b := rtScript{from: 7, first: rtStoryAsk, rest: rtBarge}
	for n, want := range map[int]string{7: rtStoryAsk, 8: rtBarge, 9: rtBarge} {
		if got := b.hear(n); got != want {
			t.Errorf("barge-in call from 7: commit %d heard %q, want %q", n, got, want)
		}
	}
	if got := rtReply(b.hear(7)); got != rtStory {
		t.Errorf("reply to the request = %q", got)
	}
	if got := rtReply(b.hear(8)); got != "" {
		t.Errorf("reply to the barge-in = %q", got)
	}
	if got := rtReply(q.hear(3)); got != rtAnswer {
		t.Errorf("reply to the question = %q", got)
	}
}

func TestReadRaw16(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.raw")
	if err := os.WriteFile(p, []byte{0x01, 0x00, 0xff, 0xff, 0x00, 0x80}, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readRaw16(p)
	if err != nil || !slices.Equal(got, []int16{1, -1, -32768}) {
		t.Fatalf("readRaw16 = %v, %v", got, err)
	}
	for _, b := range [][]byte{{1, 2, 3}, {}} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readRaw16(p); err == nil || !strings.Contains(err.Error(), "not 16-bit PCM") {
			t.Errorf("%d bytes: err %v", len(b), err)
		}
	}
}

func TestToInt16Clips(t *testing.T) {
	if got := toInt16([]float64{40000, -40000, 1.6, -1.6}); !slices.Equal(got, []int16{32767, -32768, 2, -2}) {
		t.Errorf("toInt16 = %v", got)
	}
}

// rtRealCaller takes every sentence as a question, the shortest as the
// request, and leaves out what is missing with a note.
func TestRTRealCaller(t *testing.T) {
	dir := t.TempDir()
	lens := []int{16000, 8000, 24000}
	for i, n := range lens {
		if err := wav.WriteFile(filepath.Join(dir, string(rune('a'+i))+".wav"), make([]int16, n), 16000); err != nil {
			t.Fatal(err)
		}
	}
	raw := filepath.Join(dir, "barge.raw")
	if err := os.WriteFile(raw, make([]byte, 3200), 0o644); err != nil {
		t.Fatal(err)
	}
	c, notes, err := rtRealCaller(dir, raw, 2)
	if err != nil || c == nil || len(notes) != 0 {
		t.Fatalf("rtRealCaller = %v, %v, %v", c, notes, err)
	}
	if len(c.questions) != 3 || len(c.request) != 8000 || len(c.barge) != 1600 || c.barges != 2 || c.rate != 16000 {
		t.Errorf("questions %d, request %d, barge %d samples, %d barge-ins at %d Hz", len(c.questions), len(c.request), len(c.barge), c.barges, c.rate)
	}

	c, notes, err = rtRealCaller(dir, filepath.Join(dir, "none.raw"), 2)
	if err != nil || c == nil || c.barges != 0 || len(notes) != 1 || !strings.Contains(notes[0], "real barge-ins left out") {
		t.Errorf("no barge-in recording: %+v, %v, %v", c, notes, err)
	}
	c, notes, err = rtRealCaller(t.TempDir(), raw, 2)
	if err != nil || c != nil || len(notes) != 1 || !strings.Contains(notes[0], "real recordings left out") {
		t.Errorf("no sentences: %+v, %v, %v", c, notes, err)
	}
	if err := os.WriteFile(raw, []byte{1}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rtRealCaller(dir, raw, 2); err == nil {
		t.Error("a 1-byte barge-in recording gave no error")
	}
}

// A cut turn (its reply interrupted or never heard) stays out of the
// overhead but is counted; a turn without metrics is neither.
func TestRTOverhead(t *testing.T) {
	m := func(lat, ep float64) events.Event {
		return events.Event{Type: events.TypeTurnMetrics, Metrics: &events.TurnMetrics{LatencyMS: lat, EndpointMS: ep}}
	}
	turns := []callbot.Turn{
		{LatencyMS: 0, ServerLatencyMS: 1775, Interrupted: true},
		{LatencyMS: 304, ServerLatencyMS: 564},
		{LatencyMS: 0, ServerLatencyMS: 1746},
		{LatencyMS: 444, ServerLatencyMS: 425},
		{LatencyMS: 900, ServerLatencyMS: 1500, Interrupted: true},
		{Interrupted: true},
	}
	evs := []events.Event{m(1775, 120), m(564, 260), {Type: events.TypeReplyDone}, m(1746, 120),
		{Type: events.TypeTurnMetrics}, m(425, 120), m(1500, 120)}
	over, n, cut := rtOverhead(turns, evs, 300)
	if n != 5 || cut != 3 || !slices.Equal(over, []float64{4, 5}) {
		t.Errorf("rtOverhead = %v, n %d, cut %d; want [4 5], 5, 3", over, n, cut)
	}
}
