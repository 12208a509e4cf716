package main

import (
	"context"
	"net/http/httptest"
	"testing"

	llmlocal "github.com/duplex-ai/duplex/llm/local"
	"github.com/duplex-ai/duplex/tools/demo"
	"github.com/duplex-ai/duplex/tools/mcp/demoserver"
)

func TestToolFlags(t *testing.T) {
	srv := httptest.NewServer(demoserver.Handler(demoserver.New(&demo.Tools{})))
	defer srv.Close()
	cfg, err := parseConfig([]string{"-mcp", srv.URL, "-mcp-cmd", `srv --list a,b "x y"`, "-tools-allow", "counter", "-tool-timeout", "3s"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.mcpCmds) != 1 || cfg.mcpCmds[0] != `srv --list a,b "x y"` || cfg.toolTimeout.Seconds() != 3 {
		t.Fatalf("config %+v", cfg)
	}
	cfg.mcpCmds = nil // no such program here
	reg, closeAll, err := buildTools(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	if ts := reg.Tools(); len(ts) != 1 || ts[0].Name != "counter" {
		t.Fatalf("offered %+v, want counter only (-tools-allow)", ts)
	}
	local, closeLocal, err := buildTools(context.Background(), &config{}, llmlocal.New(llmlocal.Options{}).Tools())
	if err != nil {
		t.Fatal(err)
	}
	defer closeLocal()
	if n := len(local.Tools()); n != 3 {
		t.Fatalf("%d local tools, want 3", n)
	}
	if _, err := parseConfig([]string{"-tool-timeout", "0s"}, func(string) string { return "" }); err == nil {
		t.Fatal("-tool-timeout 0 accepted")
	}
	cfg.mcpURLs = []string{"http://127.0.0.1:1/mcp"}
	if _, _, err := buildTools(context.Background(), cfg, nil); err == nil {
		t.Fatal("an unreachable -mcp server was accepted")
	}
}
