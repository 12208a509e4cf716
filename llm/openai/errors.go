package openai

import (
	"errors"

	"github.com/duplex-ai/duplex/internal/oaihttp"
)

// APIError is a non-2xx answer from the server: status, the server's
// message, Retry-After. It unwraps to ErrUnauthorized, ErrRateLimited,
// ErrServer or ErrStatus.
type APIError = oaihttp.APIError

var (
	// ErrUnauthorized: HTTP 401, the API key is missing or wrong.
	ErrUnauthorized = oaihttp.ErrUnauthorized
	// ErrRateLimited: HTTP 429; see APIError.RetryAfter.
	ErrRateLimited = oaihttp.ErrRateLimited
	// ErrServer: HTTP 5xx.
	ErrServer = oaihttp.ErrServer
	// ErrStatus: another non-2xx status, typically 400 (bad request) or 404
	// (wrong base URL or unknown model).
	ErrStatus = oaihttp.ErrStatus
	// ErrTimeout: no first byte within Options.FirstByteTimeout, a gap
	// longer than Options.IdleTimeout, or longer than Options.Timeout in
	// all.
	ErrTimeout = oaihttp.ErrTimeout
	// ErrInvalidOption: an Options value cannot be used, e.g. a BaseURL that
	// is not http(s).
	ErrInvalidOption = oaihttp.ErrInvalidOption

	// ErrIncomplete: the stream ended (connection dropped) before
	// "data: [DONE]" and without a finish_reason, so the reply is cut.
	ErrIncomplete = errors.New("openai: stream ended before [DONE]")
	// ErrBadResponse: the server's answer is not the chat completions
	// format (malformed JSON, an oversized SSE line, an unexpected content
	// type).
	ErrBadResponse = errors.New("openai: malformed response")
	// ErrStreamError: the server reported an error inside the stream
	// ({"error":{…}} as an event).
	ErrStreamError = errors.New("openai: error event in the stream")
	// ErrClosed: Next was called after Close.
	ErrClosed = errors.New("openai: stream closed")
)
