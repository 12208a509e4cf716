package clients

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/rtvi"
)

// rtviTurn is a handshake, one turn and an interruption as Duplex will send
// them on chat, encoded by the rtvi package, plus a signalling message.
func rtviTurn(t *testing.T) []string {
	t.Helper()
	seg := 1
	yes := true
	msgs := []struct {
		typ, id string
		data    any
	}{
		{rtvi.TypeBotReady, "a1b2c3d4", rtvi.ReadyData{Version: rtvi.ProtocolVersion, About: &rtvi.About{Library: "duplex"}}},
		{rtvi.TypeUserStartedSpeaking, "", nil},
		{rtvi.TypeUserTranscription, "", rtvi.TranscriptData{Text: "what time", Timestamp: "2026-12-06T04:00:00.000Z", UserID: "user"}},
		{rtvi.TypeUserStoppedSpeaking, "", nil},
		{rtvi.TypeUserTranscription, "", rtvi.TranscriptData{Text: "what time is it", Final: true, Timestamp: "2026-12-06T04:00:01.000Z", UserID: "user"}},
		{rtvi.TypeBotLLMStarted, "", nil},
		{rtvi.TypeBotLLMText, "", rtvi.TextData{Text: "It is noon."}},
		{rtvi.TypeBotLLMStopped, "", nil},
		{rtvi.TypeBotTTSStarted, "", nil},
		{rtvi.TypeBotOutput, "", rtvi.BotOutputData{Text: "It is noon.", AggregatedBy: "sentence", SegmentID: &seg, WillBeSpoken: &yes, SpokenStatus: rtvi.SpokenNew}},
		{rtvi.TypeBotStartedSpeaking, "", nil},
		{rtvi.TypeBotTTSText, "", rtvi.TextData{Text: "It"}},
		// Barge-in: the user speaks over the reply.
		{rtvi.TypeUserStartedSpeaking, "", nil},
		{rtvi.TypeBotStoppedSpeaking, "", nil},
		{rtvi.TypeBotTTSStopped, "", nil},
		{rtvi.TypeMetrics, "", rtvi.MetricsData{TTFB: []rtvi.MetricValue{{Processor: "duplex", Value: 0.42}}}},
		{rtvi.TypeError, "", rtvi.ErrorData{Error: "brain timed out", Fatal: false}},
	}
	var out []string
	for _, m := range msgs {
		b, err := rtvi.Encode(m.typ, m.id, m.data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return append(out, string(rtvi.EncodeSignalling(rtvi.SignallingMessage{Type: rtvi.SignalPeerLeft})))
}

// rtviReplayJS feeds chat messages to the real SmallWebRTCTransport's
// message handler under a PipecatClient and records its callbacks.
const rtviReplayJS = `(async (msgs) => {
	const m = window.DuplexPipecat;
	const calls = [];
	const cb = (name) => (data) => calls.push(data === undefined ? [name] : [name, data]);
	const names = ['onBotReady', 'onUserStartedSpeaking', 'onUserStoppedSpeaking', 'onBotStartedSpeaking',
		'onBotStoppedSpeaking', 'onUserTranscript', 'onBotOutput', 'onBotLlmText', 'onBotLlmStarted', 'onBotLlmStopped',
		'onBotTtsText', 'onBotTtsStarted', 'onBotTtsStopped', 'onMetrics', 'onError', 'onBotDisconnected'];
	const callbacks = Object.fromEntries(names.map((n) => [n, cb(n)]));
	const transport = m.createTransport();
	new m.PipecatClient({ transport, enableMic: false, enableCam: false, callbacks });
	for (const msg of msgs) transport.handleMessage(msg);
	await new Promise((r) => setTimeout(r, 0));
	return calls.map(([n, d]) => n === 'onError' ? [n, { type: d.type, data: d.data }] : n === 'onBotDisconnected' ? [n] : (d === undefined ? [n] : [n, d]));
})(%s)`

// replayPipecat feeds chat messages msgs to the real client (rtviReplayJS,
// with the callbacks extra recorded too) in Chromium and checks the
// callbacks it made, in order, against want (JSON [name, data] pairs).
func replayPipecat(t *testing.T, msgs []string, extra []string, want []string) {
	t.Helper()
	s := newStub(t, "pipecat", 404, `{}`)
	b := newBrowser(t, s.URL+"/")
	js := rtviReplayJS
	if len(extra) > 0 {
		names, _ := json.Marshal(extra)
		js = strings.Replace(js, "'onBotDisconnected'];", "'onBotDisconnected', ..."+string(names)+"];", 1)
	}
	arg, _ := json.Marshal(msgs)
	var got []json.RawMessage
	b.eval(strings.Replace(js, "%s", string(arg), 1), &got)
	var g, w []any
	for _, r := range got {
		var v any
		_ = json.Unmarshal(r, &v)
		g = append(g, v)
	}
	for _, s := range want {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		w = append(w, v)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("callbacks:\n got %s\nwant %s", got, want)
	}
}

// TestPipecatReplayTurn: messages encoded by package rtvi reach the real
// client's callbacks in order, with their data intact; the interruption
// shows as user-started-speaking then bot-stopped-speaking.
func TestPipecatReplayTurn(t *testing.T) {
	want := []string{
		`["onBotReady",{"about":{"library":"duplex"},"version":"2.1.0"}]`,
		`["onUserStartedSpeaking"]`,
		`["onUserTranscript",{"final":false,"text":"what time","timestamp":"2026-12-06T04:00:00.000Z","user_id":"user"}]`,
		`["onUserStoppedSpeaking"]`,
		`["onUserTranscript",{"final":true,"text":"what time is it","timestamp":"2026-12-06T04:00:01.000Z","user_id":"user"}]`,
		`["onBotLlmStarted"]`,
		`["onBotLlmText",{"text":"It is noon."}]`,
		`["onBotLlmStopped"]`,
		`["onBotTtsStarted"]`,
		`["onBotOutput",{"aggregated_by":"sentence","segment_id":1,"spoken_status":"new","text":"It is noon.","will_be_spoken":true}]`,
		`["onBotStartedSpeaking"]`,
		`["onBotTtsText",{"text":"It"}]`,
		`["onUserStartedSpeaking"]`,
		`["onBotStoppedSpeaking"]`,
		`["onBotTtsStopped"]`,
		`["onMetrics",{"ttfb":[{"processor":"duplex","value":0.42}]}]`,
		`["onError",{"data":{"error":"brain timed out","fatal":false},"type":"error"}]`,
		`["onBotDisconnected"]`,
	}
	replayPipecat(t, rtviTurn(t), nil, want)
}
