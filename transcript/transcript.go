// Package transcript keeps what was said on each call: user and assistant
// turns (with interruption marks and the text the user actually heard),
// per-turn timings and errors, appended to one JSON Lines file per call.
//
// Every entry is one write(2) of one line, made as the turn happens, so a
// crash of the server loses at most the turn in progress and the file can
// be read while the call runs. Files are created 0600 in a 0700 directory.
package transcript

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/pipeline"
)

// Entry kinds.
const (
	KindStart     = "call.start"
	KindUser      = "user"
	KindAssistant = "assistant"
	KindMetrics   = "metrics"
	KindError     = "error"
	KindTool      = "tool"
	KindEnd       = "call.end"
)

// Entry is one line of a transcript file.
type Entry struct {
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	CallID string    `json:"call_id"`
	TurnID int       `json:"turn_id,omitempty"`
	// Text is what the user said (user) or the whole reply the assistant
	// produced (assistant).
	Text string `json:"text,omitempty"`
	// Interrupted marks an assistant reply cut by the user or by the end
	// of the call (then Reason is the call's close reason); Heard is the
	// part the user heard (the part kept in the conversation memory).
	Interrupted bool   `json:"interrupted,omitempty"`
	Heard       string `json:"heard,omitempty"`
	// Partial marks a user turn the end of the call cut short: Text is
	// what the recogniser had.
	Partial bool                `json:"partial,omitempty"`
	Metrics *events.TurnMetrics `json:"metrics,omitempty"`
	// Error is the message of an error event (kind error).
	Error string `json:"error,omitempty"`
	// Pipeline (call.start), Reason and DurationMS (call.end; Reason also
	// on an assistant entry the end of the call interrupted).
	Pipeline   string  `json:"pipeline,omitempty"`
	Reason     string  `json:"reason,omitempty"`
	DurationMS float64 `json:"duration_ms,omitempty"`
	// Tool is one finished tool call (kind tool). ToolCalls (assistant)
	// are the ids of the tool results the reply used: spoken when the
	// reply was not interrupted.
	Tool      *Tool    `json:"tool,omitempty"`
	ToolCalls []string `json:"tool_calls,omitempty"`
	// SecretSHA256 (call.start) lets GET /v1/calls/{id}/transcript check
	// the call's secret after the call has ended, without keeping it.
	SecretSHA256 string `json:"secret_sha256,omitempty"`
}

// Tool is a tool call: its id (the model's tool_call id), the tool's name,
// the JSON arguments, and the bounded result or the error.
type Tool struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Arguments  string  `json:"arguments,omitempty"`
	Result     string  `json:"result,omitempty"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// maxToolArgs bounds the started calls whose arguments wait for their end.
const maxToolArgs = 256

// Errors returned by Store.Read.
var (
	ErrNotFound  = errors.New("transcript: no such call")
	ErrForbidden = errors.New("transcript: wrong call secret")
)

// Store is a directory of transcript files, one per call.
type Store struct {
	dir string
	now func() time.Time
}

// NewStore creates dir (0700) if needed.
func NewStore(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("transcript: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	return &Store{dir: dir, now: time.Now}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// validID accepts the hex ids made by session (and nothing that could
// name another path).
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Path returns the file of a call.
func (s *Store) Path(callID string) string { return filepath.Join(s.dir, callID+".jsonl") }

// Create starts the transcript of a new call and writes its call.start
// entry. The file must not exist yet.
func (s *Store) Create(callID, secret, pipeline string) (*Log, error) {
	if !validID(callID) {
		return nil, fmt.Errorf("transcript: bad call id %q", callID)
	}
	f, err := os.OpenFile(s.Path(callID), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	l := &Log{f: f, callID: callID, now: s.now, start: s.now()}
	sum := sha256.Sum256([]byte(secret))
	if err := l.write(Entry{Kind: KindStart, Pipeline: pipeline, SecretSHA256: hex.EncodeToString(sum[:])}); err != nil {
		_ = f.Close()
		_ = os.Remove(s.Path(callID))
		return nil, err
	}
	return l, nil
}

// Read returns the transcript of a call, live or ended, after checking the
// call's secret against the one recorded at its start.
func (s *Store) Read(callID, secret string) ([]byte, error) {
	if !validID(callID) {
		return nil, ErrNotFound
	}
	b, err := os.ReadFile(s.Path(callID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	var start Entry
	if json.Unmarshal(first, &start) != nil || start.Kind != KindStart {
		return nil, fmt.Errorf("transcript: %s: no call.start entry", callID)
	}
	sum := sha256.Sum256([]byte(secret))
	want, err := hex.DecodeString(start.SecretSHA256)
	if err != nil || subtle.ConstantTimeCompare(sum[:], want) != 1 {
		return nil, ErrForbidden
	}
	// Only whole lines: a reader racing a write never sees half an entry.
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	} else {
		b = nil
	}
	return b, nil
}

// Entries parses a transcript file's contents.
func Entries(b []byte) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return out, fmt.Errorf("transcript: line %d: %w", len(out)+1, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// Log is one call's transcript being written. Its methods are safe for
// concurrent use; after Close they do nothing.
type Log struct {
	mu     sync.Mutex
	f      *os.File
	err    error // first write error; the log stops writing after it
	callID string
	now    func() time.Time
	start  time.Time
	// args of the tool calls started and not yet done, by id.
	args map[string]string
}

// Records reports whether Event needs ev: final user transcripts,
// finished and interrupted replies, tool calls, turn metrics and backend
// errors.
func Records(ev pipeline.Event) bool {
	if _, ok := ev.(pipeline.ToolStarted); ok {
		return true
	}
	_, ok := entry(ev)
	return ok
}

// Event records ev if it is part of the conversation (see Records). A tool
// call is one entry, written when it ends, with the arguments it started
// with.
func (l *Log) Event(ev pipeline.Event) {
	if st, ok := ev.(pipeline.ToolStarted); ok {
		l.mu.Lock()
		if l.args == nil {
			l.args = map[string]string{}
		}
		if len(l.args) < maxToolArgs {
			l.args[st.CallID] = st.Arguments
		}
		l.mu.Unlock()
		return
	}
	e, ok := entry(ev)
	if !ok {
		return
	}
	if e.Tool != nil {
		l.mu.Lock()
		e.Tool.Arguments = l.args[e.Tool.ID]
		delete(l.args, e.Tool.ID)
		l.mu.Unlock()
	}
	_ = l.write(e)
}

func entry(ev pipeline.Event) (Entry, bool) {
	switch ev := ev.(type) {
	case pipeline.TranscriptFinal:
		return Entry{Kind: KindUser, TurnID: ev.TurnID, Text: ev.Text, Partial: ev.Partial}, true
	case pipeline.ReplyDone:
		return Entry{Kind: KindAssistant, TurnID: ev.TurnID, Text: ev.Text, ToolCalls: ev.ToolCalls}, true
	case pipeline.ReplyInterrupted:
		return Entry{Kind: KindAssistant, TurnID: ev.TurnID, Text: ev.Text, Interrupted: true, Heard: ev.Heard, Reason: ev.Reason, ToolCalls: ev.ToolCalls}, true
	case pipeline.ToolDone:
		return Entry{Kind: KindTool, TurnID: ev.TurnID, Tool: &Tool{ID: ev.CallID, Name: ev.Name, Result: ev.Result, Error: ev.Error, DurationMS: ev.DurationMS}}, true
	case pipeline.TurnMetrics:
		m := events.TurnMetrics(ev.Metrics)
		return Entry{Kind: KindMetrics, TurnID: ev.TurnID, Metrics: &m}, true
	case pipeline.Error:
		// A client's malformed command is not part of the conversation.
		return Entry{Kind: KindError, Error: ev.Message}, ev.Code == pipeline.CodeBackendFailed
	}
	return Entry{}, false
}

// Close writes the call.end entry, syncs and closes the file.
func (l *Log) Close(reason string) error {
	err := l.write(Entry{Kind: KindEnd, Reason: reason, DurationMS: float64(l.now().Sub(l.start)) / float64(time.Millisecond)})
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return err
	}
	if serr := l.f.Sync(); err == nil {
		err = serr
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// Discard closes the file and removes it: for a call that never started
// (the server began shutting down while its transcript was created).
func (l *Log) Discard() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	name := l.f.Name()
	err := l.f.Close()
	l.f = nil
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	return err
}

func (l *Log) write(e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil || l.err != nil {
		return l.err
	}
	e.Time = l.now().UTC()
	e.CallID = l.callID
	b, err := json.Marshal(e)
	if err != nil {
		l.err = fmt.Errorf("transcript: %w", err)
		return l.err
	}
	// One write per line: O_APPEND makes it atomic with respect to readers
	// of whole lines, and it reaches the kernel before the next turn.
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		l.err = fmt.Errorf("transcript: %w", err)
	}
	return l.err
}
