package signaling

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxRateKeys bounds the addresses the API rate limit tracks at once.
const maxRateKeys = 100000

// keyedLimiter is one token bucket per client address, safe for concurrent
// use. Buckets that have refilled are forgotten, so memory stays bounded by
// the addresses active within burst/rate seconds; beyond maxKeys, new
// addresses are refused outright (a flood of spoofed ones cannot grow it).
type keyedLimiter struct {
	limit   rate.Limit
	burst   int
	maxKeys int

	mu        sync.Mutex
	buckets   map[string]*keyedBucket
	lastSweep time.Time
}

type keyedBucket struct {
	lim  *rate.Limiter
	last time.Time // last request seen, for the sweep
}

func newKeyedLimiter(perSecond float64, burst, maxKeys int) *keyedLimiter {
	return &keyedLimiter{limit: rate.Limit(perSecond), burst: burst, maxKeys: maxKeys,
		buckets: make(map[string]*keyedBucket)}
}

// allow takes a token from key's bucket at now. When it refuses, it says
// how long until the next token.
func (k *keyedLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	full := time.Duration(float64(k.burst) / float64(k.limit) * float64(time.Second))
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
		b = &keyedBucket{lim: rate.NewLimiter(k.limit, k.burst)}
		k.buckets[key] = b
	}
	if now.After(b.last) {
		b.last = now
	}
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.lim.TokensAt(now)
	return false, max(0, time.Duration(missing/float64(k.limit)*float64(time.Second)))
}

// len returns the number of addresses held.
func (k *keyedLimiter) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}
