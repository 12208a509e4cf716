package session

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/media"
)

// Pipeline is what a call does with the caller's media: the echo
// diagnostic, or the dialogue engine. One Pipeline value serves every call;
// per-call state lives inside Run.
type Pipeline interface {
	// Name is reported to the client in session.ready.
	Name() string
	// Engines names the speech and language engines in use, for session.ready.
	Engines() map[string]string
	// Run owns the call's turn logic until ctx is done. It returns nil when
	// ctx ends; any other return ends the call with ReasonPipelineError.
	Run(ctx context.Context, io *IO) error
}

// IO is a call's media and control surface as a pipeline sees it.
type IO struct {
	// CallID identifies the call in logs and events.
	CallID string
	// Frames carries the caller's audio: 16 kHz mono, 20 ms per frame, in
	// order. A slow pipeline loses frames (counted), it never blocks media.
	Frames <-chan media.Frame
	// Commands carries validated client commands from the events channel.
	Commands <-chan events.Command
	// Out is the paced audio writer towards the caller.
	Out *media.PacedWriter
	// Log carries the call id on every line.
	Log zerolog.Logger

	send  func(events.Event)
	video func() *media.VideoReceiver
}

// Video returns the caller's camera receiver, or nil while the call has no
// video (none offered, or no packet yet).
func (io *IO) Video() *media.VideoReceiver {
	if io.video == nil {
		return nil
	}
	return io.video()
}

// Send queues an event for the client. It never blocks: if the client is
// not reading, events beyond the queue are dropped and counted.
func (io *IO) Send(ev events.Event) { io.send(ev) }

// NewIO builds an IO for tests of pipelines outside this package.
func NewIO(callID string, frames <-chan media.Frame, cmds <-chan events.Command, out *media.PacedWriter, log zerolog.Logger, send func(events.Event)) *IO {
	return &IO{CallID: callID, Frames: frames, Commands: cmds, Out: out, Log: log, send: send}
}
