package rtvi

import "encoding/json"

// Server messages that show the bot's function calls (RTVI 2.x; Pipecat
// client-js onLLMFunctionCallStarted / InProgress / Stopped).
const (
	TypeLLMFunctionCallStarted    = "llm-function-call-started"
	TypeLLMFunctionCallInProgress = "llm-function-call-in-progress"
	TypeLLMFunctionCallStopped    = "llm-function-call-stopped"
)

// FunctionCallStartedData is llm-function-call-started.
type FunctionCallStartedData struct {
	FunctionName string `json:"function_name,omitempty"`
}

// FunctionCallInProgressData is llm-function-call-in-progress; Arguments
// is a JSON object.
type FunctionCallInProgressData struct {
	FunctionName string          `json:"function_name,omitempty"`
	ToolCallID   string          `json:"tool_call_id"`
	Arguments    json.RawMessage `json:"arguments,omitempty"`
}

// FunctionCallStoppedData is llm-function-call-stopped: Cancelled when
// the call never ran, else Result (any JSON value).
type FunctionCallStoppedData struct {
	FunctionName string          `json:"function_name,omitempty"`
	ToolCallID   string          `json:"tool_call_id"`
	Cancelled    bool            `json:"cancelled"`
	Result       json.RawMessage `json:"result,omitempty"`
}
