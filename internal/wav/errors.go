package wav

import "errors"

// Sentinel errors wrapped by Read. Test with errors.Is.
var (
	// ErrNotRIFF: the stream does not start with a RIFF/WAVE header.
	ErrNotRIFF = errors.New("wav: not a RIFF/WAVE file")
	// ErrNotPCM: the file is WAVE but not 16-bit integer PCM.
	ErrNotPCM = errors.New("wav: unsupported encoding (need 16-bit PCM)")
	// ErrTruncated: the stream ended before a header or the declared data.
	ErrTruncated = errors.New("wav: truncated")
	// ErrTooLarge: a declared size exceeds the package's limits.
	ErrTooLarge = errors.New("wav: too large")
	// ErrInvalid: a header field is inconsistent or out of range.
	ErrInvalid = errors.New("wav: invalid header")
)
