package realtime

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/llm"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/tools"
)

// repeatServer answers the first response.create with a function call
// named three times (arguments done twice, the item's done) in a response
// that ends cancelled; it records the client events.
type repeatServer struct {
	mu  sync.Mutex
	got []wire.Event
}

func (rs *repeatServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ctx := r.Context()
	send := func(s string) { _ = ws.Write(ctx, websocket.MessageText, []byte(s)) }
	send(`{"type":"session.created","event_id":"e0","session":{"id":"sess_1"}}`)
	creates := 0
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		ev, err := wire.ParseClientEvent(data)
		if err != nil {
			continue
		}
		rs.mu.Lock()
		rs.got = append(rs.got, ev)
		rs.mu.Unlock()
		if ev.EventType() != wire.TypeResponseCreate {
			continue
		}
		if creates++; creates > 1 {
			send(`{"type":"response.created","event_id":"f1","response":{"id":"resp_2","object":"realtime.response","status":"in_progress","output":[]}}`)
			send(`{"type":"response.done","event_id":"f2","response":{"id":"resp_2","object":"realtime.response","status":"completed","output":[]}}`)
			continue
		}
		item := `{"id":"item_f","object":"realtime.item","type":"function_call","status":"completed","call_id":"call_x","name":"count","arguments":"{}"}`
		args := `{"type":"response.function_call_arguments.done","event_id":"e%d","response_id":"resp_1","item_id":"item_f","output_index":0,"call_id":"call_x","arguments":"{}"}`
		for _, s := range []string{
			`{"type":"response.created","event_id":"e1","response":{"id":"resp_1","object":"realtime.response","status":"in_progress","output":[]}}`,
			`{"type":"response.output_item.added","event_id":"e2","response_id":"resp_1","output_index":0,"item":` + strings.Replace(item, `"completed"`, `"in_progress"`, 1) + `}`,
			strings.Replace(args, "%d", "3", 1),
			strings.Replace(args, "%d", "4", 1),
			`{"type":"response.output_item.done","event_id":"e5","response_id":"resp_1","output_index":0,"item":` + item + `}`,
			`{"type":"response.done","event_id":"e6","response":{"id":"resp_1","object":"realtime.response","status":"cancelled","status_details":{"type":"cancelled","reason":"client_cancelled"},"output":[]}}`,
		} {
			send(s)
		}
	}
}

func (rs *repeatServer) events() []wire.Event {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]wire.Event(nil), rs.got...)
}

type toolOutput struct {
	recOutput
	started, done atomic.Int32
	doneCh        chan struct{}
}

func (o *toolOutput) ToolStarted(int, llm.ToolCall) { o.started.Add(1) }
func (o *toolOutput) ToolDone(int, llm.ToolCall, string, error, time.Duration) {
	if o.done.Add(1) == 1 {
		close(o.doneCh)
	}
}

// TestToolCallOnceAfterCancel: a call named three times runs once, is
// reported once, and its output reaches the model even though the
// response was cancelled; no new response is created for it.
func TestToolCallOnceAfterCancel(t *testing.T) {
	rs := &repeatServer{}
	hs := httptest.NewServer(rs)
	defer hs.Close()
	var runs atomic.Int32
	reg := tools.NewRegistry()
	if err := reg.Add(context.Background(), tools.Funcs{{Tool: tools.Tool{Name: "count", InputSchema: json.RawMessage(`{"type":"object"}`)},
		Fn: func(context.Context, json.RawMessage) (string, error) {
			return `{"n":` + string(rune('0'+runs.Add(1))) + `}`, nil
		}}}); err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{URL: hs.URL, Model: "m", Timeout: 5 * time.Second, Tools: reg})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := b.NewSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out := &toolOutput{doneCh: make(chan struct{})}
	sess.Respond(context.Background(), brain.Request{TurnID: 1, LLM: llm.Request{History: []llm.Message{{Role: llm.RoleUser, Text: "count"}}}}, out)
	if out.failed != nil || out.produced != 0 {
		t.Fatalf("a cancelled response: failed %v, produced %d", out.failed, out.produced)
	}
	select {
	case <-out.doneCh:
	case <-time.After(5 * time.Second):
		t.Fatal("no ToolDone")
	}
	var output *wire.Item
	for deadline := time.Now().Add(5 * time.Second); output == nil && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, ev := range rs.events() {
			if c, ok := ev.(*wire.ConversationItemCreate); ok && c.Item.Type == wire.ItemFunctionCallOutput {
				output = &c.Item
			}
		}
	}
	if output == nil || output.CallID != "call_x" || output.Output != `{"n":1}` {
		t.Fatalf("function_call_output %+v", output)
	}
	evs := rs.events()
	su := evs[0].(*wire.SessionUpdate).Session
	if !strings.Contains(string(su.Tools), `"name":"count"`) || string(su.ToolChoice) != `"auto"` {
		t.Fatalf("session tools %s choice %s", su.Tools, su.ToolChoice)
	}
	// The next turn's reply goes out after the output, as one response.
	out2 := &toolOutput{doneCh: make(chan struct{})}
	sess.Respond(context.Background(), brain.Request{TurnID: 2, LLM: llm.Request{History: []llm.Message{{Role: llm.RoleUser, Text: "count"}, {Role: llm.RoleUser, Text: "and?"}}}}, out2)
	if out2.failed != nil || out2.produced != 1 {
		t.Fatalf("next reply: failed %v, produced %d", out2.failed, out2.produced)
	}
	creates, outputs := 0, 0
	for _, ev := range rs.events() {
		if ev.EventType() == wire.TypeResponseCreate {
			creates++
		}
		if c, ok := ev.(*wire.ConversationItemCreate); ok && c.Item.Type == wire.ItemFunctionCallOutput {
			outputs++
		}
	}
	if runs.Load() != 1 || out.started.Load() != 1 || out.done.Load() != 1 || creates != 2 || outputs != 1 {
		t.Fatalf("ran %d, started %d, done %d, response.create %d, outputs %d: want 1, 1, 1, 2, 1", runs.Load(), out.started.Load(), out.done.Load(), creates, outputs)
	}
}
