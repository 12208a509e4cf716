package local

import "errors"

// ErrClosed: Next was called after Close.
var ErrClosed = errors.New("local: stream closed")
