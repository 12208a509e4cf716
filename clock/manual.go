package clock

import (
	"context"
	"sync"
	"time"
)

// Manual is a clock that moves only when Advance is called, for tests.
// Timers and tickers fire during Advance, in time order; a ticker whose
// reader is behind drops ticks like time.Ticker.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*waiter
	changed chan struct{} // closed and replaced when waiters change
}

// NewManual returns a Manual clock reading start.
func NewManual(start time.Time) *Manual {
	return &Manual{now: start, changed: make(chan struct{})}
}

type waiter struct {
	m      *Manual
	c      chan time.Time
	f      func()
	at     time.Time
	period time.Duration // tickers only
	active bool
}

// Now implements Clock.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// NewTimer implements Clock.
func (m *Manual) NewTimer(d time.Duration) Timer {
	return m.add(&waiter{c: make(chan time.Time, 1)}, d)
}

// AfterFunc implements Clock.
func (m *Manual) AfterFunc(d time.Duration, f func()) Timer { return m.add(&waiter{f: f}, d) }

// NewTicker implements Clock.
func (m *Manual) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive ticker period")
	}
	return manualTicker{m.add(&waiter{c: make(chan time.Time, 1), period: d}, d)}
}

// manualTicker is a waiter with Ticker's Stop.
type manualTicker struct{ w *waiter }

func (t manualTicker) C() <-chan time.Time   { return t.w.c }
func (t manualTicker) Stop()                 { t.w.Stop() }
func (t manualTicker) Reset(d time.Duration) { t.w.reset(d) }

func (m *Manual) add(w *waiter, d time.Duration) *waiter {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.m, w.at, w.active = m, m.now.Add(d), true
	m.waiters = append(m.waiters, w)
	m.notifyLocked()
	return w
}

func (m *Manual) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// Advance moves the clock forward by d, firing every timer and ticker due
// on the way at its own time.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	end := m.now.Add(d)
	for {
		var next *waiter
		for _, w := range m.waiters {
			if w.active && !w.at.After(end) && (next == nil || w.at.Before(next.at)) {
				next = w
			}
		}
		if next == nil {
			break
		}
		m.now = next.at
		if next.period > 0 {
			next.at = next.at.Add(next.period)
		} else {
			next.active = false
		}
		if next.f != nil {
			go next.f()
		} else {
			select {
			case next.c <- m.now:
			default:
			}
		}
	}
	m.now = end
	m.prune()
	m.mu.Unlock()
}

// prune drops stopped and fired waiters.
func (m *Manual) prune() {
	live := m.waiters[:0]
	for _, w := range m.waiters {
		if w.active {
			live = append(live, w)
		}
	}
	clear(m.waiters[len(live):])
	m.waiters = live
}

// Waiters returns the number of active timers and tickers.
func (m *Manual) Waiters() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, w := range m.waiters {
		if w.active {
			n++
		}
	}
	return n
}

// WaitFor blocks until at least n timers and tickers are active, so a test
// advances the clock only once the code under test has armed its timers.
func (m *Manual) WaitFor(ctx context.Context, n int) error {
	for {
		m.mu.Lock()
		ch := m.changed
		m.mu.Unlock()
		if m.Waiters() >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (w *waiter) C() <-chan time.Time { return w.c }

func (w *waiter) Stop() bool {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	was := w.active
	w.active = false
	w.m.notifyLocked()
	return was
}

// reset restarts a ticker's phase: the next tick comes d after now.
func (w *waiter) reset(d time.Duration) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	w.at, w.active = w.m.now.Add(d), true
	if w.period > 0 {
		w.period = d
	}
	if !contains(w.m.waiters, w) {
		w.m.waiters = append(w.m.waiters, w)
	}
	w.m.notifyLocked()
}

func contains(ws []*waiter, w *waiter) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}
