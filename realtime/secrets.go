package realtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/duplex-ai/duplex/internal/jsonkind"
)

// ClientSecretRequest is the body of POST /v1/realtime/client_secrets: a
// backend holding the API key mints a short-lived ek_ key for a browser
// or device, optionally with session defaults the call starts with.
type ClientSecretRequest struct {
	ExpiresAfter *ExpiresAfter `json:"expires_after,omitempty"`
	Session      *Session      `json:"session,omitempty"`
}

// ExpiresAfter is {anchor: "created_at", seconds: 10 … 7200}.
type ExpiresAfter struct {
	Anchor  string `json:"anchor"`
	Seconds int    `json:"seconds"`
}

// ClientSecret is the response: Value is the ek_ key, ExpiresAt Unix
// seconds, Session the defaults it carries.
type ClientSecret struct {
	Value     string   `json:"value"`
	ExpiresAt int64    `json:"expires_at"`
	Session   *Session `json:"session,omitempty"`
}

// Limits of expires_after.seconds; DefaultSecretSeconds when absent.
const (
	MinSecretSeconds     = 10
	MaxSecretSeconds     = 7200
	DefaultSecretSeconds = 600
)

// ParseClientSecretRequest decodes and checks a client_secrets body; an
// empty body asks for the defaults. Errors are *Error (for a 400 with the
// error object).
func ParseClientSecretRequest(body []byte) (ClientSecretRequest, error) {
	var r ClientSecretRequest
	if len(body) == 0 {
		return r, nil
	}
	if err := json.Unmarshal(body, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return ClientSecretRequest{}, &Error{Kind: ErrInvalidValue, Code: CodeInvalidValue, Param: te.Field, Message: fmt.Sprintf("%s must be %s", te.Field, jsonkind.Of(te.Type))}
		}
		return ClientSecretRequest{}, &Error{Kind: ErrMalformed, Code: CodeInvalidJSON, Message: "the body is not a JSON object"}
	}
	if e := r.ExpiresAfter; e != nil {
		if e.Anchor != "created_at" {
			return ClientSecretRequest{}, &Error{Kind: ErrInvalidValue, Code: CodeInvalidValue, Param: "expires_after.anchor", Message: "expires_after.anchor must be 'created_at'"}
		}
		if e.Seconds < MinSecretSeconds || e.Seconds > MaxSecretSeconds {
			return ClientSecretRequest{}, &Error{Kind: ErrInvalidValue, Code: CodeInvalidValue, Param: "expires_after.seconds",
				Message: fmt.Sprintf("expires_after.seconds must be within %d … %d", MinSecretSeconds, MaxSecretSeconds)}
		}
	}
	if r.Session != nil {
		if err := validateSession(r.Session); err != nil {
			return ClientSecretRequest{}, err.finish("", "")
		}
	}
	return r, nil
}

// ParseSession decodes the session part of the multipart form of
// POST /v1/realtime/calls (fields sdp and session), with the checks of
// session.update.
func ParseSession(data []byte) (Session, error) {
	var s Session
	if err := json.Unmarshal(data, &s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Session{}, &Error{Kind: ErrInvalidValue, Code: CodeInvalidValue, Param: "session." + te.Field, Message: fmt.Sprintf("session.%s must be %s", te.Field, jsonkind.Of(te.Type))}
		}
		return Session{}, &Error{Kind: ErrMalformed, Code: CodeInvalidJSON, Message: "the session is not a JSON object"}
	}
	if err := validateSession(&s); err != nil {
		return Session{}, err.finish("", "")
	}
	return s, nil
}
