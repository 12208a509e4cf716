package realtime

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// The events in testdata/golden were written by hand from the shapes in
// the OpenAI Realtime API reference (platform.openai.com/docs/api-reference/
// realtime-client-events and …/realtime-server-events, GA) and, for the
// second and third session.update, from what @openai/agents-realtime 0.20.0
// sends (docs/clients.md). beta.jsonl uses the beta event names
// (…/realtime-beta-server-events).

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			lines = append(lines, append([]byte(nil), sc.Bytes()...))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 {
		t.Fatalf("%s: no events", path)
	}
	return lines
}

// semantic decodes JSON and drops null-valued keys: the reference writes
// optional fields as null where Duplex omits them. (Keys that must be
// present even when null are asserted in types_test.go.)
func semantic(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return dropNulls(v)
}

func dropNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if x == nil {
				delete(v, k)
			} else {
				v[k] = dropNulls(x)
			}
		}
	case []any:
		for i := range v {
			v[i] = dropNulls(v[i])
		}
	}
	return v
}

// TestGolden parses every reference event and writes it back: nothing the
// reference shows may be lost or changed by the Go types.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		file  string
		parse func([]byte) (Event, error)
	}{
		{"testdata/golden/client.jsonl", ParseClientEvent},
		{"testdata/golden/server.jsonl", ParseServerEvent},
	} {
		for _, line := range readLines(t, tc.file) {
			ev, err := tc.parse(line)
			if err != nil {
				t.Errorf("%s: %s: %v", tc.file, line, err)
				continue
			}
			out, err := Marshal(ev, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := semantic(t, out), semantic(t, line); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: round trip changed the event\n in: %s\nout: %s", tc.file, line, out)
			}
		}
	}
}

// TestGoldenBeta: beta names parse as the GA events, with beta assistant
// content types renamed.
func TestGoldenBeta(t *testing.T) {
	want := []string{
		TypeResponseOutputAudioDelta, TypeResponseOutputAudioDone,
		TypeResponseOutputAudioTranscriptDelta, TypeResponseOutputAudioTranscriptDone,
		TypeResponseOutputTextDelta, TypeResponseOutputTextDone,
		TypeConversationItemAdded,
	}
	lines := readLines(t, "testdata/golden/beta.jsonl")
	if len(lines) != len(want) {
		t.Fatalf("%d beta events, want %d", len(lines), len(want))
	}
	for i, line := range lines {
		ev, err := ParseServerEvent(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if ev.EventType() != want[i] || ev.header().Type != want[i] {
			t.Errorf("%s: parsed as %s (header %s), want %s", line, ev.EventType(), ev.header().Type, want[i])
		}
		if added, ok := ev.(*ConversationItemAdded); ok {
			if got := added.Item.Content[0]; got.Type != PartOutputAudio || got.Transcript == nil || *got.Transcript != "Hello" {
				t.Errorf("beta assistant part = %+v, want output_audio with transcript", got)
			}
		}
	}
	// The beta names are not client events.
	if _, err := ParseClientEvent(lines[0]); err == nil {
		t.Error("beta server event accepted as a client event")
	}
}
