package transcript

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/pipeline"
)

func TestLogRecordsTheConversation(t *testing.T) {
	st, err := NewStore(t.TempDir() + "/data")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	st.now = func() time.Time { now = now.Add(time.Second); return now }
	id := strings.Repeat("0a", 16)
	l, err := st.Create(id, "s3cret", "assistant")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(id, "other", "assistant"); err == nil {
		t.Fatal("a second transcript for the same call was created")
	}
	l.Event(pipeline.StateChanged{State: pipeline.StateThinking}) // ignored
	l.Event(pipeline.TranscriptFinal{TurnID: 1, Text: "tell me a story"})
	l.Event(pipeline.TurnMetrics{TurnID: 1, Metrics: pipeline.Metrics{LatencyMS: 350}})
	l.Event(pipeline.ReplyInterrupted{TurnID: 1, Text: "Once upon a time. There was", Heard: "Once upon a time."})
	l.Event(pipeline.Error{Code: pipeline.CodeBadMessage, Message: "bad json"}) // the client's, ignored
	l.Event(pipeline.Error{Code: pipeline.CodeBackendFailed, Message: "llm: 500"})

	// Readable while the call runs, with the secret only.
	b, err := st.Read(id, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	es, err := Entries(b)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	for _, e := range es {
		kinds = append(kinds, e.Kind)
		if e.CallID != id || e.Time.IsZero() {
			t.Fatalf("entry without call id or time: %+v", e)
		}
	}
	if got := strings.Join(kinds, ","); got != "call.start,user,metrics,assistant,error" {
		t.Fatalf("kinds %s", got)
	}
	if a := es[3]; !a.Interrupted || a.Heard != "Once upon a time." || a.Text != "Once upon a time. There was" {
		t.Fatalf("interrupted reply: %+v", a)
	}
	if es[2].Metrics == nil || es[2].Metrics.LatencyMS != 350 {
		t.Fatalf("metrics: %+v", es[2])
	}
	if _, err := st.Read(id, "wrong"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("wrong secret: %v", err)
	}
	for _, bad := range []string{"../etc/passwd", "", "ABC", strings.Repeat("a", 65)} {
		if _, err := st.Read(bad, "s3cret"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("id %q: %v", bad, err)
		}
	}

	if err := l.Close("client_hangup"); err != nil {
		t.Fatal(err)
	}
	l.Event(pipeline.TranscriptFinal{TurnID: 2, Text: "after close"}) // dropped
	b, _ = st.Read(id, "s3cret")
	es, _ = Entries(b)
	if last := es[len(es)-1]; len(es) != 6 || last.Kind != KindEnd || last.Reason != "client_hangup" || last.DurationMS <= 0 {
		t.Fatalf("after close: %d entries, last %+v", len(es), last)
	}
	fi, err := os.Stat(st.Path(id))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v %v", fi.Mode(), err)
	}
	di, err := os.Stat(st.Dir())
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v %v", di.Mode(), err)
	}
}

// newLog creates call id's transcript in a new store.
func newLog(t *testing.T, id, secret, pipe string) (*Store, *Log) {
	t.Helper()
	st, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l, err := st.Create(id, secret, pipe)
	if err != nil {
		t.Fatal(err)
	}
	return st, l
}

func TestReadSkipsAPartialLastLine(t *testing.T) {
	id := strings.Repeat("b", 32)
	st, l := newLog(t, id, "s", "echo")
	defer l.Close("test")
	// A crash in the middle of a write leaves half a line.
	f, err := os.OpenFile(st.Path(id), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"kind":"user","te`)
	f.Close()
	b, err := st.Read(id, "s")
	if err != nil {
		t.Fatal(err)
	}
	if es, err := Entries(b); err != nil || len(es) != 1 {
		t.Fatalf("entries %v %v", es, err)
	}
}

func TestDiscardRemovesTheFile(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	st, l := newLog(t, id, "secret", "echo")
	if _, err := os.Stat(st.Path(id)); err != nil {
		t.Fatalf("no file after Create: %v", err)
	}
	if err := l.Discard(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(st.Path(id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file still there after Discard: %v", err)
	}
	if err := l.Discard(); err != nil {
		t.Errorf("second Discard: %v", err)
	}
	if _, err := st.Read(id, "secret"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Read after Discard: %v, want ErrNotFound", err)
	}
	// The id is free again.
	l, err := st.Create(id, "secret", "echo")
	if err != nil {
		t.Fatalf("Create after Discard: %v", err)
	}
	if err := l.Close("done"); err != nil {
		t.Fatal(err)
	}
}

// TestCallEndEntries: what the end of a call cut short keeps its reason
// (interrupted reply) and its partial mark (user turn), in order.
func TestCallEndEntries(t *testing.T) {
	id := strings.Repeat("0b", 16)
	st, l := newLog(t, id, "s", "assistant")
	l.Event(pipeline.ReplyInterrupted{TurnID: 1, Text: "Once upon a time. There was", Heard: "Once upon", Reason: "server_shutdown"})
	l.Event(pipeline.TranscriptFinal{TurnID: 2, Text: "what is", Partial: true})
	if err := l.Close("server_shutdown"); err != nil {
		t.Fatal(err)
	}
	b, err := st.Read(id, "s")
	if err != nil {
		t.Fatal(err)
	}
	es, err := Entries(b)
	if err != nil || len(es) != 4 {
		t.Fatalf("%d entries (%v):\n%s", len(es), err, b)
	}
	if a := es[1]; a.Kind != KindAssistant || !a.Interrupted || a.Reason != "server_shutdown" || a.Heard != "Once upon" || a.Text != "Once upon a time. There was" {
		t.Errorf("interrupted reply: %+v", a)
	}
	if u := es[2]; u.Kind != KindUser || !u.Partial || u.Text != "what is" || u.TurnID != 2 {
		t.Errorf("partial user turn: %+v", u)
	}
	if !strings.Contains(string(b), `"partial":true`) {
		t.Errorf("no partial mark in the file:\n%s", b)
	}
}

// TestLogRecordsToolCalls: each tool call is one entry (id, name,
// arguments, result or error); the assistant entries list the results
// they used, so a result is spoken when an uninterrupted reply lists it.
func TestLogRecordsToolCalls(t *testing.T) {
	id := strings.Repeat("0b", 16)
	st, l := newLog(t, id, "s", "assistant")
	if !Records(pipeline.ToolStarted{}) || !Records(pipeline.ToolDone{}) {
		t.Fatal("tool events are not recorded")
	}
	l.Event(pipeline.TranscriptFinal{TurnID: 1, Text: "look it up"})
	l.Event(pipeline.ToolStarted{TurnID: 1, CallID: "call_1", Name: "slow_lookup", Arguments: `{"q":"x"}`})
	l.Event(pipeline.ToolStarted{TurnID: 1, CallID: "call_2", Name: "counter", Arguments: `{}`})
	l.Event(pipeline.ReplyInterrupted{TurnID: 1, Text: "Let me check.", Heard: "Let", ToolCalls: []string{"call_1", "call_2"}})
	l.Event(pipeline.ToolDone{TurnID: 1, CallID: "call_2", Name: "counter", Error: "tools: tool timed out", DurationMS: 10000})
	l.Event(pipeline.ToolDone{TurnID: 1, CallID: "call_1", Name: "slow_lookup", Result: `{"answer":42}`, DurationMS: 3000})
	l.Event(pipeline.TranscriptFinal{TurnID: 2, Text: "so"})
	l.Event(pipeline.ReplyDone{TurnID: 2, Text: "It is 42.", ToolCalls: []string{"call_1", "call_2"}})
	if err := l.Close("client_hangup"); err != nil {
		t.Fatal(err)
	}
	b, err := st.Read(id, "s") // what GET /v1/calls/{id}/transcript serves
	if err != nil {
		t.Fatal(err)
	}
	es, err := Entries(b)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range es {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "call.start,user,assistant,tool,tool,user,assistant,call.end" {
		t.Fatalf("kinds %s", got)
	}
	if c := es[3].Tool; c == nil || *c != (Tool{ID: "call_2", Name: "counter", Arguments: "{}", Error: "tools: tool timed out", DurationMS: 10000}) {
		t.Fatalf("failed call: %+v", c)
	}
	if c := es[4].Tool; c == nil || *c != (Tool{ID: "call_1", Name: "slow_lookup", Arguments: `{"q":"x"}`, Result: `{"answer":42}`, DurationMS: 3000}) || es[4].TurnID != 1 {
		t.Fatalf("call: %+v", es[4])
	}
	if a := es[2]; !a.Interrupted || strings.Join(a.ToolCalls, ",") != "call_1,call_2" {
		t.Fatalf("interrupted reply: %+v", a)
	}
	if a := es[6]; a.Interrupted || strings.Join(a.ToolCalls, ",") != "call_1,call_2" {
		t.Fatalf("reply that spoke the results: %+v", a)
	}
	if !strings.Contains(string(b), `"tool":{"id":"call_1","name":"slow_lookup","arguments":"{\"q\":\"x\"}","result":"{\"answer\":42}"`) {
		t.Fatalf("raw transcript:\n%s", b)
	}
}
