package espeak

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newTestEngine returns an engine in mode, closed at the end of the test.
// Without espeak-ng it skips locally but fails in CI (CI=true), with the
// Debian packages to install.
func newTestEngine(tb testing.TB, opt Options) *Engine {
	tb.Helper()
	e, err := New(opt)
	if errors.Is(err, ErrUnavailable) {
		msg := "espeak-ng unavailable (apt-get install espeak-ng libespeak-ng-dev): " + err.Error()
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = e.Close() })
	return e
}

// childProcesses lists this process's children (any state, zombies
// included) as "pid comm state".
func childProcesses(tb testing.TB) []string {
	tb.Helper()
	self := strconv.Itoa(os.Getpid())
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...; comm may contain spaces.
		s := string(b)
		end := strings.LastIndexByte(s, ')')
		if end < 0 {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) >= 2 && f[1] == self {
			out = append(out, d.Name()+" "+s[strings.IndexByte(s, '(')+1:end]+" "+f[0])
		}
	}
	return out
}
