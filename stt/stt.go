// Package stt defines speech-to-text: an Engine shared by all calls hands
// out one Stream per user utterance. Backends live in subpackages
// (stt/sphinx offline, stt/openai for OpenAI-compatible servers).
package stt

import (
	"context"
	"errors"
)

// SampleRate is the rate of the PCM fed to every Stream: 16 kHz mono s16.
const SampleRate = 16000

// Engine is a speech-to-text backend. It is safe for concurrent use by
// many calls.
type Engine interface {
	// Name identifies the backend, e.g. "sphinx" or "openai:whisper-1".
	Name() string
	// NewStream starts recognizing one utterance. ctx bounds the whole
	// utterance: cancelling it abandons recognition.
	NewStream(ctx context.Context, opt StreamOptions) (Stream, error)
}

// StreamOptions configure one utterance.
type StreamOptions struct {
	// Language is a BCP-47 hint such as "en" or "zh"; empty means the
	// engine's default.
	Language string
}

// Stream recognizes one utterance. It is used from one goroutine.
type Stream interface {
	// Write feeds 16 kHz mono PCM of any length, starting with the
	// pre-roll. It returns quickly (implementations that decode slowly
	// buffer and work in their own goroutine).
	Write(pcm []int16) error
	// Partial returns the best hypothesis so far, or "" (engines without
	// partial results always return "").
	Partial() string
	// Finish ends the utterance and returns the final transcript.
	Finish(ctx context.Context) (Result, error)
	// Close releases the stream; it is safe after Finish and twice.
	Close() error
}

// Result is a final transcript.
type Result struct {
	Text string
	// Confidence in [0,1] when the engine reports one, else -1.
	Confidence float64
}

// ErrClosed: the stream was used after Close.
var ErrClosed = errors.New("stt: stream closed")
