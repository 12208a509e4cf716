// Package fakerealtime is a Realtime server for tests: it speaks the GA
// WebSocket protocol of the OpenAI Realtime API as the API reference and
// the official client's schemas describe it (event names, required fields,
// an event_id on every event, audio deltas paced in real time, truncation
// that may not pass the audio generated, error events, 401 and 429 on the
// upgrade) and answers each response.create with espeak-ng audio and its
// transcript. Tests set the user's transcript, the model's delay and the
// faults.
//
// A socket opened with ?intent=transcription is a transcription session
// (session.type "transcription"): it takes input audio and commits and
// answers each commit with input_audio_buffer.committed at once, then the
// transcript as conversation.item.input_audio_transcription.delta events
// (one per word, spread over TranscribeDelay) and .completed
// TranscribeDelay after the commit, whatever the audio's length: the delay
// model of a server that decoded the audio as it arrived and has only the
// end of the turn left (a whole-file upload, internal/fakeoai, costs its
// fixed delay after the upload instead). Responses and conversation items
// are refused there with an error event, as the service does.
package fakerealtime

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	_ "image/jpeg" // input_image parts
	_ "image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/duplex-ai/duplex/internal/fakekit"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/tts"
)

// SampleRate is the audio rate both ways (audio/pcm, 24 kHz).
const SampleRate = 24000

// Options configure the server.
type Options struct {
	// TTS voices the replies (espeak-ng in tests). Required.
	TTS tts.Engine
	// APIKey, when set, is the Bearer token an upgrade must carry.
	APIKey string
	// Delay is the model's time from response.create to its first audio.
	Delay time.Duration
	// Chunk is the audio per delta (default 100 ms); deltas go out one
	// Chunk apart, as fast as the audio plays.
	Chunk time.Duration
	// SessionLimit, when set, ends each socket after that long with a
	// session_expired error, as the provider's session time limit does.
	SessionLimit time.Duration
	// Transcribe, when set, hears the n-th committed user audio (from 0);
	// else SetTranscript's words are heard.
	Transcribe func(n int, pcm []int16) string
	// Reply makes the reply text from the user's last words ("": a
	// response with no output); default "You said: <words>."
	Reply func(user string) string
	// ToolCall, when set, decides whether the first response to a user
	// turn is a function call instead: the tool's name and its arguments
	// (JSON), or "" for a spoken reply. As a model would, the fake calls
	// only a tool the session offers (session.tools).
	ToolCall func(user string) (name, arguments string)
	// ToolReply makes the reply that follows a function_call_output from
	// its output; default "The tool says: <output>." or, for an
	// {"error": …} output, an apology.
	ToolReply func(output string) string
	// ToolPreamble, when set, is spoken in the response that calls the
	// tool, after the function_call item (so a barge-in over it cannot
	// cancel the call).
	ToolPreamble string
	// TranscribeDelay is a transcription session's time from the commit
	// to its .completed event; default 100 ms, negative is none.
	TranscribeDelay time.Duration
}

// Fault is what the server does wrong next.
type Fault struct {
	// Status rejects the next Times upgrades with this HTTP status (401,
	// 429 …); RetryAfter is the 429's Retry-After header.
	Status     int
	RetryAfter string
	Times      int
	// ResponseError answers the next response.create with an error event
	// (server_error) and a failed response.done.
	ResponseError bool
	// DropAfter closes the socket, unannounced, once this much audio of
	// the next reply went out.
	DropAfter time.Duration
	// Silent never answers the next response.create.
	Silent bool
	// DropAudio closes the next socket, unannounced, once this much input
	// audio came on it (a crash mid-turn).
	DropAudio time.Duration
	// TranscriptionFailed answers the next commit with
	// conversation.item.input_audio_transcription.failed.
	TranscriptionFailed bool
	// CommitError answers the next commit with an error event
	// (server_error, naming the commit's event_id) and keeps the buffer.
	CommitError bool
}

// Truncation is a conversation.item.truncate the server accepted or
// rejected, with the audio it had generated for the item by then.
type Truncation struct {
	ItemID     string
	AudioEndMs int
	Generated  time.Duration
	Rejected   bool
	// Voicing is the whole text the item was to speak.
	Voicing string
}

// Server is a running fake.
type Server struct {
	opt Options
	hs  *httptest.Server
	ids *wire.IDs

	mu          sync.Mutex
	transcript  string
	fault       Fault
	received    []wire.Event
	truncations []Truncation
	images      []image.Config
	upgrades    int
	commits     int
	conns       int
	changed     chan struct{}
	wg          sync.WaitGroup
	ctx         context.Context
	cancel      context.CancelFunc
}

// Start runs a server on loopback; Close stops it.
func Start(opt Options) *Server {
	if opt.Chunk <= 0 {
		opt.Chunk = 100 * time.Millisecond
	}
	switch {
	case opt.TranscribeDelay == 0:
		opt.TranscribeDelay = 100 * time.Millisecond
	case opt.TranscribeDelay < 0:
		opt.TranscribeDelay = 0
	}
	if opt.Reply == nil {
		opt.Reply = func(user string) string {
			if user == "" {
				return "Hello, I am a fake model."
			}
			return "You said: " + user + "."
		}
	}
	if opt.ToolReply == nil {
		opt.ToolReply = func(out string) string {
			var e struct {
				Error string `json:"error"`
			}
			if json.Unmarshal([]byte(out), &e) == nil && e.Error != "" {
				return "Sorry, I could not look that up."
			}
			return "The tool says: " + out + "."
		}
	}
	s := &Server{opt: opt, ids: wire.NewIDs(), changed: make(chan struct{}), transcript: "hello"}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the ws:// endpoint.
func (s *Server) URL() string { return "ws" + strings.TrimPrefix(s.hs.URL, "http") + "/v1/realtime" }

// Close ends every socket and the listener, and waits.
func (s *Server) Close() {
	s.cancel()
	s.hs.CloseClientConnections()
	s.hs.Close()
	s.wg.Wait()
}

// SetTranscript sets what the next committed user audio is heard as.
func (s *Server) SetTranscript(t string) {
	s.mu.Lock()
	s.transcript = t
	s.mu.Unlock()
}

// SetFault arms a fault.
func (s *Server) SetFault(f Fault) {
	if f.Status != 0 && f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// Received returns the client events so far, in order.
func (s *Server) Received() []wire.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wire.Event(nil), s.received...)
}

// Truncations returns the truncations so far.
func (s *Server) Truncations() []Truncation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Truncation(nil), s.truncations...)
}

// Conns is how many sockets were opened; Upgrades how many were asked for.
func (s *Server) Conns() (conns, upgrades int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, s.upgrades
}

// Wait blocks until cond (called under the server's lock with the events
// so far) holds or ctx ends.
func (s *Server) Wait(ctx context.Context, cond func(received []wire.Event) bool) error {
	for {
		s.mu.Lock()
		ok, ch := cond(s.received), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Count returns how many received events have type typ.
func Count(evs []wire.Event, typ string) int {
	n := 0
	for _, ev := range evs {
		if ev.EventType() == typ {
			n++
		}
	}
	return n
}

func (s *Server) record(ev wire.Event) {
	s.mu.Lock()
	s.received = append(s.received, ev)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.upgrades++
	f := s.fault
	if f.Status != 0 && f.Times > 0 {
		s.fault.Times--
		if s.fault.Times == 0 {
			s.fault.Status = 0
		}
	}
	s.mu.Unlock()
	if s.opt.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.opt.APIKey {
		fakekit.WriteError(w, http.StatusUnauthorized, "invalid_api_key", "Incorrect API key provided.")
		return
	}
	if f.Status != 0 && f.Times > 0 {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		fakekit.WriteError(w, f.Status, "rate_limit_exceeded", "fault injected")
		return
	}
	intent := r.URL.Query().Get("intent")
	switch {
	case intent != "" && intent != "transcription":
		fakekit.WriteError(w, http.StatusBadRequest, "invalid_intent", "intent must be 'transcription'")
		return
	case intent == "" && r.URL.Query().Get("model") == "":
		fakekit.WriteError(w, http.StatusBadRequest, "missing_model", "model is required in the query")
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(32 << 20)
	s.mu.Lock()
	s.conns++
	s.mu.Unlock()
	s.wg.Add(1)
	defer s.wg.Done()
	c := &sconn{s: s, ws: ws, model: r.URL.Query().Get("model"), items: map[string]*item{}, transcription: intent == "transcription"}
	c.run()
}

// item is a conversation item the server keeps.
type item struct {
	id        string
	role      string
	text      string
	generated time.Duration // assistant audio sent so far
	voicing   string        // assistant: the whole text it speaks
}

// sconn is one socket's session.
type sconn struct {
	s     *Server
	ws    *websocket.Conn
	model string
	ctx   context.Context

	mu      sync.Mutex
	session wire.Session
	buf     []int16
	items   map[string]*item
	last    string // last item id
	lastUsr string // last user words
	active  *activeResp
	wg      sync.WaitGroup
	// Function calls: toolOut is the last function_call_output not yet
	// answered; turns counts user turns, calledAt the turn last answered
	// with a function call (one call per turn).
	toolOut  string
	turns    int
	calledAt int
	vad      vadState
	// transcription: a transcription session; dropAt, when > 0, the input
	// samples after which the socket drops (Fault.DropAudio); heard the
	// input samples so far.
	transcription bool
	dropAt, heard int
}

// vadState is the server VAD over the input buffer (server_vad and
// semantic_vad alike): 20 ms frames, speech above an RMS threshold, the
// turn committed after 500 ms of silence.
type vadState struct {
	pending   []int16 // samples not yet in a whole frame
	pos       int     // audio_*_ms clock: samples of input so far
	speaking  bool
	silence   int // frames of silence within speech
	item      string
	startedMs int
}

const (
	vadFrame   = SampleRate / 50
	vadRMS     = 300
	vadSilence = 25 // frames: 500 ms, server_vad's default silence_duration_ms
)

type activeResp struct {
	id     string
	cancel context.CancelFunc
	reason string
}

func (c *sconn) send(ev wire.Event) {
	b, err := wire.Marshal(ev, c.s.ids)
	if err != nil {
		panic(err) // the fake's own events always marshal
	}
	_ = c.ws.Write(c.ctx, websocket.MessageText, b)
}

func (c *sconn) run() {
	ctx, cancel := context.WithCancel(c.s.ctx)
	c.ctx = ctx
	defer func() {
		cancel()
		c.wg.Wait()
		c.ws.CloseNow()
	}()
	if lim := c.s.opt.SessionLimit; lim > 0 {
		t := time.AfterFunc(lim, func() {
			c.send(&wire.ErrorEvent{Error: wire.ErrorObject{Type: wire.ErrorTypeInvalidRequest, Code: "session_expired",
				Message: "Your session hit the maximum duration of " + lim.String() + "."}})
			c.ws.Close(websocket.StatusNormalClosure, "session expired")
		})
		defer t.Stop()
	}
	c.session = wire.Session{Type: wire.SessionRealtime, Object: "realtime.session", ID: c.s.ids.Session(), Model: c.model,
		OutputModalities: []string{wire.ModalityAudio},
		Audio: &wire.SessionAudio{
			Input:  &wire.AudioInput{Format: &wire.AudioFormat{Type: wire.FormatPCM, Rate: SampleRate}, TurnDetection: wire.Some(wire.TurnDetection{Type: wire.TurnServerVAD})},
			Output: &wire.AudioOutput{Format: &wire.AudioFormat{Type: wire.FormatPCM, Rate: SampleRate}, Voice: "alloy"},
		}}
	if c.transcription {
		c.session = wire.Session{Type: wire.SessionTranscription, Object: "realtime.transcription_session", ID: c.s.ids.Session(),
			Audio: &wire.SessionAudio{Input: &wire.AudioInput{Format: &wire.AudioFormat{Type: wire.FormatPCM, Rate: SampleRate},
				Transcription: wire.Some(wire.Transcription{Model: "gpt-4o-transcribe"}), TurnDetection: wire.Some(wire.TurnDetection{Type: wire.TurnServerVAD})}}}
		c.s.mu.Lock()
		if d := c.s.fault.DropAudio; d > 0 {
			c.dropAt = int(d.Seconds() * SampleRate)
			c.s.fault.DropAudio = 0
		}
		c.s.mu.Unlock()
	}
	c.send(&wire.SessionCreated{Session: c.session})
	for {
		_, b, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		ev, err := wire.ParseClientEvent(b)
		if err != nil {
			c.send(wire.ErrorFor(err))
			continue
		}
		// Recorded once handled, so a test that waits for an event also
		// sees what handling it did (a truncation, an item).
		c.handle(ev)
		c.s.record(ev)
	}
}

func (c *sconn) errorFor(ev wire.Event, code, msg string) {
	id := ""
	if h, ok := ev.(interface{ ID() string }); ok {
		id = h.ID()
	}
	c.send(&wire.ErrorEvent{Error: wire.ErrorObject{Type: wire.ErrorTypeInvalidRequest, Code: code, Message: msg, EventID: id}})
}

func (c *sconn) handle(ev wire.Event) {
	if c.transcription {
		switch ev.(type) {
		case *wire.SessionUpdate, *wire.InputAudioBufferAppend, *wire.InputAudioBufferClear, *wire.InputAudioBufferCommit:
		default:
			c.errorFor(ev, wire.CodeUnsupported, ev.EventType()+" is not supported in a transcription session")
			return
		}
	}
	switch e := ev.(type) {
	case *wire.SessionUpdate:
		if want := c.session.Type; e.Session.Type != "" && e.Session.Type != want {
			c.errorFor(ev, wire.CodeInvalidValue, "session.type '"+e.Session.Type+"' cannot change a '"+want+"' session")
			return
		}
		c.mu.Lock()
		if e.Session.Instructions != nil {
			c.session.Instructions = e.Session.Instructions
		}
		if len(e.Session.Tools) > 0 {
			c.session.Tools, c.session.ToolChoice = e.Session.Tools, e.Session.ToolChoice
		}
		if a := e.Session.Audio; a != nil {
			if a.Input != nil && a.Input.TurnDetection.Present {
				c.session.Audio.Input.TurnDetection = a.Input.TurnDetection
			}
			if a.Input != nil && a.Input.Transcription.Present {
				c.session.Audio.Input.Transcription = a.Input.Transcription
			}
			if a.Output != nil && a.Output.Voice != "" && c.session.Audio.Output != nil {
				c.session.Audio.Output.Voice = a.Output.Voice
			}
		}
		so := c.session
		c.mu.Unlock()
		c.send(&wire.SessionUpdated{Session: so})
	case *wire.InputAudioBufferAppend:
		pcm, err := wire.DecodePCM(e.Audio)
		if err != nil {
			c.errorFor(ev, wire.CodeInvalidValue, "audio is not base64 PCM16")
			return
		}
		c.mu.Lock()
		c.buf = append(c.buf, pcm...)
		td := c.session.Audio.Input.TurnDetection
		c.heard += len(pcm)
		drop := c.dropAt > 0 && c.heard >= c.dropAt
		c.mu.Unlock()
		if drop {
			c.ws.CloseNow()
			return
		}
		if td.Value != nil {
			c.serverVAD(pcm, td.Value)
		}
	case *wire.InputAudioBufferClear:
		c.mu.Lock()
		c.buf = nil
		c.mu.Unlock()
		c.send(&wire.InputAudioBufferCleared{})
	case *wire.InputAudioBufferCommit:
		c.commit(e, "")
	case *wire.ConversationItemCreate:
		c.mu.Lock()
		it := &item{id: e.Item.ID, role: e.Item.Role}
		if it.id == "" {
			it.id = c.s.ids.Item()
		}
		for _, p := range e.Item.Content {
			switch p.Type {
			case wire.PartInputText, wire.PartOutputText:
				it.text += p.Text
			case wire.PartInputImage:
				cfg, err := decodeImage(p.ImageURL)
				if err != nil {
					c.mu.Unlock()
					c.errorFor(ev, wire.CodeInvalidValue, "input_image: "+err.Error())
					return
				}
				c.s.mu.Lock()
				c.s.images = append(c.s.images, cfg)
				c.s.mu.Unlock()
			}
		}
		if it.role == wire.RoleUser && it.text != "" {
			c.lastUsr = it.text
			c.turns++
		}
		if e.Item.Type == wire.ItemFunctionCallOutput {
			c.toolOut = e.Item.Output
		}
		prev := c.add(it)
		c.mu.Unlock()
		out := e.Item
		out.ID, out.Object, out.Status = it.id, "realtime.item", wire.StatusCompleted
		c.send(&wire.ConversationItemAdded{PreviousItemID: prev, Item: out})
		c.send(&wire.ConversationItemDone{PreviousItemID: prev, Item: out})
	case *wire.ConversationItemDelete:
		c.mu.Lock()
		_, ok := c.items[e.ItemID]
		delete(c.items, e.ItemID)
		c.mu.Unlock()
		if !ok {
			c.errorFor(ev, wire.CodeItemNotFound, "no item "+e.ItemID)
			return
		}
		c.send(&wire.ConversationItemDeleted{ItemID: e.ItemID})
	case *wire.ConversationItemTruncate:
		c.mu.Lock()
		it := c.items[e.ItemID]
		var gen time.Duration
		voicing := ""
		if it != nil {
			gen, voicing = it.generated, it.voicing
		}
		c.mu.Unlock()
		tr := Truncation{ItemID: e.ItemID, AudioEndMs: e.AudioEndMs, Generated: gen, Voicing: voicing}
		switch {
		case it == nil || it.role != wire.RoleAssistant:
			tr.Rejected = true
			c.errorFor(ev, wire.CodeItemNotFound, "no assistant item "+e.ItemID)
		case time.Duration(e.AudioEndMs)*time.Millisecond > gen:
			tr.Rejected = true
			c.errorFor(ev, wire.CodeInvalidAudioEndMs, "audio_end_ms is beyond the audio generated for the item")
		default:
			c.send(&wire.ConversationItemTruncated{ItemID: e.ItemID, ContentIndex: e.ContentIndex, AudioEndMs: e.AudioEndMs})
		}
		c.s.mu.Lock()
		c.s.truncations = append(c.s.truncations, tr)
		c.s.mu.Unlock()
	case *wire.ResponseCreate:
		c.mu.Lock()
		if c.active != nil {
			c.mu.Unlock()
			c.errorFor(ev, wire.CodeActiveResponse, "Conversation already has an active response in progress")
			return
		}
		rctx, cancel := context.WithCancel(c.ctx)
		a := &activeResp{id: c.s.ids.Response(), cancel: cancel}
		c.active = a
		user := c.lastUsr
		// An unanswered tool output is answered first; else a turn the
		// script calls a tool for gets the call.
		var plan respPlan
		switch {
		case c.toolOut != "":
			plan.toolOut, c.toolOut = c.toolOut, ""
		case c.s.opt.ToolCall != nil && c.calledAt != c.turns:
			if name, args := c.s.opt.ToolCall(user); name != "" && offers(c.session.Tools, name) {
				plan.call, plan.args = name, args
				c.calledAt = c.turns
			}
		}
		c.mu.Unlock()
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer cancel()
			c.respond(rctx, a, user, plan)
		}()
	case *wire.ResponseCancel:
		c.mu.Lock()
		a := c.active
		if a != nil {
			a.reason = "client_cancelled"
			a.cancel()
		}
		c.mu.Unlock()
		if a == nil {
			c.errorFor(ev, wire.CodeCancelNotActive, "Cancellation failed: no active response found")
		}
	}
}

// add appends it to the conversation; under c.mu. It returns the previous
// item's id (nil for the first).
func (c *sconn) add(it *item) *string {
	var prev *string
	if c.last != "" {
		p := c.last
		prev = &p
	}
	c.items[it.id] = it
	c.last = it.id
	return prev
}

// serverVAD runs the model's turn detection over appended audio: speech
// started/stopped events, then the commit it makes itself (and, if the
// session asks, the response).
func (c *sconn) serverVAD(pcm []int16, td *wire.TurnDetection) {
	v := &c.vad
	v.pending = append(v.pending, pcm...)
	for len(v.pending) >= vadFrame {
		f := v.pending[:vadFrame]
		v.pending = v.pending[vadFrame:]
		var sum float64
		for _, x := range f {
			sum += float64(x) * float64(x)
		}
		loud := sum/vadFrame > vadRMS*vadRMS
		v.pos += vadFrame
		ms := v.pos * 1000 / SampleRate
		switch {
		case loud && !v.speaking:
			v.speaking, v.silence, v.item, v.startedMs = true, 0, c.s.ids.Item(), ms-20
			c.send(&wire.InputAudioBufferSpeechStarted{AudioStartMs: v.startedMs, ItemID: v.item})
		case loud:
			v.silence = 0
		case v.speaking:
			v.silence++
			if v.silence >= vadSilence {
				v.speaking = false
				c.send(&wire.InputAudioBufferSpeechStopped{AudioEndMs: ms - vadSilence*20, ItemID: v.item})
				c.commit(&wire.InputAudioBufferCommit{}, v.item)
				if td.CreateResponse == nil || *td.CreateResponse {
					c.handle(&wire.ResponseCreate{})
				}
			}
		}
	}
}

// minCommit is the least audio a commit accepts (100 ms, as the service).
const minCommit = SampleRate / 10

func (c *sconn) commit(e *wire.InputAudioBufferCommit, id string) {
	c.s.mu.Lock()
	fail := c.s.fault.CommitError
	c.s.fault.CommitError = false
	c.s.mu.Unlock()
	if fail {
		c.send(&wire.ErrorEvent{Error: wire.ErrorObject{Type: wire.ErrorTypeServer, Code: wire.CodeServerError,
			Message: "The server had an error while processing your request.", EventID: e.EventID}})
		return
	}
	c.mu.Lock()
	if len(c.buf) < minCommit {
		c.mu.Unlock()
		c.errorFor(e, wire.CodeCommitEmpty, "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio.")
		return
	}
	pcm := c.buf
	c.buf = nil
	c.s.mu.Lock()
	words, n := c.s.transcript, c.s.commits
	c.s.commits++
	c.s.mu.Unlock()
	if c.s.opt.Transcribe != nil {
		words = c.s.opt.Transcribe(n, pcm)
	}
	if id == "" {
		id = c.s.ids.Item()
	}
	it := &item{id: id, role: wire.RoleUser, text: words}
	c.lastUsr = words
	c.turns++
	prev := c.add(it)
	c.mu.Unlock()
	c.send(&wire.InputAudioBufferCommitted{PreviousItemID: prev, ItemID: it.id})
	msg := wire.Item{ID: it.id, Object: "realtime.item", Type: wire.ItemMessage, Status: wire.StatusCompleted, Role: wire.RoleUser,
		Content: []wire.ContentPart{{Type: wire.PartInputAudio}}}
	c.send(&wire.ConversationItemAdded{PreviousItemID: prev, Item: msg})
	if c.transcription {
		c.s.mu.Lock()
		failed := c.s.fault.TranscriptionFailed
		c.s.fault.TranscriptionFailed = false
		c.s.mu.Unlock()
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			if c.transcribe(it.id, words, len(pcm), failed) {
				msg.Content[0].Transcript = &words
				c.send(&wire.ConversationItemDone{PreviousItemID: prev, Item: msg})
			}
		}()
		return
	}
	c.send(&wire.InputTranscriptionDelta{ItemID: it.id, Delta: words})
	c.send(&wire.InputTranscriptionCompleted{ItemID: it.id, Transcript: words,
		Usage: &wire.Usage{Type: "duration", Seconds: float64(len(pcm)) / SampleRate}})
	msg.Content[0].Transcript = &words
	c.send(&wire.ConversationItemDone{PreviousItemID: prev, Item: msg})
}

// respond produces one response: created, the model's delay, then audio
// and transcript deltas in real time, then the done events.
// respPlan is what a response does besides answering the user: call a
// tool, or speak about a tool's output.
type respPlan struct {
	call, args string
	toolOut    string
}

// functionCall answers with a function_call item, its arguments in two
// deltas, then done, as the GA server does.
func (c *sconn) functionCall(a *activeResp, p respPlan) wire.Item {
	it := &item{id: c.s.ids.Item()}
	c.mu.Lock()
	prev := c.add(it)
	c.mu.Unlock()
	callID := "call_" + strings.TrimPrefix(it.id, "item_")
	fc := wire.Item{ID: it.id, Object: "realtime.item", Type: wire.ItemFunctionCall, Status: wire.StatusInProgress, CallID: callID, Name: p.call}
	ref := wire.OutputItemRef{ResponseID: a.id}
	c.send(&wire.ResponseOutputItemAdded{OutputItemRef: ref, Item: fc})
	c.send(&wire.ConversationItemAdded{PreviousItemID: prev, Item: fc})
	half := len(p.args) / 2
	for _, d := range []string{p.args[:half], p.args[half:]} {
		c.send(&wire.ResponseFunctionCallArgumentsDelta{ResponseID: a.id, ItemID: it.id, CallID: callID, Delta: d})
	}
	c.send(&wire.ResponseFunctionCallArgumentsDone{ResponseID: a.id, ItemID: it.id, CallID: callID, Name: p.call, Arguments: p.args})
	fc.Status, fc.Arguments = wire.StatusCompleted, p.args
	c.send(&wire.ResponseOutputItemDone{OutputItemRef: ref, Item: fc})
	c.send(&wire.ConversationItemDone{PreviousItemID: prev, Item: fc})
	return fc
}

func (c *sconn) respond(ctx context.Context, a *activeResp, user string, plan respPlan) {
	c.s.mu.Lock()
	f := c.s.fault
	c.s.fault.ResponseError, c.s.fault.Silent, c.s.fault.DropAfter = false, false, 0
	c.s.mu.Unlock()
	resp := wire.Response{ID: a.id, Object: "realtime.response", Status: wire.StatusInProgress, OutputModalities: []string{wire.ModalityAudio}}
	c.send(&wire.ResponseCreated{Response: resp})
	status, reason := wire.StatusCompleted, ""
	var out []wire.Item
	defer func() {
		c.mu.Lock()
		if a.reason != "" {
			status, reason = wire.StatusCancelled, a.reason
		}
		c.active = nil
		c.mu.Unlock()
		resp.Status, resp.Output = status, out
		if status != wire.StatusCompleted {
			resp.StatusDetails = &wire.StatusDetails{Type: status, Reason: reason}
		}
		c.send(&wire.ResponseDone{Response: resp})
	}()
	if f.Silent {
		<-ctx.Done()
		return
	}
	// The reply is voiced during the delay, so the first audio goes out
	// Delay after response.create whatever espeak-ng takes.
	t0 := time.Now()
	if f.ResponseError {
		if !fakekit.Sleep(ctx, c.s.opt.Delay) {
			return
		}
		c.send(&wire.ErrorEvent{Error: wire.ErrorObject{Type: wire.ErrorTypeServer, Code: wire.CodeServerError, Message: "The server had an error while processing your request."}})
		status = wire.StatusFailed
		return
	}
	var pre []wire.Item // output items before the spoken one
	text := c.s.opt.Reply(user)
	if plan.call != "" {
		if !fakekit.Sleep(ctx, c.s.opt.Delay) {
			return
		}
		pre = []wire.Item{c.functionCall(a, plan)}
		out = pre
		if text = c.s.opt.ToolPreamble; text == "" {
			return
		}
	}
	if plan.toolOut != "" {
		text = c.s.opt.ToolReply(plan.toolOut)
	}
	if text == "" {
		fakekit.Sleep(ctx, c.s.opt.Delay)
		return // a response with no output
	}
	pcm, err := fakekit.Synthesize(ctx, c.s.opt.TTS, text, SampleRate)
	if err != nil {
		if ctx.Err() == nil {
			c.send(&wire.ErrorEvent{Error: wire.ErrorObject{Type: wire.ErrorTypeServer, Code: wire.CodeServerError, Message: err.Error()}})
			status = wire.StatusFailed
		}
		return
	}
	if !fakekit.Sleep(ctx, c.s.opt.Delay-time.Since(t0)) {
		return
	}
	it := &item{id: c.s.ids.Item(), role: wire.RoleAssistant, voicing: text}
	c.mu.Lock()
	prev := c.add(it)
	c.mu.Unlock()
	msg := wire.Item{ID: it.id, Object: "realtime.item", Type: wire.ItemMessage, Status: wire.StatusInProgress, Role: wire.RoleAssistant}
	c.send(&wire.ResponseOutputItemAdded{OutputItemRef: wire.OutputItemRef{ResponseID: a.id, OutputIndex: len(pre)}, Item: msg})
	c.send(&wire.ConversationItemAdded{PreviousItemID: prev, Item: msg})
	ref := wire.ContentRef{ResponseID: a.id, ItemID: it.id, OutputIndex: len(pre)}
	c.send(&wire.ResponseContentPartAdded{ContentRef: ref, Part: wire.ContentPart{Type: wire.PartOutputAudio}})
	words := strings.Fields(text)
	chunk := int(c.s.opt.Chunk * SampleRate / time.Second)
	sentWords := 0
	said := func() string { return strings.Join(words[:sentWords], " ") }
	for off := 0; off < len(pcm); off += chunk {
		end := min(off+chunk, len(pcm))
		// Words go out as the audio reaches them.
		for sentWords < len(words) && sentWords*len(pcm) <= end*len(words) {
			d := words[sentWords]
			if sentWords > 0 {
				d = " " + d
			}
			sentWords++
			c.send(&wire.ResponseOutputAudioTranscriptDelta{ContentRef: ref, Delta: d})
		}
		c.send(&wire.ResponseOutputAudioDelta{ContentRef: ref, Delta: wire.EncodePCM(pcm[off:end])})
		c.mu.Lock()
		it.generated += time.Duration(end-off) * time.Second / SampleRate
		gen := it.generated
		c.mu.Unlock()
		if f.DropAfter > 0 && gen >= f.DropAfter {
			c.ws.CloseNow() // a dropped socket says nothing
			return
		}
		if end < len(pcm) && !fakekit.Sleep(ctx, c.s.opt.Chunk) {
			it.text = said()
			content := []wire.ContentPart{{Type: wire.PartOutputAudio, Transcript: &it.text}}
			out = append(pre, wire.Item{ID: it.id, Object: "realtime.item", Type: wire.ItemMessage, Status: wire.StatusIncomplete, Role: wire.RoleAssistant, Content: content})
			return
		}
	}
	it.text = text
	c.send(&wire.ResponseOutputAudioDone{ContentRef: ref})
	c.send(&wire.ResponseOutputAudioTranscriptDone{ContentRef: ref, Transcript: text})
	part := wire.ContentPart{Type: wire.PartOutputAudio, Transcript: &text}
	c.send(&wire.ResponseContentPartDone{ContentRef: ref, Part: part})
	msg.Status, msg.Content = wire.StatusCompleted, []wire.ContentPart{part}
	c.send(&wire.ResponseOutputItemDone{OutputItemRef: wire.OutputItemRef{ResponseID: a.id, OutputIndex: len(pre)}, Item: msg})
	c.send(&wire.ConversationItemDone{PreviousItemID: prev, Item: msg})
	out = append(pre, msg)
}

// Commits is how many user turns were committed (by the client or the
// server VAD).
func (s *Server) Commits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits
}

// Images returns the size of each input_image that arrived.
func (s *Server) Images() []image.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]image.Config(nil), s.images...)
}

// decodeImage reads an image_url data URL (JPEG or PNG).
func decodeImage(url string) (image.Config, error) {
	var b64 string
	for _, p := range []string{"data:image/jpeg;base64,", "data:image/png;base64,"} {
		if strings.HasPrefix(url, p) {
			b64 = url[len(p):]
		}
	}
	if b64 == "" {
		return image.Config{}, errors.New("want a data:image/jpeg or data:image/png base64 URL")
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return image.Config{}, err
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	return cfg, err
}

// offers reports whether a session's tools include the function name.
func offers(tools json.RawMessage, name string) bool {
	var fts []wire.FunctionTool
	if json.Unmarshal(tools, &fts) != nil {
		return false
	}
	for _, f := range fts {
		if f.Name == name {
			return true
		}
	}
	return false
}

// transcribe answers a transcription session's commit: a delta per word
// spread over TranscribeDelay, then .completed (or .failed) at its end.
// It reports whether the transcript was sent.
func (c *sconn) transcribe(id, words string, samples int, failed bool) bool {
	d := c.s.opt.TranscribeDelay
	ws := strings.Fields(words)
	start := time.Now()
	for i, w := range ws {
		if i > 0 {
			w = " " + w
		}
		if !fakekit.Sleep(c.ctx, time.Until(start.Add(d*time.Duration(i+1)/time.Duration(len(ws)+1)))) {
			return false
		}
		c.send(&wire.InputTranscriptionDelta{ItemID: id, Delta: w})
	}
	if !fakekit.Sleep(c.ctx, time.Until(start.Add(d))) {
		return false
	}
	if failed {
		c.send(&wire.InputTranscriptionFailed{ItemID: id, Error: wire.ErrorObject{Type: wire.ErrorTypeServer, Code: wire.CodeServerError, Message: "fault injected"}})
		return false
	}
	c.send(&wire.InputTranscriptionCompleted{ItemID: id, Transcript: words,
		Usage: &wire.Usage{Type: "duration", Seconds: float64(samples) / SampleRate}})
	return true
}
