package openai

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

var (
	// ErrEmptyText is returned by Synthesize for text with nothing to speak.
	ErrEmptyText = errors.New("openai tts: empty text")
	// ErrInvalidOption is returned by New for a missing BaseURL or an
	// option out of range.
	ErrInvalidOption = errors.New("openai tts: invalid option")
	// ErrUnauthorized: the server answered 401 or 403 (bad or missing API key).
	ErrUnauthorized = errors.New("openai tts: unauthorized")
	// ErrRateLimited: the server answered 429; APIError.RetryAfter says when
	// to retry, if the server said.
	ErrRateLimited = errors.New("openai tts: rate limited")
	// ErrServer: the server answered 5xx.
	ErrServer = errors.New("openai tts: server error")
	// ErrRequest: the server rejected the request with another status
	// (400 unknown voice or model, 404 wrong BaseURL, …).
	ErrRequest = errors.New("openai tts: request rejected")
	// ErrBadResponse: a 2xx answer that is not raw PCM (a JSON body), or
	// that ends in the middle of a sample.
	ErrBadResponse = errors.New("openai tts: bad response")
	// ErrFirstByteTimeout: no audio byte arrived within FirstByteTimeout of
	// the request (connect, TLS, headers and the first body byte).
	ErrFirstByteTimeout = errors.New("openai tts: no audio before the first-byte timeout")
	// ErrTimeout: the whole synthesis took longer than Timeout.
	ErrTimeout = errors.New("openai tts: timeout")
	// ErrTruncated: the connection failed after the audio started (dropped
	// mid-stream); the audio so far is incomplete.
	ErrTruncated = errors.New("openai tts: audio stream truncated")
	// ErrClosed is returned by Stream.Next after Stream.Close and by
	// Synthesize after Engine.Close.
	ErrClosed = errors.New("openai tts: closed")
)

// APIError is a non-2xx answer. It unwraps to ErrUnauthorized,
// ErrRateLimited, ErrServer or ErrRequest according to StatusCode.
type APIError struct {
	StatusCode int
	// Message, Type and Code come from the OpenAI error body
	// {"error":{"message":…,"type":…,"code":…}}; Message falls back to the
	// start of a non-JSON body.
	Message string
	Type    string
	Code    string
	// RetryAfter is the server's Retry-After (seconds or HTTP date), 0 if absent.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("openai tts: HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %v)", e.RetryAfter)
	}
	return s
}

// Unwrap returns the sentinel for the status code.
func (e *APIError) Unwrap() error {
	switch {
	case e.StatusCode == 401 || e.StatusCode == 403:
		return ErrUnauthorized
	case e.StatusCode == 429:
		return ErrRateLimited
	case e.StatusCode >= 500:
		return ErrServer
	}
	return ErrRequest
}
