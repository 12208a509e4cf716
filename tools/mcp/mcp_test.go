package mcp_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/tools"
	"github.com/duplex-ai/duplex/tools/demo"
	"github.com/duplex-ai/duplex/tools/mcp"
	"github.com/duplex-ai/duplex/tools/mcp/demoserver"
)

// TestMain doubles as the demo MCP server on stdio when the environment
// asks, so the stdio tests run a real subprocess without another build.
func TestMain(m *testing.M) {
	if os.Getenv("DUPLEX_MCP_DEMO") == "1" {
		d := &demo.Tools{Delay: time.Hour, OnRun: func(name string) { fmt.Fprintln(os.Stderr, "run", name) }}
		if err := demoserver.ServeStdio(context.Background(), demoserver.New(d)); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runner(t *testing.T, p tools.Provider) *tools.Runner {
	t.Helper()
	reg := tools.NewRegistry()
	if err := reg.Add(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	r := tools.NewRunner(context.Background(), reg, tools.Options{Timeout: time.Minute})
	t.Cleanup(r.Close)
	return r
}

func wait(t *testing.T, c *tools.Call) (string, error) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("call never ended")
	}
	return c.Result()
}

func TestStreamableHTTP(t *testing.T) {
	clk := clock.NewManual(time.Unix(0, 0))
	d := &demo.Tools{Clock: clk, Delay: time.Second}
	srv := httptest.NewServer(demoserver.Handler(demoserver.New(d)))
	defer srv.Close()
	ctx := context.Background()
	c, err := mcp.DialHTTP(ctx, srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := runner(t, c)
	defs := r.Defs()
	if len(defs) != 2 || defs[0].Name != "counter" || !strings.Contains(string(defs[1].Parameters), `"topic"`) {
		t.Fatalf("tools %+v", defs)
	}
	res, err := wait(t, r.Start(1, llm.ToolCall{ID: "a", Name: "counter", Arguments: "{}"}, nil))
	if err != nil || res != `{"count":1}` {
		t.Fatalf("counter: %q %v", res, err)
	}
	slow := r.Start(1, llm.ToolCall{ID: "b", Name: "slow_lookup", Arguments: `{"topic":"otters"}`}, nil)
	if err := clk.WaitFor(ctx, 1); err != nil { // the tool's delay
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	res, err = wait(t, slow)
	if err != nil || !strings.Contains(res, "the answer about otters") {
		t.Fatalf("slow: %q %v", res, err)
	}
	if d.Runs("counter") != 1 || d.Runs("slow_lookup") != 1 {
		t.Fatalf("runs %d %d", d.Runs("counter"), d.Runs("slow_lookup"))
	}
}

// The stdio server process dies while a call runs: the call ends with an
// error (no hang, no panic) and is not retried.
func TestStdioServerDiesMidCall(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DUPLEX_MCP_DEMO=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	c, err := mcp.DialExec(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	runs := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "run "); ok {
				runs <- name
			}
		}
		close(runs)
	}()
	r := runner(t, c)
	call := r.Start(1, llm.ToolCall{ID: "s", Name: "slow_lookup", Arguments: `{"topic":"x"}`}, nil)
	select {
	case name := <-runs:
		if name != "slow_lookup" {
			t.Fatalf("ran %q", name)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server never ran the tool")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := wait(t, call); !errors.Is(err, mcp.ErrServer) {
		t.Fatalf("err %v, want ErrServer", err)
	}
	// The same id is not run again; a new call fails fast on the dead server.
	if again := r.Start(2, call.ToolCall, nil); again != call {
		t.Fatal("the call was re-run")
	}
	if _, err := wait(t, r.Start(2, llm.ToolCall{ID: "t", Name: "counter"}, nil)); err == nil {
		t.Fatal("a call on a dead server succeeded")
	}
	for name := range runs {
		t.Fatalf("another run after the kill: %s", name)
	}
}

func TestSplitArgsViaDialCommand(t *testing.T) {
	if _, err := mcp.DialCommand(context.Background(), `"unclosed`); err == nil {
		t.Fatal("unclosed quote accepted")
	}
	if _, err := mcp.DialCommand(context.Background(), "/nonexistent/server --flag"); !errors.Is(err, mcp.ErrServer) {
		t.Fatalf("missing binary: %v", err)
	}
}

// The HTTP server drops its connections while a call runs: the call ends
// with an error instead of waiting forever.
func TestHTTPServerDropsMidCall(t *testing.T) {
	clk := clock.NewManual(time.Unix(0, 0))
	started := make(chan string, 4)
	d := &demo.Tools{Clock: clk, Delay: time.Hour, OnRun: func(n string) { started <- n }}
	srv := httptest.NewServer(demoserver.Handler(demoserver.New(d)))
	defer srv.Close()
	defer clk.Advance(time.Hour) // lets the server's handler finish before Close
	c, err := mcp.DialHTTP(context.Background(), srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := runner(t, c)
	call := r.Start(1, llm.ToolCall{ID: "s", Name: "slow_lookup", Arguments: `{"topic":"x"}`}, nil)
	<-started
	srv.CloseClientConnections()
	if _, err := wait(t, call); !errors.Is(err, mcp.ErrServer) {
		t.Fatalf("err %v, want ErrServer", err)
	}
	if d.Runs("slow_lookup") != 1 {
		t.Fatalf("runs %d", d.Runs("slow_lookup"))
	}
}

// A -mcp-cmd server gets a minimal environment: no API keys.
func TestDialCommandEnvHasNoSecrets(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-secret")
	t.Setenv("DUPLEX_MCP_DEMO", "1")
	// Without DUPLEX_MCP_DEMO in its environment the child is a plain test
	// binary, not an MCP server: connecting must fail.
	if c, err := mcp.DialCommand(context.Background(), os.Args[0]+" -test.run=^$"); err == nil {
		c.Close()
		t.Fatal("the child saw DUPLEX_MCP_DEMO: the environment was passed through")
	}
}
