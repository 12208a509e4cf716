// Package mcp connects the tool registry to Model Context Protocol
// servers with the official Go SDK: Streamable HTTP (-mcp URL) or a
// subprocess on stdio (-mcp-cmd "cmd args"). A Client is a tools.Provider.
package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/duplex-ai/duplex/tools"
)

// Client is one connected MCP server; safe for concurrent use.
type Client struct {
	name string
	cs   *sdk.ClientSession
}

var _ tools.Provider = (*Client)(nil)

var impl = &sdk.Implementation{Name: "duplex", Version: "1"}

// ErrServer is wrapped by every failure the MCP server reported or caused.
var ErrServer = errors.New("mcp server")

// DialHTTP connects to a Streamable HTTP MCP server at url. hc nil is
// http.DefaultClient.
func DialHTTP(ctx context.Context, url string, hc *http.Client) (*Client, error) {
	t := &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: hc, MaxRetries: -1}
	return connect(ctx, url, t)
}

// DialCommand starts cmdline (split like a shell, no shell features) and
// speaks MCP over its stdin and stdout. The process ends with Close.
func DialCommand(ctx context.Context, cmdline string) (*Client, error) {
	args, err := splitArgs(cmdline)
	if err != nil || len(args) == 0 {
		return nil, fmt.Errorf("mcp: bad command %q: %v", cmdline, err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = childEnv(os.Environ())
	return DialExec(ctx, cmd)
}

// childEnv keeps only the variables a program needs to run, so API keys
// and secrets in duplex's environment do not reach a tool server.
func childEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH", k == "HOME", k == "USER", k == "LANG", k == "TMPDIR", k == "TZ", strings.HasPrefix(k, "LC_"):
			out = append(out, kv)
		}
	}
	return out
}

// DialExec starts cmd and speaks MCP over its stdin and stdout.
func DialExec(ctx context.Context, cmd *exec.Cmd) (*Client, error) {
	return connect(ctx, cmd.Path, &sdk.CommandTransport{Command: cmd})
}

func connect(ctx context.Context, name string, t sdk.Transport) (*Client, error) {
	cs, err := sdk.NewClient(impl, nil).Connect(ctx, t, nil)
	if err != nil {
		return nil, fmt.Errorf("%w %s: connecting: %v", ErrServer, name, err)
	}
	return &Client{name: name, cs: cs}, nil
}

// Tools implements tools.Provider: every tool the server lists.
func (c *Client) Tools(ctx context.Context) ([]tools.Tool, error) {
	var out []tools.Tool
	for t, err := range c.cs.Tools(ctx, nil) {
		if err != nil {
			return nil, fmt.Errorf("%w %s: listing tools: %v", ErrServer, c.name, err)
		}
		schema, err := json.Marshal(t.InputSchema)
		if err != nil || string(schema) == "null" {
			schema = nil
		}
		out = append(out, tools.Tool{Name: t.Name, Description: t.Description, InputSchema: schema})
	}
	return out, nil
}

// Call implements tools.Provider. The result is the structured content
// as JSON when there is one, else the text parts joined; a result marked
// isError is an error carrying that text.
func (c *Client) Call(ctx context.Context, name string, args json.RawMessage) (string, error) {
	res, err := c.cs.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("%w %s: %s: %v", ErrServer, c.name, name, err)
	}
	var text []string
	for _, ct := range res.Content {
		if t, ok := ct.(*sdk.TextContent); ok {
			text = append(text, t.Text)
		}
	}
	out := strings.Join(text, "\n")
	if res.StructuredContent != nil && !res.IsError {
		if b, err := json.Marshal(res.StructuredContent); err == nil {
			out = string(b)
		}
	}
	if res.IsError {
		return "", fmt.Errorf("%s: %s", name, tools.Bound(out, 512))
	}
	return out, nil
}

// Close ends the session (and a stdio server's process).
func (c *Client) Close() error { return c.cs.Close() }

// splitArgs splits a command line on spaces; single or double quotes
// group words. No shell runs: no variables, globs or pipes.
func splitArgs(s string) ([]string, error) {
	var (
		args  []string
		cur   strings.Builder
		quote rune
		in    bool
	)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unclosed quote")
	}
	if in {
		args = append(args, cur.String())
	}
	return args, nil
}
