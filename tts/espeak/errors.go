package espeak

import "errors"

var (
	// ErrEmptyText is returned by Synthesize for text with nothing to speak
	// (empty or only whitespace).
	ErrEmptyText = errors.New("espeak: empty text")
	// ErrInvalidOption is returned by New for an option out of range and by
	// Synthesize for a malformed voice name.
	ErrInvalidOption = errors.New("espeak: invalid option")
	// ErrUnavailable is returned by New when the selected mode cannot run:
	// the library failed to initialize (espeak-ng-data missing) or the
	// espeak-ng binary is not on PATH.
	ErrUnavailable = errors.New("espeak: espeak-ng unavailable")
	// ErrUnknownVoice is returned (by Stream.Next) when espeak-ng has no
	// voice of that name.
	ErrUnknownVoice = errors.New("espeak: unknown voice")
	// ErrSynthesis wraps a failure reported by espeak-ng: a library error
	// code, or a worker process that exited abnormally (with its stderr).
	ErrSynthesis = errors.New("espeak: synthesis failed")
	// ErrBadWAV is returned when a worker's output is not the 22050 Hz mono
	// s16 WAV stream espeak-ng writes.
	ErrBadWAV = errors.New("espeak: bad WAV stream")
	// ErrClosed is returned by Stream.Next after Stream.Close, and for
	// streams cut short by Engine.Close.
	ErrClosed = errors.New("espeak: closed")
)
