// Package stt defines speech-to-text: an Engine shared by all calls hands
// out one Stream per user utterance. Backends live in subpackages
// (stt/sphinx offline, stt/openai for OpenAI-compatible servers).
package stt

import (
	"context"
	"errors"
	"io"
	"sync"
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
	// Adaptation, when not nil, carries what the engine learnt about this
	// caller's voice and channel from one utterance to the next of the same
	// call. The dialogue engine keeps one per call; engines that adapt
	// nothing ignore it.
	Adaptation *Adaptation
}

// Adaptation is per-call state an engine keeps between the utterances of
// one call (stt/sphinx: the cepstral mean of the caller's channel). Only
// the engine interprets its value. It is safe for concurrent use.
type Adaptation struct {
	mu sync.Mutex
	v  any
}

// Load returns the value the engine stored last, or nil.
func (a *Adaptation) Load() any {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.v
}

// Store replaces the value.
func (a *Adaptation) Store(v any) {
	a.mu.Lock()
	a.v = v
	a.mu.Unlock()
}

// Close drops the value and, when it is an io.Closer (a per-call socket),
// closes it and waits for what it runs: the owner of the call (the dialogue
// engine) calls it when the call ends, so nothing outlives the call.
func (a *Adaptation) Close() error {
	a.mu.Lock()
	v := a.v
	a.v = nil
	a.mu.Unlock()
	if c, ok := v.(io.Closer); ok {
		return c.Close()
	}
	return nil
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

// LivePartialer is an Engine (or a brain session) that says whether its
// streams' Partial grows while the user is still speaking. The dialogue
// engine's false-interruption rule depends on it; an engine that does not
// implement it is taken to have no live partials.
type LivePartialer interface {
	LivePartials() bool
}

// PartialSource tags a pushed live partial (a stream's OnPartial) with the
// pass that decoded it: an end-of-turn decision reads both.
type PartialSource uint8

const (
	// PartialFirst is the stream's own live pass (stt/sphinx: the skills
	// grammar, right on requests and digit strings).
	PartialFirst PartialSource = iota
	// PartialLM is a general language model's pass over open speech.
	PartialLM
)

// Result is a final transcript.
type Result struct {
	Text string
	// Confidence in [0,1] when the engine reports one, else -1.
	Confidence float64
	// NotUnderstood: the engine heard speech but did not take it as a
	// request it knows (stt/sphinx: the skills grammar lost to an
	// unconstrained model of the same audio). Text is then what its
	// general model heard, possibly wrong; Confidence says how sure it
	// was. Engines that transcribe freely leave it false.
	NotUnderstood bool
}

// ErrClosed: the stream was used after Close.
var ErrClosed = errors.New("stt: stream closed")
