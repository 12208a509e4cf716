package openairt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/duplex-ai/duplex/internal/rtws"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/stt"
)

// line is one call's socket and what waits on it.
type line struct {
	e       *Engine
	private bool        // one stream's own line: closes with it
	stop    func() bool // unregisters the close on the call's context

	dialMu sync.Mutex // one dial at a time

	mu      sync.Mutex
	c       *rtws.Conn
	update  string    // event_id of the session.update on c
	pending []*commit // sent on c, not yet committed, in order
	byEvent map[string]*commit
	items   map[string]*commit
	owner   *stream // appended last
	dirty   bool    // c's input buffer holds audio no commit took
	closed  bool

	// wg counts the socket goroutines of every conn of the line; Adds
	// happen under mu before closed is set, so Close's Wait sees them all.
	wg sync.WaitGroup
}

// commit is one input_audio_buffer.commit and its item's transcript.
type commit struct {
	c       *rtws.Conn
	eventID string
	item    string
	partial strings.Builder
	done    chan outcome // buffered; written once, under line.mu
}

type outcome struct {
	res stt.Result
	err error
}

func (ln *line) isClosed() bool {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	return ln.closed
}

// close ends the line and its socket; the reader fails what waited.
func (ln *line) close() {
	ln.mu.Lock()
	if ln.closed {
		ln.mu.Unlock()
		return
	}
	ln.closed = true
	c := ln.c
	ln.mu.Unlock()
	if ln.stop != nil {
		ln.stop()
	}
	if c != nil {
		c.Fail(fmt.Errorf("%w: the call ended", ErrLost))
	}
}

// Close ends the line as close does and waits for its socket goroutines;
// the call's stt.Adaptation.Close, the call's end and Engine.Close call it.
func (ln *line) Close() error {
	ln.close()
	ln.wg.Wait()
	ln.e.mu.Lock()
	delete(ln.e.lines, ln)
	ln.e.mu.Unlock()
	return nil
}

// connect returns the live socket, dialing and configuring the session if
// there is none.
func (ln *line) connect(ctx context.Context) (*rtws.Conn, error) {
	ln.dialMu.Lock()
	defer ln.dialMu.Unlock()
	ln.mu.Lock()
	c, closed := ln.c, ln.closed
	ln.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("%w: the call ended", ErrLost)
	}
	if c != nil && c.Alive() {
		return c, nil
	}
	e := ln.e
	ws, err := rtws.Dial(ctx, e.endpoint, rtws.DialOptions{APIKey: e.o.APIKey, HTTPClient: e.o.HTTPClient,
		Clock: e.o.Clock, Timeout: e.o.Timeout, Owner: e.ctx})
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, rtws.ErrDialTimeout):
		return nil, fmt.Errorf("%w: %v", ErrTimeout, err)
	default:
		return nil, fmt.Errorf("stt/openairt: %w", err)
	}
	upd := &wire.SessionUpdate{Session: ln.session()}
	upd.EventID = e.ids.Event()
	ln.mu.Lock()
	if ln.closed {
		ln.mu.Unlock()
		_ = ws.CloseNow()
		return nil, fmt.Errorf("%w: the call ended", ErrLost)
	}
	// Started under mu (its handlers wait for it): no Add after Close's Wait.
	c = rtws.Start(e.ctx, ws, &ln.wg, rtws.Handlers{Prefix: "stt/openairt", Event: ln.onEvent, Lost: ln.onLost,
		Bad: func(err error) { e.o.Log.Debug().Err(err).Msg("stt/openairt: unreadable server event") }})
	ln.c, ln.update, ln.owner, ln.dirty = c, upd.EventID, nil, false
	ln.mu.Unlock()
	if err := c.SendEvent(upd, e.ids); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLost, err)
	}
	return c, nil
}

// session is the transcription session: pcm 24 kHz in, no turn detection
// (Duplex ends the turn), the configured model and hints.
func (ln *line) session() wire.Session {
	o := ln.e.o
	return wire.Session{
		Type: wire.SessionTranscription,
		Audio: &wire.SessionAudio{Input: &wire.AudioInput{
			Format:        &wire.AudioFormat{Type: wire.FormatPCM, Rate: SampleRate},
			Transcription: wire.Some(wire.Transcription{Model: o.Model, Language: isoLanguage(o.Language), Prompt: o.Prompt}),
			TurnDetection: wire.Null[wire.TurnDetection](),
		}},
	}
}

// append sends s's audio, first clearing audio another stream left
// uncommitted on the socket.
func (ln *line) append(s *stream, pcm []int16) error {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.c != s.c {
		return s.lost()
	}
	if ln.owner != s && ln.dirty {
		_ = s.c.SendEvent(&wire.InputAudioBufferClear{}, ln.e.ids)
	}
	ln.owner, ln.dirty = s, true
	if err := s.c.SendEvent(&wire.InputAudioBufferAppend{Audio: wire.EncodePCM(pcm)}, ln.e.ids); err != nil {
		return s.lost()
	}
	return nil
}

// clear drops what s appended and no commit took.
func (ln *line) clear(s *stream) {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.c == s.c && ln.owner == s && ln.dirty {
		_ = s.c.SendEvent(&wire.InputAudioBufferClear{}, ln.e.ids)
		ln.owner, ln.dirty = nil, false
	}
}

// commit ends s's audio on the socket; its outcome comes on the returned
// commit's done.
func (ln *line) commit(s *stream) (*commit, error) {
	ev := &wire.InputAudioBufferCommit{}
	ev.EventID = ln.e.ids.Event()
	cm := &commit{c: s.c, eventID: ev.EventID, done: make(chan outcome, 1)}
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.c != s.c {
		return nil, s.lost()
	}
	ln.pending = append(ln.pending, cm)
	ln.byEvent[cm.eventID] = cm
	ln.owner, ln.dirty = nil, false
	if err := s.c.SendEvent(ev, ln.e.ids); err != nil {
		return nil, s.lost()
	}
	return cm, nil
}

// finish delivers cm's outcome once and forgets it; under mu.
func (ln *line) finish(cm *commit, o outcome) {
	delete(ln.byEvent, cm.eventID)
	if cm.item != "" {
		delete(ln.items, cm.item)
	}
	for i, p := range ln.pending {
		if p == cm {
			ln.pending = append(ln.pending[:i], ln.pending[i+1:]...)
			break
		}
	}
	select {
	case cm.done <- o:
	default:
	}
}

// onEvent is the reader's: the server's answers to the commits.
func (ln *line) onEvent(c *rtws.Conn, ev wire.Event) {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	switch e := ev.(type) {
	case *wire.InputAudioBufferCommitted:
		for i, cm := range ln.pending {
			if cm.c == c {
				ln.pending = append(ln.pending[:i], ln.pending[i+1:]...)
				delete(ln.byEvent, cm.eventID)
				cm.item = e.ItemID
				ln.items[e.ItemID] = cm
				return
			}
		}
	case *wire.InputTranscriptionDelta:
		if cm := ln.items[e.ItemID]; cm != nil && cm.c == c {
			cm.partial.WriteString(e.Delta)
		}
	case *wire.InputTranscriptionCompleted:
		if cm := ln.items[e.ItemID]; cm != nil && cm.c == c {
			ln.finish(cm, outcome{res: stt.Result{Text: strings.TrimSpace(e.Transcript), Confidence: -1}})
		}
	case *wire.InputTranscriptionFailed:
		if cm := ln.items[e.ItemID]; cm != nil && cm.c == c {
			ln.finish(cm, outcome{err: fmt.Errorf("%w: transcription failed: %s", ErrServer, e.Error.Message)})
		}
	case *wire.ErrorEvent:
		ln.onError(c, e)
	}
}

// onError routes an error event by the event_id it names: a commit's
// fails that turn (an empty buffer is no speech), the session.update's
// fails the socket, another (a bad append) the stream that appended.
func (ln *line) onError(c *rtws.Conn, e *wire.ErrorEvent) {
	id := e.Error.EventID
	if cm := ln.byEvent[id]; id != "" && cm != nil && cm.c == c {
		if e.Error.Code == wire.CodeCommitEmpty {
			ln.finish(cm, outcome{res: stt.Result{Confidence: -1}})
			return
		}
		ln.finish(cm, outcome{err: fmt.Errorf("%w: %s (%s)", ErrServer, e.Error.Message, e.Error.Code)})
		if ln.owner == nil {
			ln.dirty = true // the failed commit left its audio: the next turn clears it first
		}
		return
	}
	err := fmt.Errorf("%w: %s (%s)", ErrServer, e.Error.Message, e.Error.Code)
	if id != "" && id == ln.update && ln.c == c {
		c.Fail(fmt.Errorf("session.update rejected: %w", err)) // the reader, on its next Read, reports it lost
		return
	}
	if s := ln.owner; s != nil && ln.c == c {
		s.fail(err)
	}
	ln.e.o.Log.Warn().Err(err).Msg("stt/openairt: error event")
}

// onLost fails every turn waiting on c.
func (ln *line) onLost(c *rtws.Conn, err error) {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if !errors.Is(err, ErrLost) {
		err = lostError{err}
	}
	for _, cm := range append([]*commit(nil), ln.pending...) {
		if cm.c == c {
			ln.finish(cm, outcome{err: err})
		}
	}
	for _, cm := range ln.items {
		if cm.c == c {
			ln.finish(cm, outcome{err: err})
		}
	}
	if ln.c == c {
		ln.c, ln.owner, ln.dirty = nil, nil, false
	}
}

// lostError is why a socket went away; it is also ErrLost.
type lostError struct{ err error }

func (e lostError) Error() string   { return e.err.Error() }
func (e lostError) Unwrap() []error { return []error{e.err, ErrLost} }
