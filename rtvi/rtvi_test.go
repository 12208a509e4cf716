package rtvi

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The handshake exactly as docs/clients.md shows it (client-js 1.13.1 and
// Pipecat's own bot): the reply echoes the client-ready id.
func TestHandshake(t *testing.T) {
	in, err := Parse([]byte(`{"id":"a1b2c3d4","label":"rtvi-ai","type":"client-ready","data":{"version":"2.1.0","about":{"library":"@pipecat-ai/client-js","library_version":"1.13.1"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	cr, ok := in.(*ClientReady)
	if !ok || cr.ID != "a1b2c3d4" || cr.Data.Version != "2.1.0" || cr.Data.About.Library != "@pipecat-ai/client-js" || cr.Data.About.LibraryVersion != "1.13.1" {
		t.Fatalf("%T %+v", in, in)
	}
	b, err := Encode(TypeBotReady, cr.ID, ReadyData{Version: ProtocolVersion, About: &About{Library: "duplex"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"a1b2c3d4","label":"rtvi-ai","type":"bot-ready","data":{"version":"2.1.0","about":{"library":"duplex"}}}`; string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestEncode(t *testing.T) {
	seg, spoken := 3, true
	for _, tc := range []struct {
		typ  string
		data any
		want string
	}{
		{TypeUserStartedSpeaking, nil, `{"id":"m","label":"rtvi-ai","type":"user-started-speaking"}`},
		{TypeBotLLMStopped, nil, `{"id":"m","label":"rtvi-ai","type":"bot-llm-stopped"}`},
		{TypeUserTranscription, TranscriptData{Text: "what time", Final: false, Timestamp: "2026-12-06T04:00:00.000Z", UserID: "u"},
			`{"id":"m","label":"rtvi-ai","type":"user-transcription","data":{"text":"what time","final":false,"timestamp":"2026-12-06T04:00:00.000Z","user_id":"u"}}`},
		{TypeBotOutput, BotOutputData{Text: "It is noon.", AggregatedBy: "sentence", SegmentID: &seg, WillBeSpoken: &spoken, SpokenStatus: SpokenNew},
			`{"id":"m","label":"rtvi-ai","type":"bot-output","data":{"text":"It is noon.","aggregated_by":"sentence","segment_id":3,"will_be_spoken":true,"spoken_status":"new"}}`},
		{TypeBotOutput, BotOutputData{Text: "It is", SegmentID: &seg, SpokenStatus: SpokenInProgress, SpokenProgress: &SpokenProgress{AccumulatedText: "It is", RemainingText: " noon."}},
			`{"id":"m","label":"rtvi-ai","type":"bot-output","data":{"text":"It is","segment_id":3,"spoken_status":"in-progress","spoken_progress":{"accumulated_text":"It is","remaining_text":" noon."}}}`},
		{TypeBotTTSText, TextData{Text: "noon"}, `{"id":"m","label":"rtvi-ai","type":"bot-tts-text","data":{"text":"noon"}}`},
		{TypeMetrics, MetricsData{TTFB: []MetricValue{{Processor: "llm", Value: 0.25}}},
			`{"id":"m","label":"rtvi-ai","type":"metrics","data":{"ttfb":[{"processor":"llm","value":0.25}]}}`},
		{TypeError, ErrorData{Error: "brain unavailable", Fatal: true}, `{"id":"m","label":"rtvi-ai","type":"error","data":{"error":"brain unavailable","fatal":true}}`},
		{TypeServerResponse, ServerResponseData{T: "get-mode", D: map[string]string{"mode": "full"}},
			`{"id":"m","label":"rtvi-ai","type":"server-response","data":{"t":"get-mode","d":{"mode":"full"}}}`},
	} {
		b, err := Encode(tc.typ, "m", tc.data)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("got  %s\nwant %s", b, tc.want)
		}
	}
	if _, err := Encode(TypeMetrics, "m", func() {}); err == nil {
		t.Error("unencodable data accepted")
	}
	if a, b := NewID(), NewID(); a == b || len(a) != 16 {
		t.Errorf("ids %q %q", a, b)
	}
}

func TestParse(t *testing.T) {
	yes := true
	for _, tc := range []struct {
		in   string
		want Inbound
	}{
		{`ping: 1733456789000`, &Ping{Millis: 1733456789000}},
		{`{"type":"signalling","message":{"type":"trackStatus","receiver_index":1,"enabled":false}}`,
			&Signalling{Message: SignallingMessage{Type: SignalTrackStatus, ReceiverIndex: ptr(TrackVideo), Enabled: ptr(false)}}},
		{`{"id":"s1","label":"rtvi-ai","type":"send-text","data":{"content":"hello there","options":{"run_immediately":true}}}`,
			&SendText{ID: "s1", Data: SendTextData{Content: "hello there", Options: &SendTextOptions{RunImmediately: &yes}}}},
		{`{"id":"c1","label":"rtvi-ai","type":"client-message","data":{"t":"ping","d":{"n":1}}}`,
			&ClientMsg{ID: "c1", Data: ClientMessageData{T: "ping", D: json.RawMessage(`{"n":1}`)}}},
		{`{"id":"d1","label":"rtvi-ai","type":"disconnect-bot"}`, &DisconnectBot{ID: "d1"}},
		{`{"id":"d2","label":"rtvi-ai","type":"disconnect-bot","data":{}}`, &DisconnectBot{ID: "d2"}},
		{`{"id":"t1","label":"rtvi-ai","type":"dtmf","data":{"buttons":["1","#"]}}`, &DTMF{ID: "t1", Data: DTMFData{Buttons: []string{"1", "#"}}}},
		// Unknown fields are ignored.
		{`{"id":"x","label":"rtvi-ai","type":"disconnect-bot","extra":[1,2]}`, &DisconnectBot{ID: "x"}},
	} {
		got, err := Parse([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tc.in, got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in        string
		kind      error
		id        string
		replyType string
	}{
		{`ping: soon`, ErrMalformed, "", TypeError},
		{`pong`, ErrMalformed, "", TypeError},
		{`{`, ErrMalformed, "", TypeError},
		{`null`, ErrMalformed, "", TypeError},
		{`[1]`, ErrMalformed, "", TypeError},
		{`{"id":"a","label":"rtvi-ai"}`, ErrMissingField, "a", TypeErrorResponse},
		{`{"id":5,"label":"rtvi-ai","type":"send-text"}`, ErrInvalidValue, "", TypeError},
		{`{"id":"b","label":"rtvi-ai","type":9}`, ErrInvalidValue, "b", TypeErrorResponse},
		{`{"id":"c","type":"send-text","data":{"content":"x"}}`, ErrMissingField, "c", TypeErrorResponse},
		{`{"id":"d","label":"other","type":"send-text","data":{"content":"x"}}`, ErrInvalidValue, "d", TypeErrorResponse},
		{`{"id":"e","label":"rtvi-ai","type":"append-to-context","data":{}}`, ErrUnknownType, "e", TypeErrorResponse},
		{`{"id":"f","label":"rtvi-ai","type":"bot-ready","data":{"version":"2.1.0"}}`, ErrUnknownType, "f", TypeErrorResponse},
		{`{"id":"g","label":"rtvi-ai","type":"send-text"}`, ErrMissingField, "g", TypeErrorResponse},
		{`{"id":"h","label":"rtvi-ai","type":"send-text","data":{"content":"  "}}`, ErrMissingField, "h", TypeErrorResponse},
		{`{"id":"i","label":"rtvi-ai","type":"send-text","data":{"content":3}}`, ErrInvalidValue, "i", TypeErrorResponse},
		{`{"id":"j","label":"rtvi-ai","type":"send-text","data":"hello"}`, ErrInvalidValue, "j", TypeErrorResponse},
		{`{"id":"k","label":"rtvi-ai","type":"client-ready","data":{}}`, ErrMissingField, "k", TypeErrorResponse},
		{`{"id":"l","label":"rtvi-ai","type":"client-message","data":{"d":1}}`, ErrMissingField, "l", TypeErrorResponse},
		{`{"id":"m","label":"rtvi-ai","type":"dtmf","data":{"buttons":["12"]}}`, ErrInvalidValue, "m", TypeErrorResponse},
		{`{"id":"n","label":"rtvi-ai","type":"dtmf","data":{"buttons":[]}}`, ErrMissingField, "n", TypeErrorResponse},
		{`{"type":"signalling"}`, ErrMissingField, "", TypeError},
		{`{"type":"signalling","message":"renegotiate"}`, ErrInvalidValue, "", TypeError},
		{`{"type":"signalling","message":{}}`, ErrMissingField, "", TypeError},
	} {
		got, err := Parse([]byte(tc.in))
		var pe *Error
		if got != nil || !errors.As(err, &pe) || !errors.Is(err, tc.kind) || pe.ID != tc.id {
			t.Errorf("%s: got %T %v (%+v), want %v id %q", tc.in, got, err, pe, tc.kind, tc.id)
			continue
		}
		var reply Message
		if err := json.Unmarshal(pe.Reply(), &reply); err != nil {
			t.Fatal(err)
		}
		var data ErrorData
		if err := json.Unmarshal(reply.Data, &data); err != nil || reply.Label != Label || reply.Type != tc.replyType ||
			reply.ID != tc.id || data.Error != pe.Message || data.Fatal {
			t.Errorf("%s: reply %s", tc.in, pe.Reply())
		}
	}
}

func TestTypeErrorMessage(t *testing.T) {
	_, err := Parse([]byte(`{"id":"i","label":"rtvi-ai","type":"send-text","data":{"content":3}}`))
	if err == nil || !strings.Contains(err.Error(), "data.content must be a string") {
		t.Errorf("%v", err)
	}
	_, err = ParsePatch([]byte(`{"pc_id":"a","candidates":{}}`))
	if err == nil || !strings.Contains(err.Error(), "candidates must be an array") {
		t.Errorf("%v", err)
	}
}

func TestSignallingEncode(t *testing.T) {
	if got, want := string(EncodeSignalling(SignallingMessage{Type: SignalRenegotiate})), `{"type":"signalling","message":{"type":"renegotiate"}}`; got != want {
		t.Errorf("got %s want %s", got, want)
	}
}
