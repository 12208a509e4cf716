package openai

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/llm"
)

// toolCallStream is what api.openai.com streams for two parallel calls
// (recorded shape: the first piece of each index carries id, type and name
// with empty arguments; later pieces carry only index and arguments).
const toolCallStream = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\": \"Paris\"}"}}]},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_def","type":"function","function":{"name":"counter","arguments":""}}]},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}

data: [DONE]

`

func TestStreamedToolCalls(t *testing.T) {
	for _, split := range []int{1 << 20, 3} {
		o := server(t, func(w http.ResponseWriter, r *http.Request) {
			sseHeaders(w)
			writeSplit(w, toolCallStream, split)
		})
		s, err := engine(t, o).Stream(context.Background(), userReq("weather?"))
		if err != nil {
			t.Fatal(err)
		}
		ts := s.(llm.ToolCallStream)
		if got := ts.ToolCalls(); got != nil {
			t.Fatalf("calls before the end: %v", got)
		}
		text, err := collect(s)
		if err != nil || text != "" {
			t.Fatalf("text %q err %v", text, err)
		}
		got := ts.ToolCalls()
		want := []llm.ToolCall{
			{ID: "call_abc", Name: "get_weather", Arguments: `{"city": "Paris"}`},
			{ID: "call_def", Name: "counter", Arguments: `{}`},
		}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("split %d: calls %+v, want %+v", split, got, want)
		}
		s.Close()
	}
}

func TestNonStreamedToolCalls(t *testing.T) {
	o := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"counter","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`)
	})
	s, err := engine(t, o).Stream(context.Background(), userReq("count"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := collect(s); err != nil {
		t.Fatal(err)
	}
	got := s.(llm.ToolCallStream).ToolCalls()
	if len(got) != 1 || got[0] != (llm.ToolCall{ID: "call_1", Name: "counter", Arguments: "{}"}) {
		t.Fatalf("calls %+v", got)
	}
}

func TestToolCallFloodRejected(t *testing.T) {
	o := server(t, func(w http.ResponseWriter, r *http.Request) {
		sseHeaders(w)
		io.WriteString(w, `data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":99,"id":"x","function":{"name":"n","arguments":""}}]}}]}`+"\n\n")
		huge := strings.Repeat("a", maxToolArgBytes+1)
		io.WriteString(w, `data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"x","function":{"name":"n","arguments":"`+huge+`"}}]}}]}`+"\n\n")
	})
	s, err := engine(t, o).Stream(context.Background(), userReq("x"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := collect(s); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("err %v, want ErrBadResponse", err)
	}
}

// The request carries the tools and a previous round's calls and results
// in the Chat Completions shape; the image goes only on a user turn.
func TestToolRequestBody(t *testing.T) {
	bodies := make(chan []byte, 1)
	o := server(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
		sseHeaders(w)
		io.WriteString(w, chunk("It is sunny.")+finishChunk+"data: [DONE]\n\n")
	})
	req := llm.Request{
		History: []llm.Message{
			{Role: llm.RoleUser, Text: "Weather in Paris?"},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_abc", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
			{Role: llm.RoleTool, ToolCallID: "call_abc", Text: `{"sky":"sunny"}`},
		},
		Tools: []llm.ToolDef{
			{Name: "get_weather", Description: "Weather now", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)},
			{Name: "counter"},
		},
		Image: &llm.Image{JPEG: []byte{0xff, 0xd8}},
	}
	s, err := engine(t, o).Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if text, err := collect(s); err != nil || text != "It is sunny." {
		t.Fatalf("%q %v", text, err)
	}
	s.Close()
	var got struct {
		Tools []struct {
			Type     string `json:"type"`
			Function struct {
				Name       string          `json:"name"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
		Messages []map[string]json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(<-bodies, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Tools) != 2 || got.Tools[0].Type != "function" || got.Tools[0].Function.Name != "get_weather" ||
		!strings.Contains(string(got.Tools[0].Function.Parameters), `"required":["city"]`) ||
		string(got.Tools[1].Function.Parameters) != `{"type":"object","properties":{}}` {
		t.Fatalf("tools %+v", got.Tools)
	}
	if len(got.Messages) != 4 {
		t.Fatalf("messages %d: %v", len(got.Messages), got.Messages)
	}
	a, tool := got.Messages[2], got.Messages[3]
	if string(a["role"]) != `"assistant"` || string(a["content"]) != "null" ||
		string(a["tool_calls"]) != `[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]` {
		t.Fatalf("assistant message %s", a)
	}
	if string(tool["role"]) != `"tool"` || string(tool["tool_call_id"]) != `"call_abc"` || string(tool["content"]) != `"{\"sky\":\"sunny\"}"` {
		t.Fatalf("tool message %s", tool)
	}
}
