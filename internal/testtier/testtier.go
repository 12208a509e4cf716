// Package testtier marks the tests that `go test -short` (the fast tier)
// leaves out: whole calls in real time, real browsers, network-fault runs
// and corpus training. `make test` runs them all.
package testtier

import (
	"flag"
	"fmt"
	"testing"
)

// Slow skips t under -short; why names what makes it slow.
func Slow(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("slow tier (%s): skipped with -short", why)
	}
}

// SkipPackage reports, from a TestMain, whether the whole package belongs
// to the slow tier and -short is set; TestMain then returns without
// running the tests.
func SkipPackage(why string) bool {
	if !flag.Parsed() {
		flag.Parse()
	}
	if testing.Short() {
		fmt.Printf("slow tier (%s): package skipped with -short\n", why)
		return true
	}
	return false
}
