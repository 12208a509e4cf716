package realtime

import (
	"encoding/json"
	"strings"
	"testing"
)

func mustMarshal(t *testing.T, ev Event, ids *IDs) string {
	t.Helper()
	b, err := Marshal(ev, ids)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The official client rejects an input_audio part without "transcript", a
// text part without "text" and an item or response without its list:
// those keys are always written.
func TestRequiredKeysAlwaysWritten(t *testing.T) {
	ids := NewIDsPrefix("t")
	for _, tc := range []struct {
		ev   Event
		want string
	}{
		{&ConversationItemAdded{Item: Item{ID: "item_u1", Type: ItemMessage, Role: RoleUser, Status: StatusInProgress,
			Content: []ContentPart{{Type: PartInputAudio}}}},
			`{"type":"conversation.item.added","event_id":"event_t1","previous_item_id":null,"item":{"id":"item_u1","type":"message","status":"in_progress","role":"user","content":[{"type":"input_audio","transcript":null}]}}`},
		{&ResponseOutputItemAdded{OutputItemRef: OutputItemRef{ResponseID: "resp_1"},
			Item: Item{ID: "item_a1", Type: ItemMessage, Role: RoleAssistant, Status: StatusInProgress}},
			`{"type":"response.output_item.added","event_id":"event_t2","response_id":"resp_1","output_index":0,"item":{"id":"item_a1","type":"message","status":"in_progress","role":"assistant","content":[]}}`},
		{&ResponseCreated{Response: Response{ID: "resp_1", Object: "realtime.response", Status: StatusInProgress}},
			`{"type":"response.created","event_id":"event_t3","response":{"id":"resp_1","object":"realtime.response","status":"in_progress","output":[]}}`},
		{&InputAudioBufferCommitted{ItemID: "item_u1"},
			`{"type":"input_audio_buffer.committed","event_id":"event_t4","previous_item_id":null,"item_id":"item_u1"}`},
		// A text part has no transcript key, and always its text.
		{&ResponseContentPartAdded{ContentRef: ContentRef{ResponseID: "r", ItemID: "i"}, Part: ContentPart{Type: PartOutputText}},
			`{"type":"response.content_part.added","event_id":"event_t5","response_id":"r","item_id":"i","output_index":0,"content_index":0,"part":{"type":"output_text","text":""}}`},
		{&ConversationItemDone{Item: Item{Type: ItemMessage, Role: RoleUser, Content: []ContentPart{{Type: PartInputText, Text: "hi"}}}},
			`{"type":"conversation.item.done","event_id":"event_t6","previous_item_id":null,"item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}}`},
	} {
		if got := mustMarshal(t, tc.ev, ids); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

// turn_detection has three states on the wire: absent, null, an object.
func TestNullableTurnDetection(t *testing.T) {
	for _, tc := range []struct {
		in            string
		present, null bool
	}{
		{`{"type":"session.update","session":{"audio":{"input":{}}}}`, false, false},
		{`{"type":"session.update","session":{"audio":{"input":{"turn_detection":null}}}}`, true, true},
		{`{"type":"session.update","session":{"audio":{"input":{"turn_detection":{"type":"server_vad","threshold":0.7}}}}}`, true, false},
	} {
		ev, err := ParseClientEvent([]byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		td := ev.(*SessionUpdate).Session.Audio.Input.TurnDetection
		if td.Present != tc.present || td.IsNull() != tc.null {
			t.Errorf("%s: present=%v null=%v", tc.in, td.Present, td.IsNull())
		}
		out := mustMarshal(t, ev, nil)
		if strings.Contains(out, "turn_detection") != tc.present || strings.Contains(out, `"turn_detection":null`) != tc.null {
			t.Errorf("%s: wrote %s", tc.in, out)
		}
	}
	if got := mustMarshal(t, &SessionUpdated{Session: Session{Audio: &SessionAudio{Input: &AudioInput{
		TurnDetection: Some(TurnDetection{Type: TurnSemanticVAD, Eagerness: EagernessLow})}}}}, nil); !strings.Contains(got,
		`"turn_detection":{"type":"semantic_vad","eagerness":"low"}`) {
		t.Errorf("Some: %s", got)
	}
}

func TestIDsUnique(t *testing.T) {
	a, b := NewIDs(), NewIDs()
	seen := map[string]bool{}
	for range 1000 {
		for _, id := range []string{a.Event(), b.Event(), a.Item(), a.Response(), a.Session()} {
			if seen[id] {
				t.Fatalf("duplicate id %s", id)
			}
			seen[id] = true
		}
	}
	if id := a.Item(); !strings.HasPrefix(id, "item_") {
		t.Errorf("item id %s", id)
	}
	if id := a.Response(); !strings.HasPrefix(id, "resp_") {
		t.Errorf("response id %s", id)
	}
}

// Marshal keeps an event_id the caller set and fills the type.
func TestMarshalKeepsEventID(t *testing.T) {
	ev := &ConversationItemRetrieved{Header: Header{EventID: "mine"}, Item: Item{ID: "x", Type: ItemMessage, Role: RoleUser}}
	var m map[string]any
	if err := json.Unmarshal([]byte(mustMarshal(t, ev, NewIDs())), &m); err != nil {
		t.Fatal(err)
	}
	if m["event_id"] != "mine" || m["type"] != TypeConversationItemRetrieved {
		t.Errorf("got %v", m)
	}
}

func TestErrorFor(t *testing.T) {
	_, err := ParseClientEvent([]byte(`{"type":"nope","event_id":"ev_9"}`))
	got := mustMarshal(t, ErrorFor(err), NewIDsPrefix("x"))
	want := `{"type":"error","event_id":"event_x1","error":{"type":"invalid_request_error","code":"invalid_event_type","message":"unknown event type \"nope\"","param":"type","event_id":"ev_9"}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	other := ErrorFor(json.Unmarshal([]byte("x"), new(int)))
	if other.Error.Type != ErrorTypeServer || other.Error.Code != CodeServerError || other.Error.Message == "" {
		t.Errorf("non-parse error: %+v", other.Error)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
