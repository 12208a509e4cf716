// Package brain is the seam between the dialogue engine, which owns
// turn-taking (VAD, end of turn, barge-in, truncation to what was heard,
// half duplex, memory, metrics), and what produces the assistant's reply
// to a finished user turn. In LiveKit Agents' words: either a cascade of
// STT, LLM and TTS, or one speech-to-speech RealtimeModel (the OpenAI
// Realtime protocol); both implement Brain.
package brain

import (
	"context"
	"errors"
	"time"

	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/stt"
)

// Brain makes a Session per call. One Brain serves every call.
type Brain interface {
	// Engines names what runs each stage, for session.ready (e.g. "stt",
	// "llm", "tts"; a speech-to-speech model may name one "model").
	Engines() map[string]string
	// NewSession starts one call's brain; ctx is the call's.
	NewSession(ctx context.Context) (Session, error)
}

// Session is one call's brain. The engine calls Hear and Truncate from its
// goroutine and runs each Respond on a goroutine of its own; at most one
// reply is in production at a time.
type Session interface {
	// Hear opens the recognition of one user turn: the engine writes the
	// caller's audio while the user speaks and calls Finish at the end of
	// the turn (a speech-to-speech model appends it to its input buffer
	// and commits it); the transcript decides barge-in versus backchannel.
	Hear(ctx context.Context, opt stt.StreamOptions) (stt.Stream, error)
	// Respond produces the reply to req and returns when it is over: all
	// of its audio given to out (then out.Produced), ctx cancelled
	// (barge-in or cancel), or a stage failed (out.Failed).
	Respond(ctx context.Context, req Request, out Output)
	// Truncate tells the brain that the reply of turnID was cut off after
	// played of its audio and heard is the text the user heard; a model
	// that keeps its own conversation truncates it there
	// (conversation.item.truncate audio_end_ms).
	Truncate(turnID int, played time.Duration, heard string)
	// Close ends the session; the engine calls it once, after every
	// Respond has returned.
	Close() error
}

// Speculator is implemented by a Session that may answer a turn before it
// has surely ended (a preemptive reply): its Respond has no effect beyond
// its Output, and a Hear stream may be finished early and dropped, so the
// engine can hold the reply's audio until the turn commits and discard it
// without a trace when the user goes on. A session that keeps its own
// conversation, or runs tools with side effects, must say false.
type Speculator interface {
	Speculative() bool
}

// Request is one reply to produce.
type Request struct {
	TurnID int
	// LLM is the conversation as the engine remembers it, the user's turn
	// last. A model that keeps its own conversation may use only the turn.
	LLM llm.Request
	// Say, when set, is spoken as it is instead of generating a reply (the
	// engine's apology after a failed stage).
	Say string
	// Look, when set, returns the caller's camera picture for the turn and
	// the previous one (nil without video).
	Look func(ctx context.Context) (cur, prev *llm.Image)
	// Frames, when set, returns up to three pictures across the user's
	// turn, oldest first (llm.Request.Frames).
	Frames func(ctx context.Context) []*llm.Image
	// Latest, when set, returns the camera's newest picture now (nil
	// without video): what a model that asks to look is shown.
	Latest func(ctx context.Context) *llm.Image
}

// Stage names a stage in failures and milestones.
type Stage string

// Stages of a reply.
const (
	StageSTT Stage = "stt"
	StageLLM Stage = "llm"
	StageTTS Stage = "tts"
	// StageModel is a speech-to-speech model's reply (it has no separate
	// LLM and TTS stages).
	StageModel Stage = "model"
)

// Milestone is a moment of a reply's production, for the turn metrics.
type Milestone int

// Milestones.
const (
	// FirstToken: the first text of the reply arrived.
	FirstToken Milestone = iota + 1
	// SpeechStart: synthesis of the reply's first audio was asked for.
	SpeechStart
	// FirstAudio: the first audio of the reply arrived.
	FirstAudio
)

// Piece is a stretch of the reply's text and where its audio sits in the
// reply, so the engine can tell what the user heard when cut off.
type Piece struct {
	Text       string
	Start, End time.Duration
	// Marks are word starts inside Text, if the synthesizer reports them.
	Marks []WordMark
}

// WordMark is a word start: a byte offset into Piece.Text and its audio
// time from the start of the reply.
type WordMark struct {
	TextOffset int
	At         time.Duration
}

// Output receives one reply as it is produced. Its methods are safe to
// call from any goroutine of Respond and never block on the engine for
// long.
type Output interface {
	// Delta is the next piece of the reply's text.
	Delta(text string)
	// Mark reports a milestone at time at.
	Mark(m Milestone, at time.Time)
	// Audio queues reply audio; it fails once the reply was cancelled.
	Audio(pcm []int16, sampleRate int) error
	// Spoken records piece i of the reply's audio (a later call with the
	// same i replaces it as its audio grows); i counts from 0.
	Spoken(i int, p Piece)
	// Failed reports the stage that failed; the reply is over.
	Failed(stage Stage, err error)
	// Produced reports that the reply is complete; audio tells whether it
	// had any.
	Produced(audio bool)
}

// ToolReporter is implemented by an Output that shows tool calls (the
// dialogue engine's: tool.started / tool.done, and an error event for a
// failed call). A brain that runs tools reports each call's start and its
// end exactly once, also after the reply was cancelled.
type ToolReporter interface {
	ToolStarted(turnID int, call llm.ToolCall)
	// ToolDone: result is the bounded result, or err the failure.
	ToolDone(turnID int, call llm.ToolCall, result string, err error, took time.Duration)
}

// ToolUser is implemented by an Output that records which tool results a
// reply used (the transcript's "spoken" mark): a brain reports the calls
// whose results it put into the reply's request.
type ToolUser interface {
	ToolsUsed(turnID int, callIDs []string)
}

// ErrCancelled is what Output.Audio returns once the reply was cancelled.
var ErrCancelled = errors.New("brain: reply cancelled")
