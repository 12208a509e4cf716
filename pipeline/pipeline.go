// Package pipeline is the contract between a call (session) and what runs
// on it (the dialogue engine, echo, canned): caller frames and commands in,
// audio and typed events out. It knows no WebRTC and no wire protocol.
package pipeline

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/media"
)

// Pipeline is what a call does with the caller's media. One Pipeline value
// serves every call; per-call state lives inside Run.
type Pipeline interface {
	// Name is reported to the client in session.ready.
	Name() string
	// Engines names the speech and language engines in use, for session.ready.
	Engines() map[string]string
	// Run owns the call's turn logic until ctx is done. It returns nil when
	// ctx ends; any other return ends the call as a pipeline error.
	Run(ctx context.Context, io *IO) error
}

// Moder is implemented by a pipeline whose calls start in a mode other
// than full duplex.
type Moder interface {
	Mode() Mode
}

// AudioOut is the paced audio writer towards the caller
// (media.PacedWriter). Audio is queued in utterances named by an id.
type AudioOut interface {
	// Enqueue appends PCM at sampleRate to utterance id.
	Enqueue(id int, pcm []int16, sampleRate int) error
	// EndUtterance marks the end of id: its playout reports done.
	EndUtterance(id int)
	// ClearQueue drops everything queued and returns how much it dropped.
	ClearQueue() time.Duration
	// Pause holds playout at once; Resume continues it.
	Pause()
	Resume()
	// Played is how much of utterance id the caller has been sent.
	Played(id int) time.Duration
	// Queued is how much audio waits to be sent.
	Queued() time.Duration
	// SetOnPlayout sets the callback run on the writer's goroutine after
	// every frame sent (played so far) and at the end of each utterance
	// (done). It must not block; nil removes it.
	SetOnPlayout(fn func(id int, played time.Duration, done bool))
}

// ReferenceOut is implemented by an AudioOut that reports each frame it
// sends (media.PacedWriter): the reference an echo suppressor compares the
// caller's audio with. fn runs on the writer's goroutine with 48 kHz mono
// PCM valid only during the call; it must not block. nil removes it.
type ReferenceOut interface {
	SetOnReference(fn func(pcm []int16, at time.Time))
}

// VideoSource is the caller's camera (video.Receiver).
type VideoSource interface {
	// Refresh asks for a fresh picture (a key frame).
	Refresh()
	// Latest returns the newest picture, or nil.
	Latest() *media.Snapshot
	// Snapshot waits for a picture newer than the call to it.
	Snapshot(ctx context.Context) (*media.Snapshot, error)
	// SetSampling on keeps a picture a second (while the user speaks);
	// off, fewer.
	SetSampling(on bool)
	// PictureAt is the picture shown at t (the latest kept at or before
	// it, else the oldest), nil if none.
	PictureAt(t time.Time) *media.Snapshot
	// PicturesBetween is up to n kept pictures captured in [from, to],
	// oldest first, spread across it.
	PicturesBetween(from, to time.Time, n int) []*media.Snapshot
}

// Sink receives a pipeline's events. Emit never blocks.
type Sink interface {
	Emit(Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// Emit implements Sink.
func (f SinkFunc) Emit(ev Event) { f(ev) }

// IO is a call's media and control surface as a pipeline sees it.
type IO struct {
	// CallID identifies the call in logs.
	CallID string
	// Frames carries the caller's audio: 16 kHz mono, 20 ms per frame, in
	// order. A slow pipeline loses frames (counted), it never blocks media.
	Frames <-chan media.Frame
	// Commands carries validated client commands.
	Commands <-chan Command
	// Out is the audio towards the caller.
	Out AudioOut
	// Video returns the caller's camera, or nil while there is none; nil
	// means the call has no video.
	Video func() VideoSource
	// Events receives the pipeline's events; it never blocks.
	Events Sink
	// Log carries the call id on every line.
	Log zerolog.Logger
	// Clock is the call's clock; nil means the wall clock.
	Clock clock.Clock
}

// Emit sends ev to the call's sink.
func (io *IO) Emit(ev Event) { io.Events.Emit(ev) }

// Camera returns the caller's camera, or nil.
func (io *IO) Camera() VideoSource {
	if io.Video == nil {
		return nil
	}
	return io.Video()
}

// Now reads the call's clock.
func (io *IO) Now() time.Time {
	if io.Clock == nil {
		return time.Now()
	}
	return io.Clock.Now()
}
