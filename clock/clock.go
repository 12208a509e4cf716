// Package clock is the one source of time for everything whose behaviour
// depends on time (pacing, turn timers, call limits). Tests inject a
// Manual clock instead of sleeping on the wall clock.
package clock

import "time"

// Clock gives the time, timers and tickers.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
	NewTicker(d time.Duration) Ticker
	// AfterFunc calls f in its own goroutine after d, unless stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a one-shot timer like time.Timer. An AfterFunc timer's C is nil.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// Ticker delivers ticks like time.Ticker: a slow reader misses ticks rather
// than receiving a burst.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// ResettableTicker is a Ticker whose phase can be restarted, like
// time.Ticker.Reset: the next tick comes d after the call.
type ResettableTicker interface {
	Ticker
	Reset(d time.Duration)
}

// Since is c.Now().Sub(t).
func Since(c Clock, t time.Time) time.Duration { return c.Now().Sub(t) }

// Real returns the wall clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

func (realClock) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return realTimer{time.AfterFunc(d, f)}
}

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.t.C }
func (t realTimer) Stop() bool          { return t.t.Stop() }

type realTicker struct{ t *time.Ticker }

func (t realTicker) C() <-chan time.Time   { return t.t.C }
func (t realTicker) Stop()                 { t.t.Stop() }
func (t realTicker) Reset(d time.Duration) { t.t.Reset(d) }
