package pipeline

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/clock"
)

func TestIOCameraWithoutVideo(t *testing.T) {
	if (&IO{}).Camera() != nil {
		t.Fatal("a call without a video func has a camera")
	}
	if (&IO{Video: func() VideoSource { return nil }}).Camera() != nil {
		t.Fatal("no camera yet reads as a camera")
	}
}

func TestIONowUsesTheCallClock(t *testing.T) {
	at := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	if got := (&IO{Clock: clock.NewManual(at)}).Now(); !got.Equal(at) {
		t.Fatalf("Now = %v, want the call clock's %v", got, at)
	}
}

func TestErrorIsAnError(t *testing.T) {
	err := fmt.Errorf("decode: %w", Error{Code: CodeBadMessage, Message: "not JSON"})
	var pe Error
	if !errors.As(err, &pe) || pe.Code != CodeBadMessage {
		t.Fatalf("errors.As(%v) = %+v", err, pe)
	}
}

func TestModeValid(t *testing.T) {
	for m, want := range map[Mode]bool{ModeFullDuplex: true, ModeHalfDuplex: true, "": false, "simplex": false} {
		if m.Valid() != want {
			t.Errorf("%q.Valid() = %v", m, !want)
		}
	}
}

func TestSinkFunc(t *testing.T) {
	var got []Event
	var s Sink = SinkFunc(func(ev Event) { got = append(got, ev) })
	s.Emit(StateChanged{State: StateListening})
	if len(got) != 1 || got[0] != (StateChanged{State: StateListening}) {
		t.Fatalf("sink got %v", got)
	}
}
