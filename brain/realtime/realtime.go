// Package realtime is a speech-to-speech brain: one OpenAI Realtime
// WebSocket per call (GA protocol, beta event names accepted) behind the
// brain seam, so the dialogue engine keeps turn-taking, barge-in,
// truncation and metrics while the model hears and speaks.
//
// It speaks the wire types of package duplex/realtime (imported as wire).
// The WebSocket is github.com/coder/websocket: context-aware dial, read
// and write, safe concurrent writes and close, no dependencies; gorilla's
// Conn needs a write mutex and deadlines instead of contexts.
package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/internal/dsp"
	"github.com/duplex-ai/duplex/internal/rtws"
	"github.com/duplex-ai/duplex/llm"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/tools"
	"github.com/duplex-ai/duplex/tts"
)

// SampleRate is the PCM16 rate both ways on the wire.
const SampleRate = 24000

// Turn-taking modes (-realtime-turns).
const (
	TurnsDuplex   = "duplex"   // Duplex's VAD ends the turn: commit + response.create
	TurnsServer   = "server"   // the model's server_vad
	TurnsSemantic = "semantic" // the model's semantic_vad
)

// Config configures the brain.
type Config struct {
	// URL is the Realtime endpoint, e.g. wss://api.openai.com/v1/realtime;
	// the model goes in its query.
	URL   string
	Model string
	// APIKey is sent as Authorization: Bearer when set.
	APIKey string
	// Instructions is the system prompt; Voice the model's voice.
	Instructions string
	Voice        string
	// TranscriptionModel transcribes the caller (the engine needs the
	// words to tell a barge-in from a backchannel); default
	// gpt-4o-mini-transcribe.
	TranscriptionModel string
	// Language is the transcription hint.
	Language string
	// Turns is TurnsDuplex (default), TurnsServer or TurnsSemantic.
	Turns string
	// Timeout bounds a connect, a transcript and the wait for a reply's
	// first audio; default 15 s.
	Timeout time.Duration
	// Fallback speaks the engine's own sentences (apologies) when set: it
	// works when the model cannot be reached. Without it they are text
	// only (the error event and reply.done carry them).
	Fallback        tts.Engine
	FallbackOptions tts.Options
	// Clock runs the timeouts; nil is the wall clock.
	Clock clock.Clock
	Log   zerolog.Logger
	// HTTPClient dials; nil is http.DefaultClient.
	HTTPClient *http.Client
	// Tools, when set, are offered to the model (session.tools) and run
	// by a tools.Runner per call with ToolOptions.
	Tools       *tools.Registry
	ToolOptions tools.Options
}

// Brain implements brain.Brain over the Realtime protocol.
type Brain struct{ cfg Config }

var _ brain.Brain = (*Brain)(nil)

// New checks cfg.
func New(cfg Config) (*Brain, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss" && u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("realtime: url %q: want ws://, wss://, http:// or https:// with a host", cfg.URL)
	}
	switch cfg.Turns {
	case "":
		cfg.Turns = TurnsDuplex
	case TurnsDuplex, TurnsServer, TurnsSemantic:
	default:
		return nil, fmt.Errorf("realtime: turns %q: want %s, %s or %s", cfg.Turns, TurnsDuplex, TurnsServer, TurnsSemantic)
	}
	if cfg.Model == "" {
		return nil, errors.New("realtime: a model is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.TranscriptionModel == "" {
		cfg.TranscriptionModel = "gpt-4o-mini-transcribe"
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	return &Brain{cfg: cfg}, nil
}

// Engines implements brain.Brain.
func (b *Brain) Engines() map[string]string {
	return map[string]string{"model": "realtime:" + b.cfg.Model}
}

// NewSession implements brain.Brain. It does not dial: the first turn
// does, so a model that cannot be reached becomes an error event and an
// apology instead of a failed call.
func (b *Brain) NewSession(ctx context.Context) (brain.Session, error) {
	ctx, cancel := context.WithCancel(ctx)
	s := &session{cfg: &b.cfg, ctx: ctx, cancel: cancel, ids: wire.NewIDs(), waiters: map[string]chan wire.Event{},
		toolSent: map[string]chan struct{}{}, toolNames: map[string]string{}}
	if b.cfg.Tools != nil {
		o := b.cfg.ToolOptions
		if o.Clock == nil {
			o.Clock = b.cfg.Clock
		}
		s.runner = tools.NewRunner(ctx, b.cfg.Tools, o)
	}
	return s, nil
}

// endpoint is the dial URL: ws(s) scheme, model in the query.
func (c *Config) endpoint() string {
	u, _ := url.Parse(c.URL)
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	q := u.Query()
	q.Set("model", c.Model)
	u.RawQuery = q.Encode()
	return u.String()
}

// ---- the connection ----

// conn is one WebSocket (internal/rtws): a writer goroutine drains its
// outbox, a reader goroutine dispatches server events; both end when the
// socket does.
type conn = rtws.Conn

// RateLimitError is a 429 on the upgrade; RetryAfter is the server's wait.
type RateLimitError = rtws.RateLimitError

type session struct {
	cfg    *Config
	ctx    context.Context
	cancel context.CancelFunc
	ids    *wire.IDs
	wg     sync.WaitGroup

	dialMu sync.Mutex // one dial at a time

	mu        sync.Mutex
	c         *conn
	notBefore time.Time // 429: no dial before this
	history   []llm.Message
	// pendingUser is the user turn committed as audio on c and not yet
	// answered; a Respond for another text sends the text instead.
	pendingUser  string
	pendingConn  *conn
	pendingItems []string // its items: deleted if no reply takes them (a backchannel)
	resp         *response
	lastItem     string // the last reply's assistant item, for truncation
	lastTurn     int
	lastConn     *conn
	generated    time.Duration // audio generated for lastItem
	lastOffset   time.Duration // where lastItem's audio starts in its reply (after a tool call's response)
	waiters      map[string]chan wire.Event
	// hearers are the open Hear streams, oldest first: the newest hears
	// the caller, older ones wait in Finish for the model's answer.
	hearers []*hearStream
	// inConn's input audio so far, in samples (appendAudio).
	inConn    *conn
	inSamples int
	// busy is closed by the response.done of the last response.create:
	// the server takes one response at a time.
	busy   chan struct{}
	closed bool
	// Tool calls: runner is nil without Config.Tools. toolSent holds, per
	// call id, a channel closed once its function_call_output was queued;
	// toolOut/toolTurn are the reply that reports calls.
	runner    *tools.Runner
	toolSent  map[string]chan struct{}
	toolNames map[string]string // call id -> name, from the function_call item
	toolOut   brain.Output
	toolTurn  int
	look      lookState // the look tool (look.go)
}

// connect returns the live connection, dialing (and re-sending the
// conversation so far) if there is none. It may block: never call it on
// the engine goroutine.
func (s *session) connect(ctx context.Context) (*conn, error) {
	s.dialMu.Lock()
	defer s.dialMu.Unlock()
	s.mu.Lock()
	c, nb, closed := s.c, s.notBefore, s.closed
	s.mu.Unlock()
	if closed {
		return nil, errors.New("realtime: session closed")
	}
	if c != nil && c.Alive() {
		return c, nil
	}
	if wait := nb.Sub(s.cfg.Clock.Now()); wait > 0 {
		return nil, &RateLimitError{RetryAfter: wait}
	}
	ws, err := rtws.Dial(ctx, s.cfg.endpoint(), rtws.DialOptions{APIKey: s.cfg.APIKey, HTTPClient: s.cfg.HTTPClient,
		Clock: s.cfg.Clock, Timeout: s.cfg.Timeout, Owner: s.ctx})
	if err != nil {
		var rl *RateLimitError
		if errors.As(err, &rl) {
			s.mu.Lock()
			s.notBefore = s.cfg.Clock.Now().Add(rl.RetryAfter)
			s.mu.Unlock()
			return nil, err
		}
		return nil, fmt.Errorf("realtime: %w", err)
	}
	c = rtws.Start(s.ctx, ws, &s.wg, rtws.Handlers{Prefix: "realtime", Event: s.dispatch, Lost: s.lost,
		Bad: func(err error) { s.cfg.Log.Debug().Err(err).Msg("realtime: unreadable server event") }})
	s.mu.Lock()
	s.c = c
	hist := append([]llm.Message(nil), s.history...)
	s.mu.Unlock()
	s.send(c, &wire.SessionUpdate{Session: s.sessionObject()})
	// A new socket knows nothing: re-send the conversation so far as text.
	for _, m := range hist {
		s.send(c, &wire.ConversationItemCreate{Item: textItem(m)})
	}
	if len(hist) > 0 {
		s.cfg.Log.Info().Int("items", len(hist)).Msg("realtime: reconnected, conversation re-sent")
	}
	return c, nil
}

func textItem(m llm.Message) wire.Item {
	if m.Role == llm.RoleAssistant {
		return wire.Item{Type: wire.ItemMessage, Role: wire.RoleAssistant, Content: []wire.ContentPart{{Type: wire.PartOutputText, Text: m.Text}}}
	}
	return wire.Item{Type: wire.ItemMessage, Role: wire.RoleUser, Content: []wire.ContentPart{{Type: wire.PartInputText, Text: m.Text}}}
}

func (s *session) sessionObject() wire.Session {
	cfg := s.cfg
	fmtPCM := &wire.AudioFormat{Type: wire.FormatPCM, Rate: SampleRate}
	in := &wire.AudioInput{
		Format:        fmtPCM,
		Transcription: wire.Some(wire.Transcription{Model: cfg.TranscriptionModel, Language: cfg.Language}),
	}
	switch cfg.Turns {
	// The model's VAD ends turns, but Duplex creates the responses and
	// decides barge-ins (its own VAD stops the audio within ~100 ms).
	case TurnsServer:
		f := false
		in.TurnDetection = wire.Some(wire.TurnDetection{Type: wire.TurnServerVAD, CreateResponse: &f, InterruptResponse: &f})
	case TurnsSemantic:
		f := false
		in.TurnDetection = wire.Some(wire.TurnDetection{Type: wire.TurnSemanticVAD, CreateResponse: &f, InterruptResponse: &f})
	default:
		in.TurnDetection = wire.Null[wire.TurnDetection]()
	}
	so := wire.Session{
		Type:             wire.SessionRealtime,
		Model:            cfg.Model,
		OutputModalities: []string{wire.ModalityAudio},
		Audio:            &wire.SessionAudio{Input: in, Output: &wire.AudioOutput{Format: fmtPCM, Voice: cfg.Voice}},
	}
	if cfg.Instructions != "" {
		so.Instructions = &cfg.Instructions
	}
	if s.runner != nil {
		var fts []wire.FunctionTool
		for _, d := range s.runner.Defs() {
			fts = append(fts, wire.FunctionTool{Type: wire.ToolFunction, Name: d.Name, Description: d.Description, Parameters: d.Parameters})
		}
		if len(fts) > 0 {
			b, err := json.Marshal(fts)
			if err == nil {
				so.Tools, so.ToolChoice = b, json.RawMessage(`"auto"`)
			}
		}
	}
	so.Tools, so.ToolChoice = s.withLook(so.Tools, so.ToolChoice)
	return so
}

// send queues ev on c without blocking; a full outbox means the socket is
// stuck, so it is dropped.
func (s *session) send(c *conn, ev wire.Event) string {
	b, err := wire.Marshal(ev, s.ids)
	if err != nil {
		s.cfg.Log.Error().Err(err).Str("type", ev.EventType()).Msg("realtime: marshal")
		return ""
	}
	c.Send(b)
	return eventID(ev)
}

func eventID(ev wire.Event) string {
	type ider interface{ ID() string }
	if i, ok := ev.(ider); ok {
		return i.ID()
	}
	return ""
}

// lost ends what waited on c.
func (s *session) lost(c *conn, err error) {
	s.mu.Lock()
	if s.c == c {
		s.c = nil
	}
	r := s.resp
	s.mu.Unlock()
	s.idle()
	if r != nil && r.c == c {
		r.finish(err)
	}
}

// idle marks the server free for the next response.create.
func (s *session) idle() {
	s.mu.Lock()
	if s.busy != nil {
		close(s.busy)
		s.busy = nil
	}
	s.mu.Unlock()
}

// ---- server events ----

func (s *session) dispatch(c *conn, ev wire.Event) {
	switch e := ev.(type) {
	case *wire.ErrorEvent:
		s.onError(c, e)
	case *wire.InputAudioBufferCommitted, *wire.InputTranscriptionCompleted, *wire.InputTranscriptionFailed, *wire.InputTranscriptionDelta,
		*wire.InputAudioBufferSpeechStarted, *wire.InputAudioBufferSpeechStopped:
		s.toHearing(ev)
	case *wire.ResponseCreated:
		if r := s.current(c, ""); r != nil {
			r.setID(e.Response.ID)
		}
	case *wire.ResponseFunctionCallArgumentsDone:
		s.toolCall(c, e.ResponseID, llm.ToolCall{ID: e.CallID, Name: e.Name, Arguments: e.Arguments})
	case *wire.ResponseOutputItemDone:
		if e.Item.Type == wire.ItemFunctionCall {
			s.toolCall(c, e.ResponseID, llm.ToolCall{ID: e.Item.CallID, Name: e.Item.Name, Arguments: e.Item.Arguments})
		}
	case *wire.ResponseOutputItemAdded:
		if e.Item.Type == wire.ItemFunctionCall && e.Item.CallID != "" {
			s.mu.Lock()
			s.toolNames[e.Item.CallID] = e.Item.Name
			s.mu.Unlock()
		}
		if r := s.current(c, e.ResponseID); r != nil && e.Item.Role == wire.RoleAssistant {
			r.mu.Lock()
			at := time.Duration(r.samples) * time.Second / SampleRate
			r.mu.Unlock()
			s.mu.Lock()
			if r.item == "" {
				r.item = e.Item.ID
				s.lastItem, s.lastTurn, s.lastConn, s.generated, s.lastOffset = e.Item.ID, r.turn, c, 0, at
			}
			s.mu.Unlock()
		}
	case *wire.ResponseOutputAudioDelta:
		r := s.current(c, e.ResponseID)
		if r == nil {
			return
		}
		pcm, err := wire.DecodePCM(e.Delta)
		if err != nil {
			r.finish(fmt.Errorf("realtime: audio delta: %w", err))
			return
		}
		s.mu.Lock()
		if e.ItemID == s.lastItem {
			s.generated += time.Duration(len(pcm)) * time.Second / SampleRate
		}
		s.mu.Unlock()
		r.audio(pcm, s.cfg.Clock.Now())
	case *wire.ResponseOutputAudioTranscriptDelta:
		if r := s.current(c, e.ResponseID); r != nil {
			r.delta(e.Delta, s.cfg.Clock.Now())
		}
	case *wire.ResponseOutputTextDelta:
		if r := s.current(c, e.ResponseID); r != nil {
			r.delta(e.Delta, s.cfg.Clock.Now())
		}
	case *wire.ResponseDone:
		s.idle()
		if r := s.current(c, e.Response.ID); r != nil {
			switch e.Response.Status {
			case wire.StatusCompleted, wire.StatusIncomplete, "":
				r.finish(nil)
			case wire.StatusCancelled:
				r.finish(errCancelled)
			default:
				msg := e.Response.Status
				if d := e.Response.StatusDetails; d != nil && d.Error != nil {
					msg += ": " + d.Error.Message
				}
				r.finish(fmt.Errorf("realtime: response %s", msg))
			}
		}
	}
}

var errCancelled = errors.New("realtime: response cancelled")

// ---- tool calls ----

// toolCall starts the model's function call tc, once per call id (the
// arguments' done event and the item's done event both name it; a
// cancelled response's call runs too). It runs on the read goroutine:
// the tool runs on the runner's, and a goroutine of the session sends its
// function_call_output when it is done.
func (s *session) toolCall(c *conn, respID string, tc llm.ToolCall) {
	if tc.ID == "" || s.lookCall(c, respID, tc) {
		return
	}
	s.mu.Lock()
	if s.runner == nil || s.closed {
		s.mu.Unlock()
		return
	}
	if _, seen := s.toolSent[tc.ID]; seen {
		s.mu.Unlock()
		return
	}
	if tc.Name == "" {
		tc.Name = s.toolNames[tc.ID]
	}
	sent := make(chan struct{})
	s.toolSent[tc.ID] = sent
	out, turn := s.toolOut, s.toolTurn
	s.wg.Add(1)
	s.mu.Unlock()
	if r := s.current(c, respID); r != nil {
		r.mu.Lock()
		r.calls++
		r.mu.Unlock()
	}
	var report func(tools.Event)
	if rep, ok := out.(brain.ToolReporter); ok {
		report = func(ev tools.Event) {
			if !ev.Done {
				rep.ToolStarted(ev.TurnID, ev.Call)
				return
			}
			rep.ToolDone(ev.TurnID, ev.Call, ev.Result, ev.Err, ev.Duration)
		}
	}
	call := s.runner.Start(turn, tc, report)
	go func() {
		defer s.wg.Done()
		select {
		case <-call.Done():
		case <-s.ctx.Done():
			return
		}
		// The result joins the model's conversation even when the reply
		// that asked was cut off: the next answer can use it.
		s.mu.Lock()
		live := s.c
		s.mu.Unlock()
		if live != nil && live.Alive() {
			s.send(live, &wire.ConversationItemCreate{Item: wire.Item{Type: wire.ItemFunctionCallOutput, CallID: tc.ID, Output: tools.ResultText(call)}})
		}
		close(sent)
	}()
}

// toolsPending returns the channels of the calls whose outputs are not
// yet sent.
func (s *session) toolsPending() []chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []chan struct{}
	for _, ch := range s.toolSent {
		select {
		case <-ch:
		default:
			out = append(out, ch)
		}
	}
	return out
}

// current is the reply in production on c whose response id is id ("":
// the one not yet created): events of a cancelled response are dropped.
func (s *session) current(c *conn, id string) *response {
	s.mu.Lock()
	r := s.resp
	s.mu.Unlock()
	if r == nil || r.c != c {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.id != id {
		return nil
	}
	return r
}

// onError routes an error event: to the transcript wait or the reply it
// names (by event_id), else to the reply in progress; the rest is logged.
func (s *session) onError(c *conn, e *wire.ErrorEvent) {
	err := fmt.Errorf("realtime: %s (%s)", e.Error.Message, e.Error.Code)
	s.mu.Lock()
	w := s.waiters[e.Error.EventID]
	r := s.resp
	s.mu.Unlock()
	if w != nil {
		select {
		case w <- e:
		default:
		}
		return
	}
	switch e.Error.Code {
	case wire.CodeCancelNotActive, wire.CodeInvalidAudioEndMs:
		s.cfg.Log.Debug().Err(err).Msg("realtime: error event")
		return
	}
	if r != nil && r.c == c {
		r.finish(err)
		return
	}
	s.cfg.Log.Warn().Err(err).Msg("realtime: error event")
}

// ---- hearing the caller ----

// LivePartials implements stt.LivePartialer: the input transcription's
// deltas come only after the buffer is committed, at the end of the turn.
func (s *session) LivePartials() bool { return false }

// Hear implements brain.Session: the caller's audio goes to the input
// buffer as it comes; Finish commits it and waits for its transcript.
func (s *session) Hear(ctx context.Context, _ stt.StreamOptions) (stt.Stream, error) {
	c, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := dsp.NewResampler(stt.SampleRate, SampleRate)
	if err != nil {
		return nil, err
	}
	h := &hearStream{s: s, c: c, rs: rs, events: make(chan wire.Event, 256)}
	s.mu.Lock()
	s.hearers = append(s.hearers, h)
	// The last turn got no reply (a backchannel over the reply, noise):
	// the model forgets it, as Duplex did.
	stale := s.pendingItems
	if s.pendingConn != c {
		stale = nil
	}
	s.pendingUser, s.pendingConn, s.pendingItems = "", nil, nil
	s.mu.Unlock()
	for _, it := range stale {
		s.send(c, &wire.ConversationItemDelete{ItemID: it})
	}
	return h, nil
}

type hearStream struct {
	s      *session
	c      *conn
	rs     *dsp.Resampler
	buf    []int16
	events chan wire.Event

	mu       sync.Mutex
	partial  string
	item     string
	finished bool

	// Under session.mu: the model's items routed to this stream, and
	// where its audio ends on its socket's input (samples; ended: known).
	items []string
	to    int
	ended bool
}

// appendAudio sends pcm (24 kHz) to h's input buffer, counting the
// socket's input audio (the model's audio_start_ms clock); end: h's last.
func (s *session) appendAudio(h *hearStream, pcm []int16, end bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inConn != h.c {
		s.inConn, s.inSamples = h.c, 0
	}
	s.inSamples += len(pcm)
	if end {
		h.to, h.ended = s.inSamples, true
	}
	s.send(h.c, &wire.InputAudioBufferAppend{Audio: wire.EncodePCM(pcm)})
}

// itemOf is the input item an event is about.
func itemOf(ev wire.Event) string {
	switch e := ev.(type) {
	case *wire.InputAudioBufferCommitted:
		return e.ItemID
	case *wire.InputTranscriptionCompleted:
		return e.ItemID
	case *wire.InputTranscriptionFailed:
		return e.ItemID
	case *wire.InputTranscriptionDelta:
		return e.ItemID
	case *wire.InputAudioBufferSpeechStarted:
		return e.ItemID
	case *wire.InputAudioBufferSpeechStopped:
		return e.ItemID
	}
	return ""
}

// hearerFor picks the stream an input event is for (under s.mu): the one
// that has its item; for a new item the oldest stream still owed one (its
// commit unanswered; server turns: speech that starts in its audio), else
// the newest. A turn that ends while the next one opens keeps its events.
func (s *session) hearerFor(ev wire.Event) *hearStream {
	if len(s.hearers) == 0 {
		return nil
	}
	id := itemOf(ev)
	for _, h := range s.hearers {
		for _, it := range h.items {
			if it == id {
				return h
			}
		}
	}
	h := s.hearers[len(s.hearers)-1]
	switch ev.(type) {
	case *wire.InputAudioBufferCommitted, *wire.InputAudioBufferSpeechStarted:
	default:
		return h
	}
	for _, o := range s.hearers[:len(s.hearers)-1] {
		o.mu.Lock()
		fin, item := o.finished, o.item
		o.mu.Unlock()
		var owed bool
		if st, ok := ev.(*wire.InputAudioBufferSpeechStarted); ok && s.cfg.Turns != TurnsDuplex {
			owed = o.ended && o.c == s.inConn && st.AudioStartMs*SampleRate/1000 < o.to
		} else {
			owed = fin && item == "" && len(o.items) == 0 // its commit unanswered
		}
		if owed {
			h = o
			break
		}
	}
	if id != "" {
		h.items = append(h.items, id)
	}
	return h
}

func (s *session) toHearing(ev wire.Event) {
	s.mu.Lock()
	h := s.hearerFor(ev)
	s.mu.Unlock()
	if h == nil {
		return
	}
	if d, ok := ev.(*wire.InputTranscriptionDelta); ok {
		h.mu.Lock()
		if d.ItemID == h.item || h.item == "" {
			h.partial += d.Delta
		}
		h.mu.Unlock()
		return
	}
	select {
	case h.events <- ev:
	default:
	}
}

// Write implements stt.Stream; it never blocks.
func (h *hearStream) Write(pcm []int16) error {
	if !h.c.Alive() {
		return h.c.Err()
	}
	h.buf = h.rs.Process(h.buf[:0], pcm)
	if len(h.buf) > 0 {
		h.s.appendAudio(h, h.buf, false)
	}
	return nil
}

// Partial implements stt.Stream.
func (h *hearStream) Partial() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.partial
}

// Finish implements stt.Stream. With Duplex's turns it commits and
// returns the item's transcript (an empty buffer is no speech); with the
// model's it waits for the model's VAD to commit what it heard.
func (h *hearStream) Finish(ctx context.Context) (stt.Result, error) {
	s := h.s
	defer s.unhear(h) // later events are the next turn's
	h.buf = h.rs.Flush(h.buf[:0])
	if len(h.buf) > 0 {
		s.appendAudio(h, h.buf, false)
	}
	h.mu.Lock()
	h.finished = true
	h.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t := s.cfg.Clock.AfterFunc(s.cfg.Timeout, cancel)
	defer t.Stop()
	if s.cfg.Turns != TurnsDuplex {
		return h.finishServer(ctx, t)
	}
	commit := &wire.InputAudioBufferCommit{}
	commit.EventID = s.ids.Event()
	s.mu.Lock()
	s.waiters[commit.EventID] = h.events
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.waiters, commit.EventID)
		s.mu.Unlock()
	}()
	s.send(h.c, commit)
	item := ""
	for {
		select {
		case ev := <-h.events:
			switch e := ev.(type) {
			case *wire.ErrorEvent:
				if e.Error.Code == wire.CodeCommitEmpty {
					return stt.Result{Confidence: -1}, nil
				}
				return stt.Result{}, fmt.Errorf("realtime: commit: %s", e.Error.Message)
			case *wire.InputAudioBufferCommitted:
				if item == "" {
					item = e.ItemID
					h.mu.Lock()
					h.item = item
					h.mu.Unlock()
				}
			case *wire.InputTranscriptionCompleted:
				if e.ItemID == item {
					return h.heard(strings.TrimSpace(e.Transcript), item), nil
				}
			case *wire.InputTranscriptionFailed:
				if e.ItemID == item {
					return stt.Result{}, fmt.Errorf("realtime: transcription: %s", e.Error.Message)
				}
			}
		case <-h.c.Done():
			return stt.Result{}, h.c.Err()
		case <-ctx.Done():
			return stt.Result{}, h.expired(t)
		}
	}
}

// trailingSilence follows the caller's turn with the model's VAD on, so
// it hears the turn end (server_vad waits 500 ms of silence by default).
const trailingSilence = time.Second

// finishServer waits for the model's VAD: every item it committed while
// the caller spoke, transcribed, and none still being spoken.
func (h *hearStream) finishServer(ctx context.Context, t clock.Timer) (stt.Result, error) {
	s := h.s
	s.appendAudio(h, make([]int16, int(trailingSilence*SampleRate/time.Second)), true)
	var items []string
	texts := map[string]string{}
	speaking := false
	done := func() bool {
		if speaking || len(items) == 0 {
			return false
		}
		for _, it := range items {
			if _, ok := texts[it]; !ok {
				return false
			}
		}
		return true
	}
	for {
		select {
		case ev := <-h.events:
			switch e := ev.(type) {
			case *wire.InputAudioBufferSpeechStarted:
				speaking = true
			case *wire.InputAudioBufferSpeechStopped:
				speaking = false
			case *wire.InputAudioBufferCommitted:
				items = append(items, e.ItemID)
			case *wire.InputTranscriptionCompleted:
				texts[e.ItemID] = strings.TrimSpace(e.Transcript)
			case *wire.InputTranscriptionFailed:
				texts[e.ItemID] = ""
			}
			if done() {
				var words []string
				for _, it := range items {
					if texts[it] != "" {
						words = append(words, texts[it])
					}
				}
				return h.heard(strings.Join(words, " "), items...), nil
			}
		case <-h.c.Done():
			return stt.Result{}, h.c.Err()
		case <-ctx.Done():
			if len(items) == 0 && !speaking && s.ctx.Err() == nil {
				return stt.Result{Confidence: -1}, nil // the model heard no speech
			}
			return stt.Result{}, h.expired(t)
		}
	}
}

// heard records the turn as committed on this socket and returns it.
func (h *hearStream) heard(text string, items ...string) stt.Result {
	h.s.mu.Lock()
	h.s.pendingUser, h.s.pendingConn, h.s.pendingItems = text, h.c, items
	h.s.mu.Unlock()
	return stt.Result{Text: text, Confidence: -1}
}

func (h *hearStream) expired(t clock.Timer) error {
	if t.Stop() || h.s.ctx.Err() != nil {
		return context.Canceled
	}
	return fmt.Errorf("realtime: no transcript within %v", h.s.cfg.Timeout)
}

// Close implements stt.Stream: audio never committed is discarded.
func (h *hearStream) Close() error {
	h.mu.Lock()
	fin := h.finished
	h.finished = true
	h.mu.Unlock()
	if !fin && h.c.Alive() && h.s.cfg.Turns == TurnsDuplex {
		h.s.send(h.c, &wire.InputAudioBufferClear{})
	}
	h.s.unhear(h)
	return nil
}

// unhear drops h from the streams the model's events go to.
func (s *session) unhear(h *hearStream) {
	s.mu.Lock()
	s.hearers = slices.DeleteFunc(s.hearers, func(o *hearStream) bool { return o == h })
	s.mu.Unlock()
}

// ---- replies ----

// response is one reply in production; out is used only until finish.
type response struct {
	c    *conn
	turn int
	item string // under session.mu

	mu       sync.Mutex
	out      brain.Output
	id       string
	over     bool // out is no longer used
	ended    bool // the server's response.done (or the socket) ended it
	cancel   bool // response.cancel was sent
	err      error
	done     chan struct{}
	samples  int
	text     strings.Builder
	pending  string // transcript not yet placed on audio
	pieces   int
	first    bool
	firstTok bool
	calls    int  // function calls the current response made
	sep      bool // the next text starts a new response of the reply
}

func (r *response) setID(id string) {
	r.mu.Lock()
	r.id = id
	r.mu.Unlock()
}

func (r *response) audio(pcm []int16, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.over || len(pcm) == 0 {
		return
	}
	if !r.first {
		r.first = true
		r.out.Mark(brain.FirstAudio, at)
	}
	start := time.Duration(r.samples) * time.Second / SampleRate
	r.samples += len(pcm)
	end := time.Duration(r.samples) * time.Second / SampleRate
	// Each audio delta is a piece carrying the words that arrived since
	// the last one: cut off, the engine keeps the pieces played in full.
	r.out.Spoken(r.pieces, brain.Piece{Text: r.pending, Start: start, End: end})
	r.pieces++
	r.pending = ""
	if err := r.out.Audio(pcm, SampleRate); err != nil {
		r.over = true
	}
}

func (r *response) delta(text string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.over || text == "" {
		return
	}
	if !r.firstTok {
		r.firstTok = true
		r.out.Mark(brain.FirstToken, at)
	}
	if r.sep { // a new response of the same reply: a word break
		r.sep = false
		if t := r.text.String(); t != "" && !strings.HasSuffix(t, " ") && !strings.HasPrefix(text, " ") {
			text = " " + text
		}
	}
	r.text.WriteString(text)
	r.pending += text
	r.out.Delta(text)
}

// finish ends the reply once: nil is complete, errCancelled is quiet.
func (r *response) finish(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.over, r.ended = true, true
	select {
	case <-r.done:
	default:
		r.err = err
		close(r.done)
	}
}

// Respond implements brain.Session.
func (s *session) Respond(ctx context.Context, req brain.Request, out brain.Output) {
	if req.Say != "" {
		s.say(ctx, req.Say, out)
		return
	}
	// What a new socket is told first is the conversation before this
	// turn (the engine's memory: truncated to what was heard).
	prior, turn := req.LLM.History, (*llm.Message)(nil)
	if n := len(prior); n > 0 && prior[n-1].Role == llm.RoleUser {
		prior, turn = prior[:n-1], &prior[n-1]
	}
	s.mu.Lock()
	s.history = append([]llm.Message(nil), prior...)
	s.mu.Unlock()
	c, err := s.connect(ctx)
	if err != nil {
		if ctx.Err() == nil {
			out.Failed(brain.StageModel, err)
		}
		return
	}
	// The user's turn: already in the model's conversation as audio when
	// Finish committed it on this socket, else sent as text.
	s.mu.Lock()
	committed := turn != nil && s.pendingConn == c && s.pendingUser == turn.Text
	s.pendingUser, s.pendingConn, s.pendingItems = "", nil, nil
	if turn != nil {
		s.history = append(s.history, *turn)
	}
	s.mu.Unlock()
	if turn != nil && !committed {
		s.send(c, &wire.ConversationItemCreate{Item: textItem(*turn)})
	}
	if req.Look != nil {
		if cur, _ := req.Look(ctx); cur != nil && len(cur.JPEG) > 0 {
			s.sawCamera(c, req.Latest)
			s.send(c, imageItem(cur))
		}
	}
	r := &response{c: c, turn: req.TurnID, out: out, done: make(chan struct{})}
	s.mu.Lock()
	s.resp = r
	s.toolOut, s.toolTurn = out, req.TurnID
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.resp == r {
			s.resp = nil
		}
		s.mu.Unlock()
		r.mu.Lock()
		r.over = true
		r.mu.Unlock()
	}()
	out.Mark(brain.SpeechStart, s.cfg.Clock.Now())
	for {
		// A tool result not yet in the model's conversation (a call cut
		// off by a barge-in, still running) goes in before the answer.
		if !s.awaitTools(ctx, c, out) {
			return
		}
		if !s.respondOnce(ctx, c, r, out) {
			return
		}
		r.mu.Lock()
		calls, err := r.calls, r.err
		r.mu.Unlock()
		if calls == 0 || err != nil || ctx.Err() != nil {
			break
		}
		// The response asked for tools: once their outputs are sent, a
		// new response (same reply, same Output) speaks with them.
		r.mu.Lock()
		r.id, r.calls, r.over, r.ended, r.cancel, r.done, r.sep = "", 0, false, false, false, make(chan struct{}), true
		r.mu.Unlock()
		s.mu.Lock()
		r.item = "" // the new response's spoken item is the one to truncate
		s.mu.Unlock()
	}
	r.mu.Lock()
	err, samples, text := r.err, r.samples, r.text.String()
	r.mu.Unlock()
	switch {
	case ctx.Err() != nil || errors.Is(err, errCancelled):
	case err != nil:
		out.Failed(brain.StageModel, err)
	default:
		if strings.TrimSpace(text) != "" {
			s.mu.Lock()
			s.history = append(s.history, llm.Message{Role: llm.RoleAssistant, Text: text})
			s.mu.Unlock()
		}
		out.Produced(samples > 0)
	}
}

// awaitTools waits until every finished tool call's output was sent;
// false when the reply is over (cancelled, or the socket lost).
func (s *session) awaitTools(ctx context.Context, c *conn, out brain.Output) bool {
	for _, ch := range s.toolsPending() {
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		case <-c.Done():
			out.Failed(brain.StageModel, c.Err())
			return false
		}
	}
	return true
}

// respondOnce sends one response.create for r and waits for its end;
// false when Respond must return at once (cancelled, failed, timed out).
func (s *session) respondOnce(ctx context.Context, c *conn, r *response, out brain.Output) bool {
	tctx, tcancel := context.WithCancel(context.Background())
	defer tcancel()
	t := s.cfg.Clock.AfterFunc(s.cfg.Timeout, tcancel)
	defer t.Stop()
	// A cancelled reply is over for the server only at its response.done.
	s.mu.Lock()
	busy := s.busy
	s.mu.Unlock()
	if busy != nil {
		select {
		case <-busy:
		case <-c.Done():
		case <-ctx.Done():
			return false
		case <-tctx.Done():
			out.Failed(brain.StageModel, fmt.Errorf("realtime: the previous response did not end within %v", s.cfg.Timeout))
			return false
		}
	}
	s.mu.Lock()
	s.busy = make(chan struct{})
	s.mu.Unlock()
	s.send(c, &wire.ResponseCreate{})
	select {
	case <-r.done:
	case <-ctx.Done():
		s.cancelResponse(c, r)
		return false
	case <-tctx.Done():
		r.mu.Lock()
		first := r.first
		r.mu.Unlock()
		if !first {
			s.cancelResponse(c, r)
			out.Failed(brain.StageModel, fmt.Errorf("realtime: no reply within %v", s.cfg.Timeout))
			return false
		}
		// Audio is flowing: the rest of the reply may take its time.
		select {
		case <-r.done:
		case <-ctx.Done():
			s.cancelResponse(c, r)
			return false
		}
	}
	return true
}

// cancelResponse sends response.cancel once per reply.
func (s *session) cancelResponse(c *conn, r *response) {
	r.mu.Lock()
	send := !r.ended && !r.cancel
	r.over, r.cancel = true, true
	r.mu.Unlock()
	if send && c.Alive() {
		s.send(c, &wire.ResponseCancel{})
	}
}

// Truncate implements brain.Session: the model's copy of the reply is cut
// to what was played (never beyond what it generated). It runs on the
// engine goroutine, so it only queues.
func (s *session) Truncate(turnID int, played time.Duration, heard string) {
	s.mu.Lock()
	item, turn, c, gen, off := s.lastItem, s.lastTurn, s.lastConn, s.generated, s.lastOffset
	r := s.resp
	if n := len(s.history); n > 0 && s.history[n-1].Role == llm.RoleUser && heard != "" {
		s.history = append(s.history, llm.Message{Role: llm.RoleAssistant, Text: heard, Interrupted: true})
	}
	s.mu.Unlock()
	if item == "" || turn != turnID || c == nil || !c.Alive() {
		return
	}
	if r != nil && r.c == c && r.turn == turnID {
		s.cancelResponse(c, r) // before the truncate, in order on the wire
	}
	end := min(max(played-off, 0), gen)
	s.send(c, &wire.ConversationItemTruncate{ItemID: item, ContentIndex: 0, AudioEndMs: int(end / time.Millisecond)})
}

// say speaks one of the engine's own sentences: with the fallback TTS when
// there is one, else as an out-of-band model response.
func (s *session) say(ctx context.Context, text string, out brain.Output) {
	out.Delta(text)
	if s.cfg.Fallback == nil {
		out.Produced(false)
		return
	}
	st, err := s.cfg.Fallback.Synthesize(ctx, text, s.cfg.FallbackOptions)
	if err != nil {
		if ctx.Err() == nil {
			out.Failed(brain.StageTTS, err)
		}
		return
	}
	defer st.Close()
	var samples int64
	rate := 0
	for {
		ch, err := st.Next()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !errors.Is(err, io.EOF) {
				out.Failed(brain.StageTTS, err)
				return
			}
			break
		}
		if len(ch.PCM) == 0 || ch.SampleRate <= 0 {
			continue
		}
		if rate == 0 {
			out.Mark(brain.FirstAudio, s.cfg.Clock.Now())
		}
		rate = ch.SampleRate
		samples += int64(len(ch.PCM))
		out.Spoken(0, brain.Piece{Text: text, End: time.Duration(samples) * time.Second / time.Duration(rate)})
		if out.Audio(ch.PCM, ch.SampleRate) != nil {
			return
		}
	}
	out.Produced(samples > 0)
}

// Close implements brain.Session.
func (s *session) Close() error {
	s.mu.Lock()
	s.closed = true
	c := s.c
	s.mu.Unlock()
	s.cancel()
	if c != nil {
		c.Fail(errors.New("realtime: session closed"))
	}
	if s.runner != nil {
		s.runner.Close()
	}
	s.wg.Wait()
	return nil
}
