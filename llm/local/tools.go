package local

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/tools"
)

// skillTools names the skills that run as tools when the request offers
// them, so the offline brain exercises the same tool path as a model
// server: the answer becomes a tool call, the tool's result the reply.
var skillTools = map[string]string{"time": "get_time", "date": "get_date", "arithmetic": "calculate"}

// Tools returns the time, date and arithmetic skills as in-process tools
// (MCP-shaped: name, description, input schema). Each result is
// {"text": "..."}, the sentence to say.
func (e *Engine) Tools() tools.Funcs {
	text := func(s string) (string, error) {
		b, err := json.Marshal(map[string]string{"text": s})
		return string(b), err
	}
	noArgs := json.RawMessage(`{"type":"object","properties":{}}`)
	return tools.Funcs{
		{Tool: tools.Tool{Name: "get_time", Description: "The current local time.", InputSchema: noArgs},
			Fn: func(context.Context, json.RawMessage) (string, error) {
				return text("It's " + e.now().Format("3:04 PM") + ".")
			}},
		{Tool: tools.Tool{Name: "get_date", Description: "Today's date.", InputSchema: noArgs},
			Fn: func(context.Context, json.RawMessage) (string, error) {
				return text("Today is " + e.now().Format("Monday, January 2, 2006") + ".")
			}},
		{Tool: tools.Tool{Name: "calculate", Description: "Arithmetic on two numbers, in words or digits, e.g. \"twelve times seven\".",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"expression":{"type":"string"}},"required":["expression"]}`)},
			Fn: func(_ context.Context, args json.RawMessage) (string, error) {
				var a struct {
					Expression string `json:"expression"`
				}
				if err := json.Unmarshal(args, &a); err != nil {
					return "", err
				}
				p, ok := parseArithmetic(newWords(a.Expression).toks)
				if !ok {
					return "", fmt.Errorf("calculate: cannot read %q", a.Expression)
				}
				return text(p.answer())
			}},
	}
}

var callSeq atomic.Int64

// toolTurn is the offline brain's answer when tools are offered: a call
// of the skill's tool for a user turn, or the result's sentence after a
// tool turn. ok false: answer as usual.
func toolTurn(req llm.Request) (reply string, calls []llm.ToolCall, ok bool) {
	last := req.History[len(req.History)-1]
	if last.Role == llm.RoleTool {
		var r struct{ Text, Error string }
		_ = json.Unmarshal([]byte(last.Text), &r)
		return r.Text, nil, true // an error was apologised for already
	}
	skill, _ := respond(req)
	name, has := skillTools[skill]
	if !has || !offered(req.Tools, name) {
		return "", nil, false
	}
	args := "{}"
	if name == "calculate" {
		b, _ := json.Marshal(map[string]string{"expression": strings.TrimSpace(last.Text)})
		args = string(b)
	}
	id := fmt.Sprintf("local_%d", callSeq.Add(1))
	return "", []llm.ToolCall{{ID: id, Name: name, Arguments: args}}, true
}

func offered(defs []llm.ToolDef, name string) bool {
	for _, d := range defs {
		if d.Name == name {
			return true
		}
	}
	return false
}
