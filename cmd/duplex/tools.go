package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/duplex-ai/duplex/tools"
	"github.com/duplex-ai/duplex/tools/demo"
	"github.com/duplex-ai/duplex/tools/mcp"
	"github.com/duplex-ai/duplex/tools/mcp/demoserver"
)

// buildTools connects the -mcp and -mcp-cmd servers; nil when there are
// none. close ends their sessions (and stdio servers' processes).
func buildTools(ctx context.Context, cfg *config, local tools.Provider) (reg *tools.Registry, closeAll func(), err error) {
	var clients []*mcp.Client
	closeAll = func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}
	if len(cfg.mcpURLs) == 0 && len(cfg.mcpCmds) == 0 && local == nil {
		return nil, closeAll, nil
	}
	reg = tools.NewRegistry()
	if local != nil {
		if err := reg.Add(ctx, local); err != nil {
			return nil, nil, fmt.Errorf("-local-tools: %w", err)
		}
	}
	add := func(what string, dial func(context.Context) (*mcp.Client, error)) error {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		c, err := dial(dctx)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		clients = append(clients, c)
		if err := reg.Add(dctx, c); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	for _, u := range cfg.mcpURLs {
		if err := add("-mcp "+u, func(ctx context.Context) (*mcp.Client, error) { return mcp.DialHTTP(ctx, u, nil) }); err != nil {
			closeAll()
			return nil, nil, err
		}
	}
	for _, line := range cfg.mcpCmds {
		if err := add("-mcp-cmd "+line, func(ctx context.Context) (*mcp.Client, error) { return mcp.DialCommand(ctx, line) }); err != nil {
			closeAll()
			return nil, nil, err
		}
	}
	reg.Allow(cfg.toolsAllow)
	return reg, closeAll, nil
}

// mcpDemoCmd is `duplex mcp-demo`: the demo MCP server (a counter and a
// slow lookup) on stdio, or on Streamable HTTP with -addr.
func mcpDemoCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("duplex mcp-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "serve Streamable HTTP on this address (e.g. 127.0.0.1:8090) instead of stdio")
	delay := fs.Duration("slow-delay", 2*time.Second, "how long slow_lookup takes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := demoserver.New(&demo.Tools{Delay: *delay})
	if *addr == "" {
		return demoserver.ServeStdio(ctx, s)
	}
	srv := &http.Server{Addr: *addr, Handler: demoserver.Handler(s), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}
