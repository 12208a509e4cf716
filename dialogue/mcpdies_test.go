package dialogue

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/testtier"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/tools"
	"github.com/duplex-ai/duplex/tools/demo"
	"github.com/duplex-ai/duplex/tools/mcp"
	"github.com/duplex-ai/duplex/tools/mcp/demoserver"
)

// The MCP server behind a tool dies mid-call (its connections drop): the
// call ends with tool.done and an error event, the assistant apologises,
// the model hears the error, and the call goes on to the next turn.
func TestMCPServerDiesMidCall(t *testing.T) {
	// The go-sdk client takes ~5 s to give up on the dropped connection.
	testtier.Slow(t, "a real MCP server over HTTP dropping its connections (~5 s)")
	toolClk := clock.NewManual(time.Unix(0, 0))
	started := make(chan string, 4)
	d := &demo.Tools{Clock: toolClk, Delay: time.Hour, OnRun: func(n string) { started <- n }}
	srv := httptest.NewServer(demoserver.Handler(demoserver.New(d)))
	c, err := mcp.DialHTTP(context.Background(), srv.URL, srv.Client())
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	l := &scriptLLM{script: func(req llm.Request) (string, []llm.ToolCall, bool) {
		if res, ok := toolResult(req, "call_s"); ok {
			if strings.Contains(res, `"error"`) {
				return "The lookup service is gone.", nil, false
			}
			return "wrong: " + res, nil, false
		}
		if lastUser(req) == "look up otters" {
			return "", []llm.ToolCall{{ID: "call_s", Name: "slow_lookup", Arguments: `{"topic":"otters"}`}}, false
		}
		return "Hello.", nil, false
	}}
	h := toolHarness(t, l, func(*Options) []tools.Provider { return []tools.Provider{c} })
	t.Cleanup(func() {
		toolClk.Advance(time.Hour) // the server's handler returns
		_ = c.Close()
		srv.Close()
	})
	h.text("look up otters")
	h.waitFor("tool.started", isType(events.TypeToolStarted))
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the server never ran the tool")
	}
	srv.CloseClientConnections()
	done := h.waitFor("tool.done", isType(events.TypeToolDone))
	if done.ToolCallID != "call_s" || done.ToolError == "" {
		t.Fatalf("tool.done %+v", done)
	}
	if e := h.waitFor("error", isType(events.TypeError)); !strings.HasPrefix(e.Message, "tool slow_lookup:") {
		t.Fatalf("error %+v", e)
	}
	reply := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if !strings.Contains(reply.Text, toolApology) || !strings.Contains(reply.Text, "The lookup service is gone.") {
		t.Fatalf("reply %q", reply.Text)
	}
	h.text("hello")
	if reply := h.waitPlaying("reply.done", isType(events.TypeReplyDone)); reply.Text != "Hello." {
		t.Fatalf("next turn %q", reply.Text)
	}
	if n := d.Runs("slow_lookup"); n != 1 {
		t.Fatalf("slow_lookup ran %d times", n)
	}
}
