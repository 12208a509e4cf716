package oaihttp

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxMessage caps the server message kept in an APIError.
const maxMessage = 500

// APIError is a non-2xx answer. It unwraps to ErrUnauthorized (401),
// ErrRateLimited (429), ErrServer (5xx) or ErrStatus (anything else).
type APIError struct {
	// StatusCode is the HTTP status, e.g. 429.
	StatusCode int
	// Method and URL identify the request (the URL without credentials).
	Method, URL string
	// Message is the server's explanation: error.message of the OpenAI
	// error body, or what other servers send ({"error":"…"},
	// {"detail":"…"}, plain text); may be empty.
	Message string
	// Type and Code are error.type and error.code when present.
	Type, Code string
	// RetryAfter is the Retry-After header (seconds or an HTTP date), zero
	// when absent.
	RetryAfter time.Duration
}

// Error reads like "HTTP 401 Unauthorized from POST http://…/v1/chat/completions: Incorrect API key".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d %s from %s %s", e.StatusCode, http.StatusText(e.StatusCode), e.Method, e.URL)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %v)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns the sentinel for the status.
func (e *APIError) Unwrap() error {
	switch {
	case e.StatusCode == http.StatusUnauthorized:
		return ErrUnauthorized
	case e.StatusCode == http.StatusTooManyRequests:
		return ErrRateLimited
	case e.StatusCode >= 500 && e.StatusCode <= 599:
		return ErrServer
	default:
		return ErrStatus
	}
}

// ReadAPIError builds the APIError of resp, a non-2xx answer to req,
// reading a bounded part of its body, for clients that do not use Do.
func ReadAPIError(req *http.Request, resp *http.Response) *APIError {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return newAPIError(req.Method, req.URL, resp, b, time.Now())
}

func newAPIError(method string, u *url.URL, resp *http.Response, body []byte, now time.Time) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, Method: method}
	if u != nil {
		c := *u
		c.User = nil
		c.RawQuery = ""
		e.URL = c.String()
	}
	e.Message, e.Type, e.Code = ParseErrorBody(body)
	e.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	return e
}

// ParseErrorBody extracts the message (and type and code when present)
// from an error body in the forms servers use:
// {"error":{"message","type","code"}} (OpenAI, vLLM, llama.cpp, Groq),
// {"error":"…"} (Ollama), {"detail":"…"} or {"detail":[{"msg":"…"}]}
// (FastAPI servers such as speaches), {"message":"…"}, or plain text.
func ParseErrorBody(body []byte) (msg, typ, code string) {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Detail  json.RawMessage `json:"detail"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) == nil {
		var obj struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
		}
		var s string
		switch {
		case len(v.Error) > 0 && json.Unmarshal(v.Error, &obj) == nil && obj.Message != "":
			return clip(obj.Message), obj.Type, rawScalar(obj.Code)
		case len(v.Error) > 0 && json.Unmarshal(v.Error, &s) == nil && s != "":
			return clip(s), "", ""
		case len(v.Detail) > 0 && json.Unmarshal(v.Detail, &s) == nil && s != "":
			return clip(s), "", ""
		case len(v.Detail) > 0:
			var ds []struct {
				Msg string `json:"msg"`
			}
			if json.Unmarshal(v.Detail, &ds) == nil && len(ds) > 0 && ds[0].Msg != "" {
				return clip(ds[0].Msg), "", ""
			}
		case v.Message != "":
			return clip(v.Message), "", ""
		}
	}
	t := strings.TrimSpace(string(body))
	if t == "" || strings.HasPrefix(t, "<") || !utf8.ValidString(t) {
		return "", "", "" // empty, HTML error page or binary: the status says enough
	}
	return clip(strings.Join(strings.Fields(t), " ")), "", ""
}

// rawScalar renders a JSON string or number; null and others give "".
func rawScalar(r json.RawMessage) string {
	var s string
	if json.Unmarshal(r, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(r, &n) == nil {
		return n.String()
	}
	return ""
}

func clip(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ParseRetryAfter reads a Retry-After value: delay seconds or an HTTP date
// (relative to now). Invalid or past values give 0.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if !(s > 0 && s <= 7*24*3600) { // also rejects NaN
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
