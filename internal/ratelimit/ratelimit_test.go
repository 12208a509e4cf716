package ratelimit

import (
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := NewBucket(10, 3) // 10/s, burst 3
	for i := 0; i < 3; i++ {
		if !b.Allow(t0) {
			t.Fatalf("burst token %d refused", i)
		}
	}
	if b.Allow(t0) {
		t.Fatal("4th token at the same instant allowed")
	}
	if got := b.RetryAfter(t0); got != 100*time.Millisecond {
		t.Fatalf("retry after %v, want 100ms", got)
	}
	if b.Allow(t0.Add(50 * time.Millisecond)) {
		t.Fatal("token allowed after half a period")
	}
	if !b.Allow(t0.Add(100 * time.Millisecond)) {
		t.Fatal("token refused after one period")
	}
	// A long pause refills to the burst, not beyond.
	t1 := t0.Add(time.Hour)
	n := 0
	for b.Allow(t1) {
		n++
	}
	if n != 3 {
		t.Fatalf("after a long pause %d tokens, want 3", n)
	}
	// Time going backwards grants nothing.
	if b.Allow(t0) {
		t.Fatal("token allowed with the clock going backwards")
	}
}

func TestKeyed(t *testing.T) {
	t0 := time.Unix(1000, 0)
	k := NewKeyed(1, 2, 3)
	for _, key := range []string{"a", "a"} {
		if ok, _ := k.Allow(key, t0); !ok {
			t.Fatal("burst refused")
		}
	}
	ok, retry := k.Allow("a", t0)
	if ok || retry != time.Second {
		t.Fatalf("a: ok=%v retry=%v, want refused with 1s", ok, retry)
	}
	if ok, _ := k.Allow("b", t0); !ok {
		t.Fatal("another key is limited by the first")
	}
	if ok, _ := k.Allow("c", t0); !ok {
		t.Fatal("third key refused below maxKeys")
	}
	if ok, _ := k.Allow("d", t0); ok {
		t.Fatal("key beyond maxKeys allowed")
	}
	// Once buckets have refilled they are swept.
	if ok, _ := k.Allow("d", t0.Add(10*time.Second)); !ok {
		t.Fatal("new key refused after the sweep")
	}
	if n := k.Len(); n != 1 {
		t.Fatalf("%d keys held after the sweep, want 1", n)
	}
}
