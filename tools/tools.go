// Package tools runs the brain's tool calls: a Registry of tools gathered
// from providers (MCP servers, the offline skills, in-process functions)
// and, per call, a Runner that runs each tool call id exactly once,
// bounded in time and in result size, whatever happens to the reply that
// asked for it.
package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/duplex-ai/duplex/llm"
)

// Tool describes one tool, MCP-shaped: a name, a description and the JSON
// Schema of its arguments object.
type Tool struct {
	Name        string
	Description string
	InputSchema json.RawMessage
}

// Provider offers tools and runs them. Call returns the tool's result as
// text (JSON or not); an error is the tool's failure.
type Provider interface {
	Tools(ctx context.Context) ([]Tool, error)
	Call(ctx context.Context, name string, args json.RawMessage) (string, error)
}

// Errors.
var (
	ErrUnknownTool = errors.New("tools: unknown tool")
	ErrNotAllowed  = errors.New("tools: tool not allowed without confirmation")
	ErrDuplicate   = errors.New("tools: two providers offer the same tool name")
	ErrTimeout     = errors.New("tools: tool timed out")
	ErrCancelled   = errors.New("tools: call cancelled before it started")
	ErrBadArgs     = errors.New("tools: arguments are not a JSON object")
	// ErrDeclined: the user did not confirm a call that needed it (a no,
	// another request, or silence); it never ran.
	ErrDeclined = errors.New("tools: the user did not confirm the call")
)

// Registry is the tools every call may use; safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	tools []Tool
	by    map[string]Provider
	allow map[string]bool // nil: every tool is allowed
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{by: map[string]Provider{}} }

// Add lists p's tools and registers them; a name already registered is an
// error and nothing of p is added.
func (r *Registry) Add(ctx context.Context, p Provider) error {
	ts, err := p.Tools(ctx)
	if err != nil {
		return fmt.Errorf("tools: listing: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range ts {
		if t.Name == "" {
			return fmt.Errorf("tools: a tool without a name")
		}
		if _, dup := r.by[t.Name]; dup {
			return fmt.Errorf("%w: %q", ErrDuplicate, t.Name)
		}
	}
	for _, t := range ts {
		r.by[t.Name] = p
		r.tools = append(r.tools, t)
	}
	return nil
}

// Allow names the tools that may run without confirmation (the
// -tools-allow list). The others are offered only by All, to a brain that
// asks the user first (Runner.StartConfirmed), and refused by Call. No
// names: every tool runs without confirmation.
func (r *Registry) Allow(names []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(names) == 0 {
		r.allow = nil
		return
	}
	r.allow = map[string]bool{}
	for _, n := range names {
		r.allow[strings.TrimSpace(n)] = true
	}
}

func (r *Registry) allowed(name string) bool { return r.allow == nil || r.allow[name] }

// NeedsConfirm reports whether name is a tool that may run only after the
// user said yes (an unknown name is not: its call fails at once).
func (r *Registry) NeedsConfirm(name string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, known := r.by[name]
	return known && !r.allowed(name)
}

// All returns every tool as the model sees it, those that need
// confirmation too.
func (r *Registry) All() []llm.ToolDef {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]llm.ToolDef, 0, len(r.tools))
	for _, t := range r.tools {
		out = append(out, llm.ToolDef{Name: t.Name, Description: t.Description, Parameters: t.InputSchema})
	}
	return out
}

// Tools returns the allowed tools, in registration order.
func (r *Registry) Tools() []Tool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Tool
	for _, t := range r.tools {
		if r.allowed(t.Name) {
			out = append(out, t)
		}
	}
	return out
}

// Defs returns the allowed tools as the model sees them.
func (r *Registry) Defs() []llm.ToolDef {
	var out []llm.ToolDef
	for _, t := range r.Tools() {
		out = append(out, llm.ToolDef{Name: t.Name, Description: t.Description, Parameters: t.InputSchema})
	}
	return out
}

// Call runs one tool once, without the runner's bookkeeping; a tool that
// needs confirmation is refused.
func (r *Registry) Call(ctx context.Context, name string, args json.RawMessage) (string, error) {
	return r.call(ctx, name, args, false)
}

func (r *Registry) call(ctx context.Context, name string, args json.RawMessage, confirmed bool) (string, error) {
	r.mu.RLock()
	p, ok := r.by[name]
	allowed := r.allowed(name)
	r.mu.RUnlock()
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownTool, name)
	}
	if !allowed && !confirmed {
		return "", fmt.Errorf("%w: %q", ErrNotAllowed, name)
	}
	return p.Call(ctx, name, args)
}

// Func is an in-process tool.
type Func struct {
	Tool
	Fn func(ctx context.Context, args json.RawMessage) (string, error)
}

// Funcs is a Provider of in-process tools.
type Funcs []Func

// Tools implements Provider.
func (fs Funcs) Tools(context.Context) ([]Tool, error) {
	out := make([]Tool, len(fs))
	for i, f := range fs {
		out[i] = f.Tool
	}
	return out, nil
}

// Call implements Provider.
func (fs Funcs) Call(ctx context.Context, name string, args json.RawMessage) (string, error) {
	i := slices.IndexFunc(fs, func(f Func) bool { return f.Name == name })
	if i < 0 {
		return "", fmt.Errorf("%w: %q", ErrUnknownTool, name)
	}
	return fs[i].Fn(ctx, args)
}

// DefaultMaxResult caps a tool result given to the model, in bytes.
const DefaultMaxResult = 8 << 10

// Bound makes a tool's result safe to hand on: valid UTF-8, no NULs, at
// most max bytes (cut on a rune boundary, with a marker saying so). Text
// that is not JSON is kept as text: the model reads either.
func Bound(s string, max int) string {
	if max <= 0 {
		max = DefaultMaxResult
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	if len(s) <= max {
		return s
	}
	const marker = " …[truncated]"
	cut := max - len(marker)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + marker
}

// args checks that a call's arguments are a JSON object ("" is {}).
func checkArgs(a string) (json.RawMessage, error) {
	a = strings.TrimSpace(a)
	if a == "" {
		return json.RawMessage("{}"), nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(a), &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadArgs, err)
	}
	return json.RawMessage(a), nil
}
