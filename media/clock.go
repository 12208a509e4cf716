package media

import "time"

// Clock is the source of time for pacing; tests inject a manual one.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
}

// Ticker delivers ticks like time.Ticker: a slow reader misses ticks rather
// than receiving a burst.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// RealClock returns the wall clock.
func RealClock() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

type realTicker struct{ t *time.Ticker }

func (t realTicker) C() <-chan time.Time   { return t.t.C }
func (t realTicker) Stop()                 { t.t.Stop() }
func (t realTicker) Reset(d time.Duration) { t.t.Reset(d) }

// ResettableTicker is a Ticker whose phase can be restarted, like
// time.Ticker.Reset: the next tick comes d after the call. The paced writer
// uses it to send the first frame of a talk spurt at once instead of on the
// next tick of an idle ticker.
type ResettableTicker interface {
	Ticker
	Reset(d time.Duration)
}
