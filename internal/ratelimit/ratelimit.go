// Package ratelimit has the token buckets behind Duplex's request and
// message rate limits. Time is always passed in, so tests drive it.
package ratelimit

import (
	"sync"
	"time"
)

// Bucket is a token bucket: Rate tokens per second, at most Burst saved.
// The zero value is not usable; use NewBucket. Not safe for concurrent use.
type Bucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// NewBucket returns a full bucket.
func NewBucket(rate float64, burst int) *Bucket {
	return &Bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// Allow takes one token at now, if there is one.
func (b *Bucket) Allow(now time.Time) bool {
	if !b.last.IsZero() {
		if d := now.Sub(b.last); d > 0 {
			b.tokens += d.Seconds() * b.rate
			if b.tokens > b.burst {
				b.tokens = b.burst
			}
		}
	}
	if now.After(b.last) || b.last.IsZero() {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// RetryAfter is how long until the next token, at now.
func (b *Bucket) RetryAfter(now time.Time) time.Duration {
	missing := 1 - b.tokens
	if missing <= 0 || b.rate <= 0 {
		return 0
	}
	d := time.Duration(missing / b.rate * float64(time.Second))
	if !b.last.IsZero() {
		d -= now.Sub(b.last)
	}
	if d < 0 {
		d = 0
	}
	return d
}

// Keyed is one Bucket per key (a client address), safe for concurrent use.
// Buckets that have refilled are forgotten, so memory stays bounded by the
// number of keys active within Burst/Rate seconds; beyond MaxKeys, new keys
// are refused outright (a flood of spoofed keys cannot grow the map).
type Keyed struct {
	rate    float64
	burst   int
	maxKeys int

	mu        sync.Mutex
	buckets   map[string]*Bucket
	lastSweep time.Time
}

// NewKeyed returns a limiter with rate per second and burst per key.
// maxKeys <= 0 means 100000.
func NewKeyed(rate float64, burst, maxKeys int) *Keyed {
	if maxKeys <= 0 {
		maxKeys = 100000
	}
	return &Keyed{rate: rate, burst: burst, maxKeys: maxKeys, buckets: make(map[string]*Bucket)}
}

// Allow takes a token from key's bucket at now. When it refuses, it says
// how long until the next token.
func (k *Keyed) Allow(key string, now time.Time) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	full := time.Duration(float64(k.burst) / k.rate * float64(time.Second))
	if now.Sub(k.lastSweep) > full {
		for key, b := range k.buckets {
			if now.Sub(b.last) > full {
				delete(k.buckets, key)
			}
		}
		k.lastSweep = now
	}
	b, ok := k.buckets[key]
	if !ok {
		if len(k.buckets) >= k.maxKeys {
			return false, time.Second
		}
		b = NewBucket(k.rate, k.burst)
		k.buckets[key] = b
	}
	if b.Allow(now) {
		return true, 0
	}
	return false, b.RetryAfter(now)
}

// Len returns the number of keys held.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}
