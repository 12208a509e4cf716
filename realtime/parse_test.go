package realtime

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseClientEventValid(t *testing.T) {
	for _, tc := range []struct {
		in    string
		check func(t *testing.T, ev Event)
	}{
		// What @openai/agents-realtime 0.20.0 sends first (docs/clients.md).
		{`{"type":"session.update","session":{"type":"realtime","instructions":"Be brief.","model":"gpt-realtime-2.1","output_modalities":["audio"],"audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"noise_reduction":null,"transcription":{"model":"gpt-4o-mini-transcribe"},"turn_detection":{"type":"semantic_vad"}},"output":{"format":{"type":"audio/pcm","rate":24000},"speed":1}}}}`,
			func(t *testing.T, ev Event) {
				s := ev.(*SessionUpdate).Session
				if *s.Instructions != "Be brief." || s.OutputModalities[0] != ModalityAudio ||
					s.Audio.Input.TurnDetection.Value.Type != TurnSemanticVAD || !s.Audio.Input.NoiseReduction.IsNull() ||
					s.Audio.Input.Transcription.Value.Model != "gpt-4o-mini-transcribe" || *s.Audio.Output.Speed != 1 {
					t.Errorf("session %+v", s)
				}
			}},
		{`{"type":"session.update","session":{"audio":{"input":{"turn_detection":{"type":"server_vad","threshold":0.6,"prefix_padding_ms":200,"silence_duration_ms":700}},"output":{"voice":"verse"}}}}`,
			func(t *testing.T, ev Event) {
				s := ev.(*SessionUpdate).Session
				td := s.Audio.Input.TurnDetection.Value
				if *td.Threshold != 0.6 || *td.PrefixPaddingMs != 200 || *td.SilenceDurationMs != 700 || s.Audio.Output.Voice != "verse" || s.Instructions != nil {
					t.Errorf("session %+v td %+v", s, td)
				}
			}},
		{`{"type":"conversation.item.create","event_id":"c1","item":{"type":"message","role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,iVBO","detail":"low"}]}}`,
			func(t *testing.T, ev Event) {
				c := ev.(*ConversationItemCreate)
				if c.EventID != "c1" || c.Item.Content[0].ImageURL != "data:image/png;base64,iVBO" || c.Item.Content[0].Detail != "low" {
					t.Errorf("%+v", c)
				}
			}},
		{`{"type":"conversation.item.truncate","item_id":"item_a1","content_index":0,"audio_end_ms":0}`,
			func(t *testing.T, ev Event) {
				if tr := ev.(*ConversationItemTruncate); tr.ItemID != "item_a1" || tr.AudioEndMs != 0 {
					t.Errorf("%+v", tr)
				}
			}},
		{`{"type":"response.create","event_id":"agents_js_response_create_3"}`,
			func(t *testing.T, ev Event) {
				if r := ev.(*ResponseCreate); r.Response != nil || r.ID() != "agents_js_response_create_3" {
					t.Errorf("%+v", r)
				}
			}},
		// Unknown fields are ignored.
		{`{"type":"response.cancel","response_id":"resp_1","x_extra":{"a":[1]}}`,
			func(t *testing.T, ev Event) {
				if r := ev.(*ResponseCancel); r.ResponseID != "resp_1" {
					t.Errorf("%+v", r)
				}
			}},
		{`  {"type":"output_audio_buffer.clear"}  `,
			func(t *testing.T, ev Event) {
				if _, ok := ev.(*OutputAudioBufferClear); !ok {
					t.Errorf("%T", ev)
				}
			}},
	} {
		ev, err := ParseClientEvent([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		tc.check(t, ev)
	}
}

func TestParseClientEventErrors(t *testing.T) {
	for _, tc := range []struct {
		in      string
		kind    error
		code    string
		param   string
		eventID string
	}{
		{``, ErrMalformed, CodeInvalidJSON, "", ""},
		{`{`, ErrMalformed, CodeInvalidJSON, "", ""},
		{`null`, ErrMalformed, CodeInvalidJSON, "", ""},
		{`[{"type":"response.create"}]`, ErrMalformed, CodeInvalidJSON, "", ""},
		{`"response.create"`, ErrMalformed, CodeInvalidJSON, "", ""},
		{`ping: 12345`, ErrMalformed, CodeInvalidJSON, "", ""},
		{`{"event_id":"e1"}`, ErrMissingField, CodeMissingParameter, "type", "e1"},
		{`{"type":null}`, ErrMissingField, CodeMissingParameter, "type", ""},
		{`{"type":7,"event_id":"e2"}`, ErrInvalidValue, CodeInvalidValue, "type", "e2"},
		{`{"type":"response.create","event_id":5}`, ErrInvalidValue, CodeInvalidValue, "event_id", ""},
		{`{"type":"session.create","event_id":"e3"}`, ErrUnknownType, CodeUnknownEvent, "type", "e3"},
		{`{"type":"response.created"}`, ErrUnknownType, CodeUnknownEvent, "type", ""},
		{`{"type":"session.update","event_id":"e4"}`, ErrMissingField, CodeMissingParameter, "session", "e4"},
		{`{"type":"session.update","session":null}`, ErrMissingField, CodeMissingParameter, "session", ""},
		{`{"type":"input_audio_buffer.append"}`, ErrMissingField, CodeMissingParameter, "audio", ""},
		{`{"type":"conversation.item.truncate","item_id":"a","audio_end_ms":5}`, ErrMissingField, CodeMissingParameter, "content_index", ""},
		{`{"type":"conversation.item.retrieve","event_id":"e5","item_id":3}`, ErrInvalidValue, CodeInvalidValue, "item_id", "e5"},
		{`{"type":"conversation.item.truncate","item_id":"a","content_index":0,"audio_end_ms":1.5}`, ErrInvalidValue, CodeInvalidValue, "audio_end_ms", ""},
		{`{"type":"conversation.item.truncate","item_id":"a","content_index":0,"audio_end_ms":-1}`, ErrInvalidValue, CodeInvalidAudioEndMs, "audio_end_ms", ""},
		{`{"type":"session.update","session":{"type":"translation"}}`, ErrInvalidValue, CodeInvalidValue, "session.type", ""},
		{`{"type":"session.update","session":{"output_modalities":["video"]}}`, ErrInvalidValue, CodeInvalidValue, "session.output_modalities", ""},
		{`{"type":"session.update","session":{"audio":{"input":{"turn_detection":{"type":"push"}}}}}`, ErrInvalidValue, CodeInvalidValue, "session.audio.input.turn_detection.type", ""},
		{`{"type":"session.update","session":{"audio":{"input":{"turn_detection":{}}}}}`, ErrMissingField, CodeMissingParameter, "session.audio.input.turn_detection.type", ""},
		{`{"type":"session.update","session":{"audio":{"input":{"turn_detection":{"type":"semantic_vad","eagerness":"eager"}}}}}`, ErrInvalidValue, CodeInvalidValue, "session.audio.input.turn_detection.eagerness", ""},
		{`{"type":"session.update","session":{"audio":{"input":{"turn_detection":{"type":"server_vad","threshold":1.5}}}}}`, ErrInvalidValue, CodeInvalidValue, "session.audio.input.turn_detection.threshold", ""},
		{`{"type":"session.update","session":{"audio":{"input":{"turn_detection":{"type":"server_vad","silence_duration_ms":-5}}}}}`, ErrInvalidValue, CodeInvalidValue, "session.audio.input.turn_detection.silence_duration_ms", ""},
		{`{"type":"session.update","session":{"audio":{"input":{"format":{"type":"audio/pcm","rate":16000}}}}}`, ErrInvalidValue, CodeInvalidValue, "session.audio.input.format.rate", ""},
		{`{"type":"session.update","session":{"audio":{"output":{"format":{"type":"pcm16"}}}}}`, ErrInvalidValue, CodeInvalidValue, "session.audio.output.format.type", ""},
		{`{"type":"session.update","session":{"audio":{"output":{"speed":3}}}}`, ErrInvalidValue, CodeInvalidValue, "session.audio.output.speed", ""},
		{`{"type":"session.update","session":{"instructions":5}}`, ErrInvalidValue, CodeInvalidValue, "session.instructions", ""},
		{`{"type":"conversation.item.create","item":{}}`, ErrMissingField, CodeMissingParameter, "item.type", ""},
		{`{"type":"conversation.item.create","item":{"type":"message"}}`, ErrMissingField, CodeMissingParameter, "item.role", ""},
		{`{"type":"conversation.item.create","item":{"type":"message","role":"robot"}}`, ErrInvalidValue, CodeInvalidValue, "item.role", ""},
		{`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"output_text","text":"x"}]}}`, ErrInvalidValue, CodeInvalidValue, "item.content[0].type", ""},
		{`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text"}]}}`, ErrMissingField, CodeMissingParameter, "item.content[0].text", ""},
		{`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"text":"x"}]}}`, ErrMissingField, CodeMissingParameter, "item.content[0].type", ""},
		{`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"x"},{"type":"input_image"}]}}`, ErrMissingField, CodeMissingParameter, "item.content[1].image_url", ""},
		{`{"type":"conversation.item.create","item":{"type":"message","role":"system","content":[{"type":"input_image","image_url":"data:image/png;base64,AA"}]}}`, ErrInvalidValue, CodeInvalidValue, "item.content[0].type", ""},
		{`{"type":"conversation.item.create","item":{"type":"reasoning"}}`, ErrInvalidValue, CodeInvalidValue, "item.type", ""},
		{`{"type":"response.create","response":{"conversation":"new"}}`, ErrInvalidValue, CodeInvalidValue, "response.conversation", ""},
		{`{"type":"response.create","response":{"input":[{"type":"message","role":"user","content":[{"type":"input_text"}]}]}}`, ErrMissingField, CodeMissingParameter, "response.input[0].content[0].text", ""},
	} {
		ev, err := ParseClientEvent([]byte(tc.in))
		if err == nil {
			t.Errorf("%s: accepted as %T", tc.in, ev)
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %T %v is not *Error", tc.in, err, err)
			continue
		}
		if ev != nil || !errors.Is(err, tc.kind) || pe.Code != tc.code || pe.Param != tc.param || pe.EventID != tc.eventID || pe.Message == "" {
			t.Errorf("%s:\n got kind=%v code=%s param=%s event_id=%s msg=%q\nwant kind=%v code=%s param=%s event_id=%s",
				tc.in, pe.Kind, pe.Code, pe.Param, pe.EventID, pe.Message, tc.kind, tc.code, tc.param, tc.eventID)
		}
	}
}

// Type errors name the JSON expected, not the Go type.
func TestTypeErrorMessages(t *testing.T) {
	for in, want := range map[string]string{
		`{"type":"session.update","session":{"audio":{"input":{"turn_detection":5}}}}`:             "session.audio.input.turn_detection must be an object, not number",
		`{"type":"conversation.item.truncate","item_id":"a","content_index":0,"audio_end_ms":"1"}`: "audio_end_ms must be an integer, not string",
		`{"type":"session.update","session":{"output_modalities":"audio"}}`:                        "session.output_modalities must be an array, not string",
	} {
		_, err := ParseClientEvent([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

func TestParseServerEventErrors(t *testing.T) {
	for _, tc := range []struct {
		in    string
		kind  error
		param string
	}{
		// The official client ignores an event without event_id; so does Duplex as a client.
		{`{"type":"session.created","session":{}}`, ErrMissingField, "event_id"},
		{`{"type":"response.output_audio.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"content_index":0}`, ErrMissingField, "delta"},
		{`{"type":"response.output_audio_transcript.delta","event_id":"e","item_id":"i","output_index":0,"content_index":0,"delta":"x"}`, ErrMissingField, "response_id"},
		{`{"type":"mcp_list_tools.in_progress","event_id":"e"}`, ErrUnknownType, "type"},
		{`{"type":"session.update","event_id":"e","session":{}}`, ErrUnknownType, "type"},
		{`{"type":"response.done","event_id":"e","response":{"id":"r","output":{}}}`, ErrInvalidValue, "response.output"},
		{`{`, ErrMalformed, ""},
	} {
		_, err := ParseServerEvent([]byte(tc.in))
		var pe *Error
		if !errors.As(err, &pe) || !errors.Is(err, tc.kind) || pe.Param != tc.param {
			t.Errorf("%s: got %v (param %v), want %v on %q", tc.in, err, pe, tc.kind, tc.param)
		}
	}
}

// A tool call as the GA server streams it: the function_call item, its
// arguments in deltas, then done with the whole arguments.
func TestParseFunctionCallEvents(t *testing.T) {
	ev, err := ParseServerEvent([]byte(`{"type":"response.output_item.added","event_id":"e1","response_id":"resp_1","output_index":0,"item":{"id":"item_f1","object":"realtime.item","type":"function_call","status":"in_progress","call_id":"call_1","name":"slow_lookup","arguments":""}}`))
	if err != nil {
		t.Fatal(err)
	}
	if it := ev.(*ResponseOutputItemAdded).Item; it.Type != ItemFunctionCall || it.CallID != "call_1" || it.Name != "slow_lookup" {
		t.Errorf("item %+v", it)
	}
	ev, err = ParseServerEvent([]byte(`{"type":"response.function_call_arguments.delta","event_id":"e2","response_id":"resp_1","item_id":"item_f1","output_index":0,"call_id":"call_1","delta":"{\"q\":"}`))
	if err != nil {
		t.Fatal(err)
	}
	if d := ev.(*ResponseFunctionCallArgumentsDelta); d.CallID != "call_1" || d.Delta != `{"q":` || d.ItemID != "item_f1" {
		t.Errorf("delta %+v", d)
	}
	ev, err = ParseServerEvent([]byte(`{"type":"response.function_call_arguments.done","event_id":"e3","response_id":"resp_1","item_id":"item_f1","output_index":0,"call_id":"call_1","name":"slow_lookup","arguments":"{\"q\":\"x\"}"}`))
	if err != nil {
		t.Fatal(err)
	}
	if d := ev.(*ResponseFunctionCallArgumentsDone); d.CallID != "call_1" || d.Name != "slow_lookup" || d.Arguments != `{"q":"x"}` || d.ResponseID != "resp_1" {
		t.Errorf("done %+v", d)
	}
	for in, param := range map[string]string{
		`{"type":"response.function_call_arguments.done","event_id":"e","response_id":"r","item_id":"i","output_index":0,"arguments":"{}"}`: "call_id",
		`{"type":"response.function_call_arguments.done","event_id":"e","response_id":"r","item_id":"i","output_index":0,"call_id":"c"}`:    "arguments",
		`{"type":"response.function_call_arguments.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"call_id":"c"}`:   "delta",
	} {
		_, err := ParseServerEvent([]byte(in))
		var pe *Error
		if !errors.As(err, &pe) || !errors.Is(err, ErrMissingField) || pe.Param != param {
			t.Errorf("%s: got %v, want missing %s", in, err, param)
		}
	}
	// The client's answer: a function_call_output item.
	ev, err = ParseClientEvent([]byte(`{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"call_1","output":"{\"answer\":42}"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if it := ev.(*ConversationItemCreate).Item; it.Type != ItemFunctionCallOutput || it.CallID != "call_1" || it.Output != `{"answer":42}` {
		t.Errorf("output item %+v", it)
	}
	b, err := Marshal(&SessionUpdate{Session: Session{Tools: toolsJSON(t, []FunctionTool{{Type: ToolFunction, Name: "f", Parameters: []byte(`{"type":"object"}`)}})}}, NewIDsPrefix("t"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `"tools":[{"type":"function","name":"f","parameters":{"type":"object"}}]`; !strings.Contains(string(b), want) {
		t.Errorf("session.update %s lacks %s", b, want)
	}
}

func toolsJSON(t *testing.T, v []FunctionTool) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
