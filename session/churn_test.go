package session_test

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	pmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/session"
)

// TestChurn runs 250 call set-up/teardown cycles over loopback, mixed:
// a clean hang-up (DELETE), a caller that vanishes (closes its peer
// without DELETE), and a hang-up in the middle of the reply (the echo is
// playing back what the caller said). At the end no call is left, the
// goroutines are back to the baseline and the heap is within 10% of it.
func TestChurn(t *testing.T) {
	// 250: the baseline heap is about 0.6 MiB, so the 10 % margin still
	// catches a leak of a quarter KiB a call (500 took over 2 min under
	// -race on a busy machine).
	cycles := 250
	if testing.Short() {
		cycles = 60
	}
	const workers = 6
	m := newManager(t, session.Config{
		Pipeline:               dialogue.Echo{Delay: 60 * time.Millisecond},
		ICEDisconnectedTimeout: 3 * time.Second, ICEFailedTimeout: 6 * time.Second, ICEKeepalive: time.Second,
	})

	cycle := func(i int) error {
		p, err := connect(m)
		if err != nil {
			if p != nil {
				_ = p.pc.Close()
			}
			return err
		}
		defer p.pc.Close()
		switch i % 3 {
		case 0: // clean hang-up
			if err := m.Hangup(p.call.ID()); err != nil {
				return err
			}
		case 1: // the caller vanishes: no DELETE
			_ = p.pc.Close()
		case 2: // hang up while the echo plays back
			if err := sendTone(p, 10); err != nil {
				return err
			}
			if err := m.Hangup(p.call.ID()); err != nil {
				return err
			}
		}
		select {
		case <-p.call.Done():
		case <-time.After(30 * time.Second):
			return fmt.Errorf("call %d (kind %d) not torn down", i, i%3)
		}
		return nil
	}

	if os.Getenv("CHURN_HEAP") != "" {
		runtime.MemProfileRate = 1
	}
	pool := func(from, to int) {
		jobs := make(chan int)
		errs := make(chan error, to-from)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					if err := cycle(i); err != nil {
						errs <- err
					}
				}
			}()
		}
		for i := from; i < to; i++ {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
	// Warm up at the same concurrency (pion's and the runtime's one-time
	// allocations: the runtime keeps the descriptors of dead goroutines
	// for reuse, so the first peak of goroutines stays on the heap), then
	// take the baseline. Half the churn's cycles, so the rarer close paths
	// have made their one-time allocations too.
	pool(0, max(6*workers, cycles/2))
	g0, h0 := settle(t, -1)
	if f := os.Getenv("CHURN_HEAP"); f != "" {
		hf, _ := os.Create(f + ".0")
		_ = pprof.WriteHeapProfile(hf)
		hf.Close()
		defer func() {
			hf, _ := os.Create(f + ".1")
			_ = pprof.WriteHeapProfile(hf)
			hf.Close()
		}()
	}
	pool(0, cycles)
	if n := m.Active(); n != 0 {
		t.Fatalf("%d calls active after the churn", n)
	}
	g1, h1 := settle(t, g0)
	t.Logf("%d cycles: goroutines %d → %d, heap %.2f → %.2f MiB, closed %v", cycles, g0, g1, float64(h0)/(1<<20), float64(h1)/(1<<20), m.ClosedByReason())
	if g1 > g0 {
		t.Errorf("goroutines %d after the churn, baseline %d", g1, g0)
	}
	if float64(h1) > 1.10*float64(h0) {
		t.Errorf("heap %d B after the churn, baseline %d B: more than 10%% above", h1, h0)
	}
	reasons := m.ClosedByReason()
	if reasons[session.ReasonClientHangup] < uint64(2*cycles/3) {
		t.Errorf("client hang-ups %d of %d", reasons[session.ReasonClientHangup], 2*cycles/3)
	}
}

// settle waits (up to 10 s) for the goroutine count to reach target (any
// count when target < 0 and it is stable) and returns it with the live heap
// after a GC.
func settle(t *testing.T, target int) (int, uint64) {
	t.Helper()
	var n int
	for i := 0; i < 100; i++ {
		runtime.GC()
		n = runtime.NumGoroutine()
		if target >= 0 && n <= target {
			break
		}
		time.Sleep(100 * time.Millisecond)
		if target < 0 && runtime.NumGoroutine() == n && i >= 5 {
			break
		}
	}
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return n, ms.HeapAlloc
}

// sendTone sends frames of 20 ms of a 300 Hz tone, paced.
func sendTone(p *peer, frames int) error {
	enc, err := media.NewOpusEncoder(48000, 1, media.EncoderOptions{})
	if err != nil {
		return err
	}
	pcm := make([]int16, 960)
	for f := 0; f < frames; f++ {
		for i := range pcm {
			pcm[i] = int16(9000 * math.Sin(2*math.Pi*300*float64(f*960+i)/48000))
		}
		pkt, err := enc.Encode(pcm)
		if err != nil {
			return err
		}
		if err := p.track.WriteSample(pmedia.Sample{Data: append([]byte(nil), pkt...), Duration: 20 * time.Millisecond}); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}
