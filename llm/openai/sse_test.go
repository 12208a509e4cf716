package openai

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func readAllEvents(r io.Reader) ([]sseEvent, error) {
	sr := newSSEReader(r)
	var evs []sseEvent
	for {
		ev, err := sr.next()
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				evs = append(evs, sseEvent{Event: "<partial>", Data: ev.Data})
				return evs, nil
			}
			if errors.Is(err, io.EOF) {
				return evs, nil
			}
			return evs, err
		}
		evs = append(evs, ev)
	}
}

func TestSSEReader(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []sseEvent
	}{
		{"basic", "data: a\n\ndata: b\n\n", []sseEvent{{Data: "a"}, {Data: "b"}}},
		{"no space", "data:a\n\n", []sseEvent{{Data: "a"}}},
		{"two spaces keep one", "data:  a\n\n", []sseEvent{{Data: " a"}}},
		{"multi-line", "data: a\ndata: b\n\n", []sseEvent{{Data: "a\nb"}}},
		{"comments", ": keep-alive\n\n:x\ndata: a\n: mid\n\n", []sseEvent{{Data: "a"}}},
		{"event field", "event: error\ndata: e\n\ndata: m\n\n", []sseEvent{{Event: "error", Data: "e"}, {Data: "m"}}},
		{"CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", []sseEvent{{Data: "a"}, {Data: "b"}}},
		{"CR", "data: a\r\rdata: b\r\r", []sseEvent{{Data: "a"}, {Data: "b"}}},
		{"no data no event", "event: ping\n\nid: 3\n\n", nil},
		{"empty data dispatches", "data\n\n", []sseEvent{{Data: ""}}},
		{"partial at EOF", "data: a\n\ndata: b", []sseEvent{{Data: "a"}, {Event: "<partial>", Data: "b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in)), iotest.HalfReader(strings.NewReader(tc.in))} {
				got, err := readAllEvents(r)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Fatalf("event %d: got %+v, want %+v", i, got[i], tc.want[i])
					}
				}
			}
		})
	}
}

func TestSSELineTooLong(t *testing.T) {
	in := "data: " + strings.Repeat("x", maxSSELine+10) + "\n\n"
	if _, err := readAllEvents(strings.NewReader(in)); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("err %v, want ErrBadResponse", err)
	}
}

// FuzzSSE: the parse never panics and does not depend on how the bytes
// are split across reads.
func FuzzSSE(f *testing.F) {
	for _, s := range []string{
		"data: a\n\n", "data: a\r\ndata: b\r\n\r\n", ": c\n\ndata\n\n", "event: e\ndata: x\r\r", "data: [DONE]",
		"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		whole, err1 := readAllEvents(strings.NewReader(in))
		split, err2 := readAllEvents(iotest.OneByteReader(strings.NewReader(in)))
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("errors differ: %v vs %v", err1, err2)
		}
		if len(whole) != len(split) {
			t.Fatalf("%d vs %d events", len(whole), len(split))
		}
		for i := range whole {
			if whole[i] != split[i] {
				t.Fatalf("event %d differs: %+v vs %+v", i, whole[i], split[i])
			}
		}
	})
}
