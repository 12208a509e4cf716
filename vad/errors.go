package vad

import "errors"

// ErrSampleRate is returned for a sample rate other than 8000, 16000 or 48000 Hz.
var ErrSampleRate = errors.New("vad: unsupported sample rate (want 8000, 16000 or 48000)")

// ErrFrameDuration is returned for a frame duration other than 10, 20 or 30 ms.
var ErrFrameDuration = errors.New("vad: unsupported frame duration (want 10, 20 or 30 ms)")

// ErrOption is returned, wrapped, for an option outside its documented range.
var ErrOption = errors.New("vad: invalid option")
