// Package demoserver is the in-repo demo MCP server: the demo tools (a
// counter and a slow lookup) over Streamable HTTP or stdio.
package demoserver

import (
	"context"
	"encoding/json"
	"net/http"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/duplex-ai/duplex/tools/demo"
)

// New returns an MCP server offering d's tools.
func New(d *demo.Tools) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "duplex-demo", Version: "1"}, nil)
	fs := d.Funcs()
	for _, f := range fs {
		var schema any
		_ = json.Unmarshal(f.InputSchema, &schema)
		s.AddTool(&sdk.Tool{Name: f.Name, Description: f.Description, InputSchema: schema},
			func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
				args := req.Params.Arguments
				if len(args) == 0 {
					args = json.RawMessage("{}")
				}
				out, err := fs.Call(ctx, req.Params.Name, args)
				if err != nil {
					return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: err.Error()}}}, nil
				}
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: out}}}, nil
			})
	}
	return s
}

// Handler serves s over Streamable HTTP.
func Handler(s *sdk.Server) http.Handler {
	return sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s }, nil)
}

// ServeStdio serves s on the process's stdin and stdout until ctx ends or
// the client hangs up.
func ServeStdio(ctx context.Context, s *sdk.Server) error {
	return s.Run(ctx, &sdk.StdioTransport{})
}
