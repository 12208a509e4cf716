package realtime

import (
	"errors"
	"testing"
)

func TestParseClientSecretRequest(t *testing.T) {
	// The body openai-node's client_secrets.create sends (docs/clients.md).
	r, err := ParseClientSecretRequest([]byte(`{"session":{"type":"realtime","model":"gpt-realtime","instructions":"Be brief.","audio":{"output":{"voice":"marin"}}},"expires_after":{"anchor":"created_at","seconds":600}}`))
	if err != nil || r.ExpiresAfter.Seconds != 600 || *r.Session.Instructions != "Be brief." || r.Session.Audio.Output.Voice != "marin" {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err := ParseClientSecretRequest(nil); err != nil || r.Session != nil || r.ExpiresAfter != nil {
		t.Errorf("empty body: %+v %v", r, err)
	}
	for _, tc := range []struct {
		in    string
		kind  error
		param string
	}{
		{`{`, ErrMalformed, ""},
		{`{"expires_after":{"anchor":"now","seconds":60}}`, ErrInvalidValue, "expires_after.anchor"},
		{`{"expires_after":{"anchor":"created_at","seconds":5}}`, ErrInvalidValue, "expires_after.seconds"},
		{`{"expires_after":{"anchor":"created_at","seconds":7201}}`, ErrInvalidValue, "expires_after.seconds"},
		{`{"expires_after":{"anchor":"created_at","seconds":"600"}}`, ErrInvalidValue, "expires_after.seconds"},
		{`{"session":{"type":"translation"}}`, ErrInvalidValue, "session.type"},
		{`{"session":{"audio":{"input":{"turn_detection":{}}}}}`, ErrMissingField, "session.audio.input.turn_detection.type"},
	} {
		_, err := ParseClientSecretRequest([]byte(tc.in))
		var pe *Error
		if !errors.As(err, &pe) || !errors.Is(err, tc.kind) || pe.Param != tc.param || pe.Code == "" {
			t.Errorf("%s: %v (%+v), want %v on %q", tc.in, err, pe, tc.kind, tc.param)
		}
	}
	b := mustJSON(t, ClientSecret{Value: "ek_abc", ExpiresAt: 1756310470, Session: &Session{Type: SessionRealtime}})
	if want := `{"value":"ek_abc","expires_at":1756310470,"session":{"type":"realtime"}}`; b != want {
		t.Errorf("got %s want %s", b, want)
	}
}

func TestParseSession(t *testing.T) {
	s, err := ParseSession([]byte(`{"type":"realtime","instructions":"Hi.","audio":{"input":{"turn_detection":null}}}`))
	if err != nil || *s.Instructions != "Hi." || !s.Audio.Input.TurnDetection.IsNull() {
		t.Fatalf("%+v %v", s, err)
	}
	for _, tc := range []struct {
		in    string
		kind  error
		param string
	}{
		{`[]`, ErrMalformed, ""},
		{`{"instructions":1}`, ErrInvalidValue, "session.instructions"},
		{`{"output_modalities":["smell"]}`, ErrInvalidValue, "session.output_modalities"},
	} {
		_, err := ParseSession([]byte(tc.in))
		var pe *Error
		if !errors.As(err, &pe) || !errors.Is(err, tc.kind) || pe.Param != tc.param {
			t.Errorf("%s: %v, want %v on %q", tc.in, err, tc.kind, tc.param)
		}
	}
}
