package session

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestPionLogLevels: each pion level lands at the zerolog level of the same
// name, with the component as "pion", and pion's debug is dropped at info.
func TestPionLogLevels(t *testing.T) {
	var buf bytes.Buffer
	l := pionLogs{log: zerolog.New(&buf).Level(zerolog.TraceLevel)}.NewLogger("ice")
	l.Trace("t")
	l.Tracef("%s", "tf")
	l.Debug("d")
	l.Debugf("%s", "df")
	l.Info("i")
	l.Infof("%s", "if")
	l.Warn("w")
	l.Warnf("%s", "wf")
	l.Error("e")
	l.Errorf("%s", "ef")
	want := [][2]string{{"trace", "t"}, {"trace", "tf"}, {"debug", "d"}, {"debug", "df"}, {"info", "i"}, {"info", "if"},
		{"warn", "w"}, {"warn", "wf"}, {"error", "e"}, {"error", "ef"}}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, line := range lines {
		var rec struct{ Level, Message, Pion string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Level != want[i][0] || rec.Message != want[i][1] || rec.Pion != "ice" {
			t.Errorf("line %d = %+v, want level %s message %s pion ice", i, rec, want[i][0], want[i][1])
		}
	}

	buf.Reset()
	l = pionLogs{log: zerolog.New(&buf).Level(zerolog.InfoLevel)}.NewLogger("dtls")
	l.Tracef("%d", 1)
	l.Debugf("%d", 2)
	l.Warn("kept")
	if got := strings.Count(buf.String(), "\n"); got != 1 || !strings.Contains(buf.String(), "kept") {
		t.Fatalf("at info: %q, want only the warning", buf.String())
	}
}
