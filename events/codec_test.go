package events

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/pipeline"
)

const goldenCall = "5f0c3b9e8a7d41e2b6c09a1d2e3f4a5b"

// goldenServer names the internal event behind each golden server message
// in testdata/golden/server, recorded from the code before the codec.
var goldenServer = map[string]pipeline.Event{
	"session_ready":        pipeline.Ready{CallID: goldenCall, Mode: pipeline.ModeFullDuplex, Pipeline: "assistant", Engines: map[string]string{"stt": "sphinx", "llm": "local", "tts": "espeak"}},
	"session_ready_echo":   pipeline.Ready{CallID: goldenCall, Mode: pipeline.ModeFullDuplex, Pipeline: "echo", Engines: map[string]string{"stt": "none", "llm": "none", "tts": "none"}},
	"session_ready_update": pipeline.Ready{CallID: goldenCall, Mode: pipeline.ModeHalfDuplex, Pipeline: "assistant"},
	"state_listening":      pipeline.StateChanged{State: pipeline.StateListening},
	"state_user_speaking":  pipeline.StateChanged{State: pipeline.StateUserSpeaking},
	"state_thinking":       pipeline.StateChanged{State: pipeline.StateThinking},
	"state_speaking":       pipeline.StateChanged{State: pipeline.StateSpeaking},
	// Added with turn_id (not recorded from the old code, which had none).
	"state_speaking_turn":       pipeline.StateChanged{State: pipeline.StateSpeaking, TurnID: 3},
	"transcript_final":          pipeline.TranscriptFinal{TurnID: 3, Text: "What's the weather like tomorrow?"},
	"reply_delta":               pipeline.ReplyDelta{TurnID: 3, Text: " Tomorrow looks"},
	"reply_done":                pipeline.ReplyDone{TurnID: 3, Text: "Tomorrow looks sunny, with a high of 21 degrees."},
	"reply_done_empty":          pipeline.ReplyDone{TurnID: 2},
	"reply_interrupted":         pipeline.ReplyInterrupted{TurnID: 3, Heard: "Tomorrow looks sunny,", Text: "Tomorrow looks sunny, with a high of"},
	"reply_interrupted_unheard": pipeline.ReplyInterrupted{TurnID: 4, Text: "Tomorrow"},
	// Added with the close reason and partial turns of a call's end.
	"reply_interrupted_ended":  pipeline.ReplyInterrupted{TurnID: 3, Heard: "Tomorrow looks sunny,", Text: "Tomorrow looks sunny, with a high of", Reason: "server_shutdown"},
	"transcript_final_partial": pipeline.TranscriptFinal{TurnID: 4, Text: "what is", Partial: true},
	// Added with the recogniser's rejection of speech it does not know.
	"transcript_final_heard":    pipeline.TranscriptFinal{TurnID: 5, Text: "go forward ten meters", Understood: new(bool)},
	"turn_metrics":              pipeline.TurnMetrics{TurnID: 3, Metrics: pipeline.Metrics{LatencyMS: 742.5, EndpointMS: 300, STTMS: 120.4, LLMFirstTokenMS: 180.2, TTSFirstAudioMS: 95.1, SpeechDurationMS: 1830}},
	"turn_metrics_text":         pipeline.TurnMetrics{TurnID: 5, Metrics: pipeline.Metrics{LatencyMS: 12.25}},
	"error_backend":             pipeline.Error{Code: pipeline.CodeBackendFailed, Message: "llm: connection refused"},
	"error_unsupported_echo":    pipeline.Error{Code: pipeline.CodeUnsupported, Message: "the echo pipeline only echoes audio; input.text has no effect"},
	"error_unsupported_canned":  pipeline.Error{Code: pipeline.CodeUnsupported, Message: "the canned pipeline answers every turn with the same recorded reply; session.update has no effect"},
	"error_binary":              pipeline.Error{Code: pipeline.CodeBadMessage, Message: "binary messages are not supported; send JSON text"},
	"error_queue_full":          pipeline.Error{Code: pipeline.CodeTooLarge, Message: "too many commands queued; slow down"},
	"error_rate_limited":        pipeline.Error{Code: pipeline.CodeRateLimited, Message: "more than 20 messages per second on the events channel: messages are being dropped"},
	"session_ending":            pipeline.Ending{Reason: "server_shutdown", DeadlineMS: 29999},
	"session_ending_nodeadline": pipeline.Ending{Reason: "server_shutdown"},
	// Added with tool calls.
	"tool_started":     pipeline.ToolStarted{TurnID: 3, CallID: "call_abc", Name: "slow_lookup"},
	"tool_done":        pipeline.ToolDone{TurnID: 3, CallID: "call_abc", Name: "slow_lookup", DurationMS: 812.5},
	"tool_done_failed": pipeline.ToolDone{TurnID: 3, CallID: "call_def", Name: "counter", Error: "tools: tool timed out after 10s", DurationMS: 10000},
}

func golden(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

func encodeOne(t *testing.T, ev pipeline.Event) string {
	t.Helper()
	msgs, err := Codec{}.Encode(ev)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Encode(%#v) = %d messages, %v; want 1", ev, len(msgs), err)
	}
	return string(msgs[0])
}

func TestCodecEncodeGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/server/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			ev, ok := goldenServer[name]
			if !ok {
				t.Fatalf("golden %s has no internal event in goldenServer", name)
			}
			if got, want := encodeOne(t, ev), golden(t, f); got != want {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
	if len(files) != len(goldenServer) {
		t.Fatalf("%d golden files, %d cases", len(files), len(goldenServer))
	}
}

// commandJSON is the old events.Command JSON of an internal command, the
// form the command goldens were recorded in.
func commandJSON(t *testing.T, c pipeline.Command) string {
	t.Helper()
	b, err := json.Marshal(Command{Type: string(c.Kind), Text: c.Text, Mode: string(c.Mode)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCodecDecodeGolden(t *testing.T) {
	ins, err := filepath.Glob("testdata/golden/commands/*.in")
	if err != nil || len(ins) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, in := range ins {
		base := strings.TrimSuffix(in, ".in")
		t.Run(filepath.Base(base), func(t *testing.T) {
			msg, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			cmd, err := Codec{}.Decode(msg, true)
			if _, statErr := os.Stat(base + ".error.json"); statErr == nil {
				var pe pipeline.Error
				if !errors.As(err, &pe) {
					t.Fatalf("Decode = %+v, %v; want a pipeline.Error", cmd, err)
				}
				if got, want := encodeOne(t, pe), golden(t, base+".error.json"); got != want {
					t.Fatalf("error reply\ngot  %s\nwant %s", got, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got, want := commandJSON(t, cmd), golden(t, base+".command.json"); got != want {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestCodecBinaryRejected(t *testing.T) {
	_, err := Codec{}.Decode([]byte(`{"type":"response.cancel"}`), false)
	var pe pipeline.Error
	if !errors.As(err, &pe) {
		t.Fatalf("binary message: %v, want a pipeline.Error", err)
	}
	if got, want := encodeOne(t, pe), golden(t, "testdata/golden/server/error_binary.json"); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestCodecModeChangedHasNoMessage(t *testing.T) {
	msgs, err := Codec{}.Encode(pipeline.ModeChanged{Mode: pipeline.ModeHalfDuplex})
	if err != nil || len(msgs) != 0 {
		t.Fatalf("Encode(ModeChanged) = %q, %v; want nothing", msgs, err)
	}
}
