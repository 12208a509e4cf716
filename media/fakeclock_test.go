package media

import (
	"sync"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/clock"
)

// fakeClock is a manual clock: Tick advances Now by the ticker period and
// delivers one tick (blocking until the reader takes it). Its timers never
// fire: the writer and the receiver use none.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	ticker *fakeTicker
}

type fakeTicker struct {
	c       chan time.Time
	d       time.Duration
	stopped chan struct{}
	once    sync.Once
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) clock.Timer {
	return clock.NewManual(c.Now()).NewTimer(d)
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	return clock.NewManual(c.Now()).AfterFunc(d, f)
}

func (c *fakeClock) NewTicker(d time.Duration) clock.Ticker {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ticker = &fakeTicker{c: make(chan time.Time), d: d, stopped: make(chan struct{})}
	return c.ticker
}

// Tick advances the clock by one period and hands the tick to the reader.
func (c *fakeClock) Tick(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	c.now = c.now.Add(c.ticker.d)
	now, tk := c.now, c.ticker
	c.mu.Unlock()
	select {
	case tk.c <- now:
	case <-tk.stopped:
		t.Fatal("tick on a stopped ticker")
	}
}

func (t *fakeTicker) C() <-chan time.Time { return t.c }
func (t *fakeTicker) Stop()               { t.once.Do(func() { close(t.stopped) }) }
