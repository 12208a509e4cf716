package rtvi

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseOffer(t *testing.T) {
	// First offer: pc_id null, requestData absent (as small-webrtc-transport 1.10.8 sends it).
	o, err := ParseOffer([]byte(`{"sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n","type":"offer","pc_id":null,"restart_pc":false}`))
	if err != nil || o.PCID != "" || o.RestartPC || o.RequestData != nil {
		t.Fatalf("%+v %v", o, err)
	}
	o, err = ParseOffer([]byte(`{"sdp":"v=0\r\n","type":"offer","pc_id":"pc-1","restart_pc":true,"requestData":{"brain":"echo"}}`))
	if err != nil || o.PCID != "pc-1" || !o.RestartPC || string(o.RequestData) != `{"brain":"echo"}` {
		t.Fatalf("%+v %v", o, err)
	}
	for _, tc := range []struct {
		in   string
		kind error
	}{
		{`{`, ErrMalformed},
		{`{"sdp":1,"type":"offer"}`, ErrMalformed},
		{`{"sdp":"v=0","type":"answer"}`, ErrInvalidValue},
		{`{"type":"offer"}`, ErrMissingField},
		{`{"sdp":"hello","type":"offer"}`, ErrMissingField},
		{`{"sdp":"v=0","type":"offer","restart_pc":true}`, ErrMissingField},
	} {
		if _, err := ParseOffer([]byte(tc.in)); !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v, want %v", tc.in, err, tc.kind)
		}
	}
}

func TestAnswerJSON(t *testing.T) {
	b, _ := json.Marshal(Answer{SDP: "v=0\r\n", Type: "answer", PCID: "pc-1"})
	if want := `{"sdp":"v=0\r\n","type":"answer","pc_id":"pc-1"}`; string(b) != want {
		t.Errorf("got %s want %s", b, want)
	}
}

func TestParsePatch(t *testing.T) {
	p, err := ParsePatch([]byte(`{"pc_id":"pc-1","candidates":[{"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host","sdp_mid":"0","sdp_mline_index":0},{"candidate":"candidate:2 1 udp 1 10.0.0.1 5 typ host","sdp_mid":null,"sdp_mline_index":null}]}`))
	if err != nil || p.PCID != "pc-1" || len(p.Candidates) != 2 || *p.Candidates[0].SDPMid != "0" || *p.Candidates[0].SDPMLineIndex != 0 || p.Candidates[1].SDPMid != nil {
		t.Fatalf("%+v %v", p, err)
	}
	for _, tc := range []struct {
		in   string
		kind error
	}{
		{`nope`, ErrMalformed},
		{`{"pc_id":"a","candidates":[{"sdp_mline_index":-1}]}`, ErrMalformed},
		{`{"candidates":[]}`, ErrMissingField},
		{`{"pc_id":"a","candidates":[{}]}`, ErrMissingField},
	} {
		if _, err := ParsePatch([]byte(tc.in)); !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v, want %v", tc.in, err, tc.kind)
		}
	}
}
