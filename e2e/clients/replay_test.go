package clients

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/realtime"
)

// minimalTurn is one user turn and one spoken reply as Duplex will send
// them on oai-events (the sequence of docs/clients.md), built from the
// realtime package's types.
func minimalTurn(t *testing.T) []string {
	t.Helper()
	const (
		u, a, r    = "item_u1", "item_a1", "resp_1"
		transcript = "What time is it?"
		reply      = "It is noon."
	)
	str := func(s string) *string { return &s }
	prev := str(u)
	instructions := "Be brief."
	sess := realtime.Session{
		Type: realtime.SessionRealtime, Object: "realtime.session", ID: "sess_1", Model: "duplex",
		Instructions: &instructions, OutputModalities: []string{realtime.ModalityAudio},
		Audio: &realtime.SessionAudio{
			Input: &realtime.AudioInput{
				Format:        &realtime.AudioFormat{Type: realtime.FormatPCM, Rate: 24000},
				TurnDetection: realtime.Some(realtime.TurnDetection{Type: realtime.TurnServerVAD}),
			},
			Output: &realtime.AudioOutput{Format: &realtime.AudioFormat{Type: realtime.FormatPCM, Rate: 24000}, Voice: "duplex"},
		},
	}
	user := func(status string, tr *string) realtime.Item {
		return realtime.Item{ID: u, Object: "realtime.item", Type: realtime.ItemMessage, Role: realtime.RoleUser, Status: status,
			Content: []realtime.ContentPart{{Type: realtime.PartInputAudio, Transcript: tr}}}
	}
	asst := func(status string, tr *string) realtime.Item {
		it := realtime.Item{ID: a, Object: "realtime.item", Type: realtime.ItemMessage, Role: realtime.RoleAssistant, Status: status}
		if tr != nil {
			it.Content = []realtime.ContentPart{{Type: realtime.PartOutputAudio, Transcript: tr}}
		}
		return it
	}
	part := realtime.ContentRef{ResponseID: r, ItemID: a}
	out := realtime.OutputItemRef{ResponseID: r}
	done := asst(realtime.StatusCompleted, str(reply))
	evs := []realtime.Event{
		&realtime.SessionCreated{Session: sess},
		&realtime.SessionUpdated{Session: sess},
		&realtime.InputAudioBufferSpeechStarted{ItemID: u, AudioStartMs: 120},
		&realtime.InputAudioBufferSpeechStopped{ItemID: u, AudioEndMs: 1400},
		&realtime.InputAudioBufferCommitted{ItemID: u},
		&realtime.ConversationItemAdded{Item: user(realtime.StatusInProgress, nil)},
		&realtime.ConversationItemDone{Item: user(realtime.StatusCompleted, nil)},
		&realtime.InputTranscriptionCompleted{ItemID: u, Transcript: transcript},
		// What Duplex answers the client's conversation.item.retrieve with.
		&realtime.ConversationItemRetrieved{Item: user(realtime.StatusCompleted, str(transcript))},
		&realtime.ResponseCreated{Response: realtime.Response{ID: r, Object: "realtime.response", Status: realtime.StatusInProgress}},
		&realtime.ResponseOutputItemAdded{OutputItemRef: out, Item: asst(realtime.StatusInProgress, nil)},
		&realtime.ConversationItemAdded{PreviousItemID: prev, Item: asst(realtime.StatusInProgress, nil)},
		&realtime.ResponseContentPartAdded{ContentRef: part, Part: realtime.ContentPart{Type: realtime.PartOutputAudio, Transcript: str("")}},
		&realtime.OutputAudioBufferStarted{ResponseID: r},
		&realtime.ResponseOutputAudioTranscriptDelta{ContentRef: part, Delta: "It is "},
		&realtime.ResponseOutputAudioTranscriptDelta{ContentRef: part, Delta: "noon."},
		&realtime.ResponseOutputAudioDone{ContentRef: part},
		&realtime.ResponseOutputAudioTranscriptDone{ContentRef: part, Transcript: reply},
		&realtime.ResponseContentPartDone{ContentRef: part, Part: realtime.ContentPart{Type: realtime.PartOutputAudio, Transcript: str(reply)}},
		&realtime.ResponseOutputItemDone{OutputItemRef: out, Item: done},
		&realtime.ConversationItemDone{PreviousItemID: prev, Item: done},
		&realtime.ResponseDone{Response: realtime.Response{ID: r, Object: "realtime.response", Status: realtime.StatusCompleted,
			Output: []realtime.Item{done}, Usage: &realtime.Usage{TotalTokens: 30, InputTokens: 20, OutputTokens: 10}}},
		&realtime.OutputAudioBufferStopped{ResponseID: r},
	}
	ids := realtime.NewIDs()
	var msgs []string
	for _, ev := range evs {
		b, err := realtime.Marshal(ev, ids)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, string(b))
	}
	return msgs
}

// replayJS runs a RealtimeSession of the real SDK over an in-page
// transport (OpenAIRealtimeBase, the code both of the SDK's transports
// share for events and history), feeds it the server events and reports
// what the session made of them and what it sent back.
const replayJS = `(async (events) => {
	const m = window.DuplexOpenAI;
	class PageTransport extends m.OpenAIRealtimeBase {
		constructor() { super({}); this.sent = []; this._status = 'disconnected'; }
		get status() { return this._status; }
		get muted() { return false; }
		async connect() { this._status = 'connected'; this.emit('connection_change', 'connected'); }
		sendEvent(ev) { this.sent.push(ev); }
		sendAudio() {}
		mute() {}
		interrupt() {}
		close() { this._status = 'disconnected'; this.emit('connection_change', 'disconnected'); }
	}
	const transport = new PageTransport();
	const session = new m.RealtimeSession(new m.RealtimeAgent({ name: 'duplex-test', instructions: 'Be brief.' }), { transport });
	const got = { errors: [], generic: [], fired: {} };
	session.on('error', (e) => got.errors.push(String(e?.error?.error?.message ?? e?.error?.message ?? e?.error ?? e)));
	for (const name of ['agent_start', 'agent_end', 'audio_stopped']) {
		got.fired[name] = 0;
		session.on(name, () => got.fired[name]++);
	}
	await session.connect({ apiKey: 'ek_test_key' });
	const before = transport.sent.length;
	for (const data of events) {
		transport._onMessage({ data });
		await new Promise((r) => setTimeout(r, 0));
	}
	got.history = session.history.map((i) => ({ role: i.role, status: i.status, content: i.content.map((c) => ({ type: c.type, transcript: c.transcript })) }));
	got.sent = transport.sent.slice(before).map((e) => JSON.stringify(e));
	got.connectSent = transport.sent.slice(0, before).map((e) => JSON.stringify(e));
	session.close();
	return got;
})(%s)`

// openAIReplay is what the real SDK's session made of a replay (replayJS).
type openAIReplay struct {
	Errors      []string         `json:"errors"`
	Fired       map[string]int   `json:"fired"`
	History     []map[string]any `json:"history"`
	Sent        []string         `json:"sent"`
	ConnectSent []string         `json:"connectSent"`
}

// replayOpenAI feeds the server messages msgs to the real SDK's session in
// Chromium; an error the client reports fails the test.
func replayOpenAI(t *testing.T, msgs []string) openAIReplay {
	t.Helper()
	s := newStub(t, "openai", 404, `{}`)
	b := newBrowser(t, s.URL+"/")
	evs, _ := json.Marshal(msgs)
	var got openAIReplay
	b.eval(strings.Replace(replayJS, "%s", string(evs), 1), &got)
	if len(got.Errors) != 0 {
		t.Errorf("the client reported errors: %v", got.Errors)
	}
	return got
}

// parseSent parses what the client sent with realtime.ParseClientEvent;
// a message that does not parse fails the test and is left out.
func parseSent(t *testing.T, sent []string) []realtime.Event {
	t.Helper()
	var out []realtime.Event
	for _, m := range sent {
		ev, err := realtime.ParseClientEvent([]byte(m))
		if err != nil {
			t.Errorf("the client sent %s: %v", m, err)
			continue
		}
		out = append(out, ev)
	}
	return out
}

// TestOpenAIReplayMinimalTurn: the server events of a turn, encoded by the
// realtime package, give the real client the history and callbacks a user
// expects; and everything the client sends back parses with
// realtime.ParseClientEvent.
func TestOpenAIReplayMinimalTurn(t *testing.T) {
	got := replayOpenAI(t, minimalTurn(t))
	want := []map[string]any{
		{"role": "user", "status": "completed", "content": []any{map[string]any{"type": "input_audio", "transcript": "What time is it?"}}},
		{"role": "assistant", "status": "completed", "content": []any{map[string]any{"type": "output_audio", "transcript": "It is noon."}}},
	}
	if !reflect.DeepEqual(got.History, want) {
		h, _ := json.Marshal(got.History)
		t.Errorf("history %s", h)
	}
	for name, n := range map[string]int{"agent_start": 1, "agent_end": 1, "audio_stopped": 1} {
		if got.Fired[name] != n {
			t.Errorf("%s fired %d times, want %d", name, got.Fired[name], n)
		}
	}
	retrieved := false
	for _, ev := range parseSent(t, append(got.ConnectSent, got.Sent...)) {
		if r, ok := ev.(*realtime.ConversationItemRetrieve); ok && r.ItemID == "item_u1" {
			retrieved = true
		}
	}
	if !retrieved {
		t.Errorf("the client did not retrieve the transcribed user item; sent %v", got.Sent)
	}
	t.Logf("client sent on connect: %v; during the turn: %v", got.ConnectSent, got.Sent)
}
