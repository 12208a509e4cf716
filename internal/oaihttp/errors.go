package oaihttp

import "errors"

// Sentinels shared by the OpenAI-compatible backends (llm/openai,
// stt/openai), which re-export them. An *APIError unwraps to one of the
// first four according to its HTTP status.
var (
	// ErrUnauthorized: the server answered 401, the API key is missing or
	// wrong.
	ErrUnauthorized = errors.New("unauthorized (HTTP 401): check the API key")
	// ErrRateLimited: the server answered 429; APIError.RetryAfter holds its
	// Retry-After when it sent one.
	ErrRateLimited = errors.New("rate limited (HTTP 429)")
	// ErrServer: the server answered 5xx.
	ErrServer = errors.New("server error (HTTP 5xx)")
	// ErrStatus: the server answered another non-2xx status (400, 403, 404,
	// …): usually a wrong model name, base URL or request.
	ErrStatus = errors.New("unexpected HTTP status")
	// ErrTimeout: no response, or no progress on it, within a timeout.
	ErrTimeout = errors.New("timed out")
	// ErrInvalidOption: an option value cannot be used (for example a base
	// URL that is not http or https).
	ErrInvalidOption = errors.New("invalid option")
)
