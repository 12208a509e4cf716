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
	// ErrStatus: another non-2xx status, typically 400 (bad audio or
	// parameters) or 404 (wrong base URL or unknown model).
	ErrStatus = oaihttp.ErrStatus
	// ErrTimeout: no answer within Options.FirstByteTimeout, a stall longer
	// than Options.IdleTimeout, or longer than Options.Timeout in all.
	ErrTimeout = oaihttp.ErrTimeout
	// ErrInvalidOption: an Options value cannot be used, e.g. a BaseURL that
	// is not http(s).
	ErrInvalidOption = oaihttp.ErrInvalidOption

	// ErrTooLong: the utterance exceeds Options.MaxDuration (30 s of speech
	// plus a margin for the pre-roll); the dialogue engine should have cut
	// the turn before.
	ErrTooLong = errors.New("stt/openai: utterance longer than the maximum duration")
	// ErrFinished: Write or Finish after Finish.
	ErrFinished = errors.New("stt/openai: stream already finished")
	// ErrBadResponse: a 2xx answer that is not {"text": …}.
	ErrBadResponse = errors.New("stt/openai: malformed transcription response")
)
