package signaling

import (
	"testing"
	"time"
)

func TestKeyedLimiter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	k := newKeyedLimiter(1, 2, 3)
	for _, key := range []string{"a", "a"} {
		if ok, _ := k.allow(key, t0); !ok {
			t.Fatal("burst refused")
		}
	}
	ok, retry := k.allow("a", t0)
	if ok || retry != time.Second {
		t.Fatalf("a: ok=%v retry=%v, want refused with 1s", ok, retry)
	}
	if ok, retry := k.allow("a", t0.Add(400*time.Millisecond)); ok || retry != 600*time.Millisecond {
		t.Fatalf("a after 400ms: ok=%v retry=%v, want refused with 600ms", ok, retry)
	}
	if ok, _ := k.allow("a", t0.Add(time.Second)); !ok {
		t.Fatal("a refused after one period")
	}
	if ok, _ := k.allow("b", t0); !ok {
		t.Fatal("another key is limited by the first")
	}
	if ok, _ := k.allow("c", t0); !ok {
		t.Fatal("third key refused below maxKeys")
	}
	if ok, _ := k.allow("d", t0); ok {
		t.Fatal("key beyond maxKeys allowed")
	}
	// Once buckets have refilled they are swept.
	if ok, _ := k.allow("d", t0.Add(10*time.Second)); !ok {
		t.Fatal("new key refused after the sweep")
	}
	if n := k.len(); n != 1 {
		t.Fatalf("%d keys held after the sweep, want 1", n)
	}
}
