package dialogue

import (
	"sync"
	"testing"
	"time"
)

// countOut is an AudioOut that counts what it was given.
type countOut struct {
	mu      sync.Mutex
	samples int
	ended   bool
}

func (o *countOut) Enqueue(_ int, pcm []int16, _ int) error {
	o.mu.Lock()
	o.samples += len(pcm)
	o.mu.Unlock()
	return nil
}
func (o *countOut) EndUtterance(int) {
	o.mu.Lock()
	o.ended = true
	o.mu.Unlock()
}
func (o *countOut) ClearQueue() time.Duration                   { return 0 }
func (o *countOut) Pause()                                      {}
func (o *countOut) Resume()                                     {}
func (o *countOut) Played(int) time.Duration                    { return 0 }
func (o *countOut) Queued() time.Duration                       { return 0 }
func (o *countOut) SetOnPlayout(func(int, time.Duration, bool)) {}
func (o *countOut) got() (int, bool)                            { o.mu.Lock(); defer o.mu.Unlock(); return o.samples, o.ended }

// TestHeldGate: a held gate passes nothing on, keeps up to maxHeld and
// then holds its producer; release queues it all in order and lets the
// producer go on; close drops it and frees the producer with an error.
func TestHeldGate(t *testing.T) {
	second := make([]int16, 16000)
	for _, release := range []bool{true, false} {
		out := &countOut{}
		g := newGate(out, true)
		for range 2 {
			if err := g.enqueue(1, second, 16000); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan error, 1)
		go func() { done <- g.enqueue(1, second, 16000) }() // past maxHeld: waits
		select {
		case err := <-done:
			t.Fatalf("a held gate took audio past %v (err %v)", maxHeld, err)
		case <-time.After(20 * time.Millisecond):
		}
		if n, _ := out.got(); n != 0 {
			t.Fatalf("a held gate passed %d samples on", n)
		}
		if release {
			if err := g.release(1); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatalf("the producer after release: %v", err)
			}
			g.end(1)
			if n, ended := out.got(); n != 3*16000 || !ended {
				t.Fatalf("after release %d samples, ended %v", n, ended)
			}
			continue
		}
		g.close()
		if err := <-done; err != errGateClosed {
			t.Fatalf("the producer after close: %v", err)
		}
		if n, _ := out.got(); n != 0 {
			t.Fatalf("a closed held gate passed %d samples on", n)
		}
	}
}
