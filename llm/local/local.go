// Package local is the offline language model: a small skills brain that
// answers a known set of requests honestly and says so for everything
// else. It parses the last user turn leniently (case, punctuation,
// contractions and common recognizer slips such as "to" for "two" next to
// an operator) and streams the reply word by word.
//
// Skills: greeting, time, date, arithmetic on spoken or written numbers,
// repeating what the user (or the assistant) said, a long story, help, a
// description of the camera picture from measured colours, brightness and
// change, short acknowledgements and goodbyes. A spoken turn the
// recogniser did not understand (llm.Message.NotUnderstood) is quoted when
// it was heard confidently, with what the brain can do, and never answered
// with a skill; a string of digits is quoted, not summed. Anything else
// gets a short reply explaining how to connect a real model server.
package local

import (
	"context"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/llm"
)

// Options configure an Engine. The zero value is ready to use.
type Options struct {
	// Now is used when a Request has no Now; default time.Now.
	Now func() time.Time
}

// Engine is the offline skills brain; safe for concurrent use.
type Engine struct {
	now func() time.Time
}

var _ llm.Engine = (*Engine)(nil)

// New returns an Engine.
func New(o Options) *Engine {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Engine{now: o.Now}
}

// Name is "local".
func (e *Engine) Name() string { return "local" }

// Stream answers the last user turn. The whole reply is computed at once
// (it is cheap) and handed out as word deltas.
func (e *Engine) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	n := len(req.History)
	if n == 0 || (req.History[n-1].Role != llm.RoleUser && (req.History[n-1].Role != llm.RoleTool || len(req.Tools) == 0)) {
		return nil, llm.ErrNoUserTurn
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if req.Now.IsZero() {
		req.Now = e.now()
	}
	if len(req.Tools) > 0 {
		if reply, calls, ok := toolTurn(req); ok {
			return &stream{ctx: ctx, deltas: splitDeltas(reply), calls: calls}, nil
		}
	}
	_, reply := respond(req)
	return &stream{ctx: ctx, deltas: splitDeltas(reply)}, nil
}

// Reply returns the skill that answers the last user turn and the full
// reply text, without streaming (for tools and tests).
func (e *Engine) Reply(req llm.Request) (skill, text string, err error) {
	n := len(req.History)
	if n == 0 || req.History[n-1].Role != llm.RoleUser {
		return "", "", llm.ErrNoUserTurn
	}
	if req.Now.IsZero() {
		req.Now = e.now()
	}
	skill, text = respond(req)
	return skill, text, nil
}

// splitDeltas cuts text into words, each with its following space, so the
// deltas concatenate back to the text exactly.
func splitDeltas(text string) []string {
	var out []string
	for len(text) > 0 {
		i := strings.IndexByte(text, ' ')
		if i < 0 {
			out = append(out, text)
			break
		}
		j := i
		for j < len(text) && text[j] == ' ' {
			j++
		}
		out = append(out, text[:j])
		text = text[j:]
	}
	return out
}

// stream hands out the deltas; cancelling ctx or Close stops it.
type stream struct {
	ctx    context.Context
	mu     sync.Mutex
	deltas []string
	closed bool
	calls  []llm.ToolCall
	ended  bool
}

var _ llm.ToolCallStream = (*stream)(nil)

// ToolCalls returns the reply's tool calls once Next has returned io.EOF.
func (s *stream) ToolCalls() []llm.ToolCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		return nil
	}
	return s.calls
}

// Next returns the next word, io.EOF at the end, ctx.Err() once the
// context is cancelled, ErrClosed after Close.
func (s *stream) Next() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", ErrClosed
	}
	if err := s.ctx.Err(); err != nil {
		return "", err
	}
	if len(s.deltas) == 0 {
		s.ended = true
		return "", io.EOF
	}
	d := s.deltas[0]
	s.deltas = s.deltas[1:]
	return d, nil
}

// Close stops the stream; safe twice.
func (s *stream) Close() error {
	s.mu.Lock()
	s.closed = true
	s.deltas = nil
	s.mu.Unlock()
	return nil
}
