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
	// ErrStatus: another non-2xx status (400 unknown voice or model, 403,
	// 404 wrong BaseURL, …).
	ErrStatus = oaihttp.ErrStatus
	// ErrTimeout: the whole synthesis took longer than Options.Timeout.
	ErrTimeout = oaihttp.ErrTimeout
	// ErrInvalidOption is returned by New for a missing BaseURL or an
	// option out of range.
	ErrInvalidOption = oaihttp.ErrInvalidOption

	// ErrEmptyText is returned by Synthesize for text with nothing to speak.
	ErrEmptyText = errors.New("openai tts: empty text")
	// ErrBadResponse: a 2xx answer that is not raw PCM (a JSON body), or
	// that ends in the middle of a sample.
	ErrBadResponse = errors.New("openai tts: bad response")
	// ErrFirstByteTimeout: no audio byte arrived within FirstByteTimeout of
	// the request (connect, TLS, headers and the first body byte).
	ErrFirstByteTimeout = errors.New("openai tts: no audio before the first-byte timeout")
	// ErrTruncated: the connection failed after the audio started (dropped
	// mid-stream); the audio so far is incomplete.
	ErrTruncated = errors.New("openai tts: audio stream truncated")
	// ErrClosed is returned by Stream.Next after Stream.Close and by
	// Synthesize after Engine.Close.
	ErrClosed = errors.New("openai tts: closed")
)
