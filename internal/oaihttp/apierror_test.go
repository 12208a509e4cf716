package oaihttp

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseErrorBody(t *testing.T) {
	for _, tc := range []struct {
		body, msg, typ, code string
	}{
		{`{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}`, "Incorrect API key", "invalid_request_error", "invalid_api_key"},
		{`{"error":{"message":"busy","type":"server_error","code":503}}`, "busy", "server_error", "503"},
		{`{"error":{"message":"x","code":null}}`, "x", "", ""},
		{`{"error":"model not found"}`, "model not found", "", ""},
		{`{"detail":"Not authenticated"}`, "Not authenticated", "", ""},
		{`{"detail":[{"loc":["body","file"],"msg":"field required"}]}`, "field required", "", ""},
		{`{"message":"Bad gateway"}`, "Bad gateway", "", ""},
		{"upstream   connect\n error", "upstream connect error", "", ""},
		{`<html><body>502</body></html>`, "", "", ""},
		{``, "", "", ""},
		{"\xff\xfe\x00", "", "", ""},
	} {
		msg, typ, code := ParseErrorBody([]byte(tc.body))
		if msg != tc.msg || typ != tc.typ || code != tc.code {
			t.Errorf("%q: got %q %q %q", tc.body, msg, typ, code)
		}
	}
	long, _, _ := ParseErrorBody([]byte(strings.Repeat("é", 1000)))
	if len(long) > maxMessage+len("…") || !strings.HasSuffix(long, "…") {
		t.Errorf("long message not clipped: %d bytes", len(long))
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 4, 15, 7, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":       0,
		"20":     20 * time.Second,
		"1.5":    1500 * time.Millisecond,
		"-3":     0,
		"NaN":    0,
		"soon":   0,
		"999999": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

func TestAPIErrorUnwrap(t *testing.T) {
	for status, want := range map[int]error{401: ErrUnauthorized, 429: ErrRateLimited, 500: ErrServer, 503: ErrServer, 400: ErrStatus, 403: ErrStatus, 404: ErrStatus} {
		e := &APIError{StatusCode: status, Method: "POST", URL: "http://h/v1/x", Message: "m"}
		if !errors.Is(e, want) {
			t.Errorf("%d: not %v", status, want)
		}
		if !strings.Contains(e.Error(), "HTTP ") || !strings.Contains(e.Error(), "m") {
			t.Errorf("%d: %q", status, e.Error())
		}
	}
}

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct{ base, want string }{
		{"https://api.openai.com/v1", "https://api.openai.com/v1/chat/completions"},
		{"http://localhost:11434/v1/", "http://localhost:11434/v1/chat/completions"},
		{" http://127.0.0.1:8080 ", "http://127.0.0.1:8080/chat/completions"},
	} {
		if got, err := Endpoint(tc.base, "chat/completions"); err != nil || got != tc.want {
			t.Errorf("%q: %q %v", tc.base, got, err)
		}
	}
	for _, bad := range []string{"", "localhost:11434", "ftp://h/v1", "http://", "::"} {
		if _, err := Endpoint(bad, "x"); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{`{"error":{"message":"m"}}`, `{"error":"s"}`, `{"detail":[{"msg":"x"}]}`, `text`, `{"error":{"code":[1]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		msg, _, _ := ParseErrorBody(b)
		if len(msg) > maxMessage+len("…") {
			t.Fatalf("message of %d bytes", len(msg))
		}
	})
}
