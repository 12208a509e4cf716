package sphinx

import "errors"

var (
	// ErrUnavailable: pocketsphinx could not build a decoder (missing model
	// files, a bad grammar or dictionary). The wrapped error says which.
	ErrUnavailable = errors.New("sphinx: decoder unavailable")
	// ErrEngineClosed: the Engine was used after Close.
	ErrEngineClosed = errors.New("sphinx: engine closed")
	// ErrDecode: pocketsphinx rejected audio or failed to end an utterance.
	ErrDecode = errors.New("sphinx: decode failed")
	// ErrTooLong: more audio than Options.MaxUtterance was written to one
	// stream; the extra audio is dropped.
	ErrTooLong = errors.New("sphinx: utterance too long")
	// ErrFinished: Write after Finish.
	ErrFinished = errors.New("sphinx: stream already finished")
	// ErrLanguage: StreamOptions.Language asks for a language the loaded
	// model does not speak.
	ErrLanguage = errors.New("sphinx: unsupported language")
)
