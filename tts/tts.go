// Package tts defines text-to-speech: text in, a stream of PCM chunks out,
// the first chunk well before the whole text is synthesized. Backends live
// in subpackages (tts/espeak offline, tts/openai for OpenAI-compatible
// servers). The Chunker cuts streamed LLM text into speakable pieces.
package tts

import (
	"context"
)

// Engine is a text-to-speech backend, safe for concurrent use by many calls.
type Engine interface {
	// Name identifies the backend, e.g. "espeak" or "openai:tts-1".
	Name() string
	// Synthesize starts speaking text. ctx cancels it.
	Synthesize(ctx context.Context, text string, opt Options) (Stream, error)
}

// Options for one synthesis.
type Options struct {
	// Voice is backend-specific ("en-us", "en-us+f3", "cmn"; "alloy").
	Voice string
	// Language is a BCP-47 hint, e.g. "en" or "zh".
	Language string
}

// Chunk is a piece of synthesized audio.
type Chunk struct {
	// PCM is mono s16 at SampleRate.
	PCM        []int16
	SampleRate int
	// Marks are word boundaries inside this chunk, when the backend knows
	// them (for truncating the history to what was heard).
	Marks []Mark
}

// Mark ties a position in the text to a position in the audio.
type Mark struct {
	// TextOffset is a byte offset into the synthesized text where a word starts.
	TextOffset int
	// Sample is the offset, in samples from the start of the whole
	// synthesis, where that word starts.
	Sample int
}

// Stream yields audio chunks.
type Stream interface {
	// Next returns the next chunk; io.EOF after the last one.
	Next() (Chunk, error)
	// Close stops synthesis and releases resources; safe twice.
	Close() error
}
