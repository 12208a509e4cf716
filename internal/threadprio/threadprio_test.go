package threadprio

import (
	"runtime"
	"testing"
)

// TestLowerOnlyTheThread: the goroutine's thread gets the higher nice
// value; the thread of a goroutine started afterwards keeps the process's.
func TestLowerOnlyTheThread(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("thread priorities are changed on Linux only")
	}
	type res struct {
		changed bool
		nice    int
		err     error
	}
	ch := make(chan res)
	probe := func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		n, err := niceOf()
		ch <- res{false, n, err}
	}
	go probe()
	base := <-ch
	if base.err != nil {
		t.Fatal(base.err)
	}
	go func() {
		changed := Lower(5)
		n, err := niceOf()
		ch <- res{changed, n, err}
	}()
	want := min(base.nice+5, 19)
	if r := <-ch; r.err != nil || !r.changed || r.nice != want {
		t.Fatalf("after Lower(5): changed %v, nice %d (%v); want %d", r.changed, r.nice, r.err, want)
	}
	// The lowered thread ended with its goroutine.
	go probe()
	if r := <-ch; r.err != nil || r.nice != base.nice {
		t.Fatalf("a later goroutine's thread has nice %d (%v), want %d", r.nice, r.err, base.nice)
	}
}
