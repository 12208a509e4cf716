package signaling

import "errors"

var (
	// ErrUnsupportedMediaType: the request's Content-Type is not the one the endpoint takes.
	ErrUnsupportedMediaType = errors.New("unsupported content type")
	// ErrBodyTooLarge: the request body exceeds the limit.
	ErrBodyTooLarge = errors.New("request body too large")
)
