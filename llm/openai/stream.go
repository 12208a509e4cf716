package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"sync"

	"github.com/duplex-ai/duplex/internal/oaihttp"
	"github.com/duplex-ai/duplex/llm"
)

// maxJSONBody caps a non-streamed (application/json) answer.
const maxJSONBody = 4 << 20

var _ llm.ToolCallStream = (*stream)(nil)

// stream reads one reply. Next is used from one goroutine; Close may be
// called from any, also during Next.
type stream struct {
	ctx  context.Context
	resp *oaihttp.Response
	sse  *sseReader
	json bool // the server ignored "stream" and sent one JSON completion

	pending  []string
	calls    []llm.ToolCall
	finished bool // a choice reported a finish_reason
	done     bool
	err      error

	closeOnce sync.Once
	closed    chan struct{}
}

func newStream(ctx context.Context, resp *oaihttp.Response) *stream {
	s := &stream{ctx: ctx, resp: resp, closed: make(chan struct{})}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	s.json = mt == "application/json"
	if !s.json {
		s.sse = newSSEReader(resp.Body)
	}
	return s
}

// chatChunk is one streamed chat.completion.chunk (or, for non-streamed
// answers, a chat.completion: message instead of delta).
type chatChunk struct {
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content   *string         `json:"content"`
			ToolCalls []toolCallDelta `json:"tool_calls"`
		} `json:"delta"`
		Message struct {
			Content   *string         `json:"content"`
			ToolCalls []toolCallDelta `json:"tool_calls"`
		} `json:"message"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Error json.RawMessage `json:"error"`
}

// toolCallDelta is a piece of a streamed tool call: the first piece of
// index i has id and name, later ones append to the arguments.
type toolCallDelta struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// Caps on what a server can make a reply's tool calls grow to.
const (
	maxToolCalls    = 16
	maxToolArgBytes = 64 << 10
)

// addToolCalls accumulates streamed tool-call pieces by index. A piece
// without an index (non-streamed message) is a whole call of its own.
func (s *stream) addToolCalls(ds []toolCallDelta) error {
	for _, d := range ds {
		i := len(s.calls)
		if d.Index != nil {
			i = *d.Index
		}
		if i < 0 || i >= maxToolCalls {
			return fmt.Errorf("%w: tool call index %d (at most %d calls)", ErrBadResponse, i, maxToolCalls)
		}
		for len(s.calls) <= i {
			s.calls = append(s.calls, llm.ToolCall{})
		}
		c := &s.calls[i]
		if d.ID != "" {
			c.ID = d.ID
		}
		if d.Function.Name != "" {
			c.Name += d.Function.Name
		}
		c.Arguments += d.Function.Arguments
		if len(c.Arguments) > maxToolArgBytes {
			return fmt.Errorf("%w: tool call arguments longer than %d bytes", ErrBadResponse, maxToolArgBytes)
		}
	}
	return nil
}

// ToolCalls returns the reply's complete tool calls (those with an id and
// a name) once Next has returned io.EOF; nil before.
func (s *stream) ToolCalls() []llm.ToolCall {
	if !s.done {
		return nil
	}
	var out []llm.ToolCall
	for _, c := range s.calls {
		if c.ID != "" && c.Name != "" {
			out = append(out, c)
		}
	}
	return out
}

// Next returns the next non-empty delta, io.EOF after [DONE], or the error
// that ended the stream (the same error again on later calls).
func (s *stream) Next() (string, error) {
	for {
		select {
		case <-s.closed:
			return "", ErrClosed
		default:
		}
		if len(s.pending) > 0 {
			d := s.pending[0]
			s.pending = s.pending[1:]
			return d, nil
		}
		if s.err != nil {
			return "", s.err
		}
		if s.done {
			return "", io.EOF
		}
		if err := s.ctx.Err(); err != nil {
			s.fail(err)
			continue
		}
		if s.json {
			s.readJSON()
			continue
		}
		s.readEvent()
	}
}

func (s *stream) fail(err error) {
	s.err = err
	s.resp.Close()
}

func (s *stream) finish() {
	s.done = true
	s.resp.Close()
}

// readEvent reads one SSE event and queues its content.
func (s *stream) readEvent() {
	ev, err := s.sse.next()
	switch {
	case err == nil:
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// An unterminated last event is still used when it is complete
		// ([DONE] or whole JSON): some servers close without the blank line.
		if errors.Is(err, io.ErrUnexpectedEOF) {
			if strings.TrimSpace(ev.Data) == "[DONE]" {
				s.finish()
				return
			}
			if json.Valid([]byte(ev.Data)) {
				if s.handle(ev) != nil {
					return
				}
			}
		}
		if s.finished {
			s.finish() // a finish_reason was sent: nothing is missing
			return
		}
		s.fail(ErrIncomplete)
		return
	default:
		s.fail(s.mapErr(err))
		return
	}
	if strings.TrimSpace(ev.Data) == "[DONE]" {
		s.finish()
		return
	}
	_ = s.handle(ev)
}

// handle parses one event's JSON; it returns the error it failed with.
func (s *stream) handle(ev sseEvent) error {
	var c chatChunk
	if err := json.Unmarshal([]byte(ev.Data), &c); err != nil {
		err = fmt.Errorf("%w: event data %q: %v", ErrBadResponse, clipData(ev.Data), err)
		s.fail(err)
		return err
	}
	if ev.Event == "error" || (len(c.Error) > 0 && string(c.Error) != "null") {
		raw := c.Error
		if len(raw) == 0 || string(raw) == "null" {
			raw = json.RawMessage(ev.Data)
		}
		msg, _, _ := oaihttp.ParseErrorBody([]byte(`{"error":` + string(raw) + `}`))
		err := fmt.Errorf("%w: %s", ErrStreamError, msg)
		s.fail(err)
		return err
	}
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
		if ch.Delta.Content != nil && *ch.Delta.Content != "" {
			s.pending = append(s.pending, *ch.Delta.Content)
		}
		if ch.Message.Content != nil && *ch.Message.Content != "" {
			s.pending = append(s.pending, *ch.Message.Content)
		}
		for _, tc := range [][]toolCallDelta{ch.Delta.ToolCalls, ch.Message.ToolCalls} {
			if err := s.addToolCalls(tc); err != nil {
				s.fail(err)
				return err
			}
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			s.finished = true
		}
	}
	return nil
}

// readJSON reads a whole non-streamed completion.
func (s *stream) readJSON() {
	b, err := io.ReadAll(io.LimitReader(s.resp.Body, maxJSONBody))
	if err != nil {
		s.fail(s.mapErr(err))
		return
	}
	if err := s.handle(sseEvent{Data: string(b)}); err != nil {
		return
	}
	s.finish()
}

// mapErr turns a read error into the stream's error: the caller's
// cancellation stays ctx.Err(); Close shows as ErrClosed.
func (s *stream) mapErr(err error) error {
	if s.ctx.Err() != nil {
		return s.ctx.Err()
	}
	select {
	case <-s.closed:
		return ErrClosed
	default:
	}
	if errors.Is(err, ErrBadResponse) {
		return err
	}
	return fmt.Errorf("openai chat stream: %w", err)
}

// Close stops the reply and releases the connection; safe twice.
func (s *stream) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.resp.Close()
	})
	return nil
}

func clipData(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
