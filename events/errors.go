package events

import "errors"

var (
	// ErrMalformed: the message is not a valid JSON command.
	ErrMalformed = errors.New("malformed message")
	// ErrUnknownType: the command's type is not one the server knows.
	ErrUnknownType = errors.New("unknown message type")
	// ErrTooLarge: a field exceeds its documented limit.
	ErrTooLarge = errors.New("message too large")
)

func isErr(err, target error) bool { return errors.Is(err, target) }
