package testtier

import (
	"testing"
)

func TestSlowSkipsOnlyUnderShort(t *testing.T) {
	ran := false
	t.Run("inner", func(t *testing.T) {
		Slow(t, "test")
		ran = true
	})
	if ran == testing.Short() {
		t.Fatalf("ran=%v with -short=%v", ran, testing.Short())
	}
	if got := SkipPackage("test"); got != testing.Short() {
		t.Fatalf("SkipPackage=%v with -short=%v", got, testing.Short())
	}
}
