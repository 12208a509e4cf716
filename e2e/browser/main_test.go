package browser

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/internal/testtier"
)

// TestMain fails the package if a test leaves a goroutine behind.
func TestMain(m *testing.M) {
	if testtier.SkipPackage("real Chromium") {
		return
	}
	goleak.VerifyTestMain(m)
}
