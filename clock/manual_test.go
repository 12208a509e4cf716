package clock

import (
	"context"
	"testing"
	"time"
)

var start = time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)

func TestManualTimerFiresOnlyWhenDue(t *testing.T) {
	m := NewManual(start)
	tm := m.NewTimer(time.Second)
	m.Advance(999 * time.Millisecond)
	select {
	case <-tm.C():
		t.Fatal("timer fired early")
	default:
	}
	m.Advance(time.Millisecond)
	select {
	case at := <-tm.C():
		if !at.Equal(start.Add(time.Second)) {
			t.Fatalf("fired at %v, want %v", at, start.Add(time.Second))
		}
	default:
		t.Fatal("timer did not fire when due")
	}
	if tm.Stop() {
		t.Fatal("Stop of a fired timer reported active")
	}
}

func TestManualStoppedTimerNeverFires(t *testing.T) {
	m := NewManual(start)
	tm := m.NewTimer(time.Second)
	if !tm.Stop() {
		t.Fatal("Stop of an active timer reported inactive")
	}
	m.Advance(time.Hour)
	select {
	case <-tm.C():
		t.Fatal("stopped timer fired")
	default:
	}
	if m.Waiters() != 0 {
		t.Fatalf("Waiters = %d after stop", m.Waiters())
	}
}

func TestManualTickerDropsTicksForASlowReader(t *testing.T) {
	m := NewManual(start)
	tk := m.NewTicker(10 * time.Millisecond)
	defer tk.Stop()
	m.Advance(35 * time.Millisecond) // three ticks due, one buffered
	at := <-tk.C()
	if want := start.Add(10 * time.Millisecond); !at.Equal(want) {
		t.Fatalf("first tick at %v, want %v", at, want)
	}
	select {
	case <-tk.C():
		t.Fatal("ticks queued up behind a slow reader")
	default:
	}
	m.Advance(5 * time.Millisecond)
	if at := <-tk.C(); !at.Equal(start.Add(40 * time.Millisecond)) {
		t.Fatalf("tick at %v, want +40ms", at)
	}
	if got := m.Now(); !got.Equal(start.Add(40 * time.Millisecond)) {
		t.Fatalf("Now = %v", got)
	}
}

func TestManualAfterFunc(t *testing.T) {
	m := NewManual(start)
	ran := make(chan struct{})
	m.AfterFunc(time.Second, func() { close(ran) })
	stopped := m.AfterFunc(time.Second, func() { t.Error("stopped AfterFunc ran") })
	stopped.Stop()
	m.Advance(time.Second)
	<-ran
}

func TestManualWaitFor(t *testing.T) {
	m := NewManual(start)
	armed := make(chan Timer)
	go func() { armed <- m.NewTimer(time.Second) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.WaitFor(ctx, 1); err != nil {
		t.Fatal(err)
	}
	tm := <-armed
	m.Advance(time.Second)
	<-tm.C()
	short, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := m.WaitFor(short, 5); err == nil {
		t.Fatal("WaitFor returned nil with too few waiters and a done context")
	}
}

func TestRealClock(t *testing.T) {
	c := Real()
	if c.Now().IsZero() {
		t.Fatal("zero time")
	}
	tk := c.NewTicker(time.Millisecond)
	defer tk.Stop()
	if (<-tk.C()).IsZero() {
		t.Fatal("zero tick")
	}
	if _, ok := tk.(ResettableTicker); !ok {
		t.Fatal("the real ticker is not resettable")
	}
}
