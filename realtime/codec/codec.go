// Package codec is the OpenAI Realtime GA event protocol as a
// pipeline.Protocol: the oai-events data channel of a WebRTC call. It maps
// the pipeline's events to the server events the official clients expect
// (docs/protocol-realtime.md) and client events to commands.
package codec

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/realtime"
)

// Label is the data channel label the official clients create.
const Label = "oai-events"

// maxItems bounds the items kept for conversation.item.retrieve.
const maxItems = 64

// Codec is one call's oai-events protocol. Encode and Decode run on
// different goroutines; mu guards everything they share.
type Codec struct {
	ids *realtime.IDs
	// openTurn is the turn detection of the session defaults (read-only);
	// openManual: they set turn_detection null.
	openTurn   *pipeline.TurnSettings
	openManual bool

	mu      sync.Mutex
	session realtime.Session
	// last is the id of the newest conversation item (previous_item_id).
	last string
	// user is the user item being spoken or typed; nil between turns.
	user *userItem
	// committed is the spoken item the client committed, waiting for its
	// transcript (clientturns.go).
	committed *userItem
	// resp is the response in progress; nil when none.
	resp *response
	// cancelled: the client asked to stop the response in progress.
	cancelled bool
	// typedCreate: a typed item started a response; the client's
	// response.create that follows it is answered by that response, even
	// if it has already ended.
	typedCreate bool
	// manual: turn_detection is null, the client commits its turns and
	// creates the responses (clientturns.go).
	manual bool
	// createID is the event_id of a response.create the pipeline has not
	// answered yet (its error names it).
	createID string
	items    map[string]realtime.Item
	order    []string
	// calls are the tool calls shown started and not yet done (tools.go).
	calls map[string]*toolCall
}

type userItem struct {
	id        string
	typed     bool   // conversation.item.create input_text
	partial   string // transcript deltas sent so far
	committed bool   // the client committed it: committed already sent
	image     bool   // the typed item carried an input_image
}

type response struct {
	id, item, prev string
	text           strings.Builder
	audio          bool // output_audio_buffer.started sent
	// outputs counts the function_call items after the message (tools.go).
	outputs int
	calls   []realtime.Item
}

var _ pipeline.Protocol = (*Codec)(nil)

// New returns a codec whose session starts from defaults (e.g. the session
// an ephemeral key was minted with); nil means Duplex's own.
func New(defaults *realtime.Session) *Codec {
	c := &Codec{ids: realtime.NewIDs(), items: map[string]realtime.Item{}}
	c.session = realtime.Session{
		Type: realtime.SessionRealtime, Object: "realtime.session", ID: c.ids.Session(),
		Model: "duplex", OutputModalities: []string{realtime.ModalityAudio},
		Audio: &realtime.SessionAudio{
			Input: &realtime.AudioInput{
				Format:        &realtime.AudioFormat{Type: realtime.FormatPCM, Rate: 24000},
				TurnDetection: realtime.Some(realtime.TurnDetection{Type: realtime.TurnServerVAD}),
			},
			Output: &realtime.AudioOutput{Format: &realtime.AudioFormat{Type: realtime.FormatPCM, Rate: 24000}},
		},
	}
	if defaults != nil && defaults.Instructions != nil {
		s := *defaults.Instructions
		c.session.Instructions = &s
	}
	if defaults != nil && defaults.Audio != nil && defaults.Audio.Input != nil {
		if td := defaults.Audio.Input.TurnDetection; td.IsNull() {
			c.session.Audio.Input.TurnDetection = td
			c.manual, c.openManual = true, true
		} else if td.Present && td.Value != nil {
			c.session.Audio.Input.TurnDetection = realtime.Some(*td.Value)
			if ts, ok := turnSettings(*td.Value); ok {
				c.openTurn = &ts
			}
		}
	}
	return c
}

// NewProtocol is New(nil) as a session protocol constructor.
func NewProtocol() pipeline.Protocol { return New(nil) }

// Name implements pipeline.Protocol.
func (*Codec) Name() string { return Label }

// Instructions returns the session's instructions ("" when unset): the
// call's initial command when the codec was made from a minted key.
func (c *Codec) Instructions() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session.Instructions == nil {
		return ""
	}
	return *c.session.Instructions
}

// Open implements pipeline.Opener: the instructions and turn detection the
// call was set up with (a minted key's session, the multipart session
// part) apply from the start.
func (c *Codec) Open() []pipeline.Command {
	cmd := pipeline.Command{Kind: pipeline.CmdConfigure, Turn: c.openTurn}
	if t := c.Instructions(); t != "" {
		cmd.Instructions = &t
	}
	if c.openManual {
		cmd.ClientTurns = ptr(true)
	}
	if cmd.Instructions == nil && cmd.Turn == nil && cmd.ClientTurns == nil {
		return nil
	}
	return []pipeline.Command{cmd}
}

// ---- Encode: pipeline events → server events ----

// Encode implements pipeline.Protocol.
func (c *Codec) Encode(ev pipeline.Event) ([][]byte, error) {
	// Marshalled under the lock: events share the session object that
	// Decode updates.
	c.mu.Lock()
	defer c.mu.Unlock()
	evs := c.encode(ev)
	out := make([][]byte, 0, len(evs))
	for _, e := range evs {
		b, err := realtime.Marshal(e, c.ids)
		if err != nil {
			return out, fmt.Errorf("realtime codec: marshal %s: %w", e.EventType(), err)
		}
		out = append(out, b)
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// prev returns the previous_item_id for a new item (null for the first).
func (c *Codec) prev() *string {
	if c.last == "" {
		return nil
	}
	return ptr(c.last)
}

// remember keeps an item for retrieve, dropping the oldest past maxItems.
func (c *Codec) remember(it realtime.Item) {
	if _, ok := c.items[it.ID]; !ok {
		c.order = append(c.order, it.ID)
		if len(c.order) > maxItems {
			delete(c.items, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.items[it.ID] = it
}

func (c *Codec) encode(ev pipeline.Event) []realtime.Event {
	switch ev := ev.(type) {
	case pipeline.Ready:
		return []realtime.Event{&realtime.SessionCreated{Session: c.session}}
	case pipeline.StateChanged:
		return c.state(ev.State)
	case pipeline.TranscriptPartial:
		if c.user == nil || c.user.typed {
			return nil
		}
		delta := ev.Text
		if strings.HasPrefix(ev.Text, c.user.partial) {
			delta = ev.Text[len(c.user.partial):]
		}
		c.user.partial = ev.Text
		if delta == "" {
			return nil
		}
		return []realtime.Event{&realtime.InputTranscriptionDelta{ItemID: c.user.id, Delta: delta}}
	case pipeline.TranscriptFinal:
		return c.final(ev.Text)
	case pipeline.NothingHeard:
		// The committed item, with no words.
		if u := c.committed; u != nil {
			c.committed = nil
			return c.userItem(u, "")
		}
	case pipeline.ReplyDelta:
		out := c.startResponse()
		c.resp.text.WriteString(ev.Text)
		return append(out, &realtime.ResponseOutputAudioTranscriptDelta{ContentRef: c.ref(), Delta: ev.Text})
	case pipeline.ReplyDone:
		out := c.startResponse()
		text := ev.Text
		if text == "" {
			text = strings.TrimSpace(c.resp.text.String())
		}
		return append(out, c.endResponse(text, realtime.StatusCompleted, nil)...)
	case pipeline.ReplyInterrupted:
		if c.resp == nil {
			return nil
		}
		reason := "turn_detected"
		if c.cancelled {
			reason = "client_cancelled"
		}
		r := c.resp
		var out []realtime.Event
		if r.audio {
			out = append(out, &realtime.OutputAudioBufferCleared{ResponseID: r.id})
			r.audio = false // no output_audio_buffer.stopped after cleared
		}
		out = append(out, c.endResponse(ev.Heard, realtime.StatusIncomplete, &realtime.StatusDetails{Type: realtime.StatusCancelled, Reason: reason})...)
		return append(out, &realtime.ConversationItemTruncated{ItemID: r.item, AudioEndMs: int(ev.PlayedMS)})
	case pipeline.Error:
		typ := realtime.ErrorTypeServer
		code := string(ev.Code)
		switch ev.Code {
		case pipeline.CodeBadMessage, pipeline.CodeTooLarge:
			typ, code = realtime.ErrorTypeInvalidRequest, realtime.CodeInvalidValue
		case pipeline.CodeUnknownType:
			typ, code = realtime.ErrorTypeInvalidRequest, realtime.CodeUnknownEvent
		case pipeline.CodeUnsupported:
			typ, code = realtime.ErrorTypeInvalidRequest, realtime.CodeUnsupported
		case pipeline.CodeRateLimited:
			typ = realtime.ErrorTypeInvalidRequest
		}
		e := &realtime.ErrorEvent{Error: realtime.ErrorObject{Type: typ, Code: code, Message: ev.Message}}
		c.pipelineError(e)
		return []realtime.Event{e}
	case pipeline.ToolStarted:
		return c.toolStarted(ev)
	case pipeline.ToolDone:
		return c.toolDone(ev)
	case pipeline.Reply:
		if evs, ok := ev.Payload.([]realtime.Event); ok {
			return evs
		}
	}
	return nil
}

// state turns the assistant's state into VAD and playout events.
func (c *Codec) state(s pipeline.State) []realtime.Event {
	switch s {
	case pipeline.StateUserSpeaking:
		if c.user == nil || c.user.typed {
			c.user = &userItem{id: c.ids.Item()}
		}
		if c.manual { // no server VAD events without turn detection
			return nil
		}
		return []realtime.Event{&realtime.InputAudioBufferSpeechStarted{ItemID: c.user.id}}
	case pipeline.StateThinking:
		if c.user != nil && !c.user.typed && !c.manual {
			return []realtime.Event{&realtime.InputAudioBufferSpeechStopped{ItemID: c.user.id}}
		}
	case pipeline.StateSpeaking:
		if c.resp != nil && !c.resp.audio {
			c.resp.audio = true
			return []realtime.Event{&realtime.OutputAudioBufferStarted{ResponseID: c.resp.id}}
		}
	case pipeline.StateListening:
		// Speech that transcribed to nothing: no item was committed.
		if c.user != nil && !c.user.typed {
			c.user = nil
		}
	}
	return nil
}

// final commits the user's item with its transcript and starts the
// response that answers it.
func (c *Codec) final(text string) []realtime.Event {
	u := c.user
	switch {
	case c.committed != nil && (u == nil || !u.typed):
		u, c.committed = c.committed, nil
	case u == nil:
		u = &userItem{id: c.ids.Item()}
	default:
		c.user = nil
	}
	out := c.userItem(u, text)
	if c.resp != nil { // a reply still open: the engine interrupted it first
		return out
	}
	if c.manual && !u.typed { // the client's response.create starts it
		return out
	}
	return append(out, c.startResponse()...)
}

// userItem commits the user's item u with its transcript.
func (c *Codec) userItem(u *userItem, text string) []realtime.Event {
	prev := c.prev()
	var out []realtime.Event
	item := realtime.Item{ID: u.id, Object: "realtime.item", Type: realtime.ItemMessage, Role: realtime.RoleUser, Status: realtime.StatusInProgress}
	if u.typed {
		item.Status = realtime.StatusCompleted
		item.Content = []realtime.ContentPart{{Type: realtime.PartInputText, Text: text}}
		if u.image {
			item.Content = append(item.Content, realtime.ContentPart{Type: realtime.PartInputImage})
		}
		out = append(out, &realtime.ConversationItemAdded{PreviousItemID: prev, Item: item},
			&realtime.ConversationItemDone{PreviousItemID: prev, Item: item})
	} else {
		if !u.committed {
			out = append(out, &realtime.InputAudioBufferCommitted{PreviousItemID: prev, ItemID: u.id})
		}
		item.Content = []realtime.ContentPart{{Type: realtime.PartInputAudio}}
		out = append(out, &realtime.ConversationItemAdded{PreviousItemID: prev, Item: item})
		item.Status = realtime.StatusCompleted
		item.Content = []realtime.ContentPart{{Type: realtime.PartInputAudio, Transcript: ptr(text)}}
		out = append(out, &realtime.ConversationItemDone{PreviousItemID: prev, Item: item},
			&realtime.InputTranscriptionCompleted{ItemID: u.id, Transcript: text})
	}
	c.last = u.id
	c.remember(item)
	return out
}

// startResponse opens a response if none is open.
func (c *Codec) startResponse() []realtime.Event {
	if c.resp != nil {
		return nil
	}
	r := &response{id: c.ids.Response(), item: c.ids.Item(), prev: c.last}
	c.resp, c.cancelled, c.createID = r, false, ""
	item := realtime.Item{ID: r.item, Object: "realtime.item", Type: realtime.ItemMessage, Role: realtime.RoleAssistant, Status: realtime.StatusInProgress}
	var prev *string
	if r.prev != "" {
		prev = ptr(r.prev)
	}
	c.last = r.item
	c.remember(item)
	return []realtime.Event{
		&realtime.ResponseCreated{Response: realtime.Response{ID: r.id, Object: "realtime.response", Status: realtime.StatusInProgress,
			OutputModalities: []string{realtime.ModalityAudio}}},
		&realtime.ResponseOutputItemAdded{OutputItemRef: realtime.OutputItemRef{ResponseID: r.id}, Item: item},
		&realtime.ConversationItemAdded{PreviousItemID: prev, Item: item},
		&realtime.ResponseContentPartAdded{ContentRef: c.ref(), Part: realtime.ContentPart{Type: realtime.PartOutputAudio, Transcript: ptr("")}},
	}
}

func (c *Codec) ref() realtime.ContentRef {
	return realtime.ContentRef{ResponseID: c.resp.id, ItemID: c.resp.item}
}

// endResponse closes the open response with the text the user heard.
func (c *Codec) endResponse(text, status string, details *realtime.StatusDetails) []realtime.Event {
	r := c.resp
	ref := c.ref()
	part := realtime.ContentPart{Type: realtime.PartOutputAudio, Transcript: ptr(text)}
	item := realtime.Item{ID: r.item, Object: "realtime.item", Type: realtime.ItemMessage, Role: realtime.RoleAssistant,
		Status: status, Content: []realtime.ContentPart{part}}
	var prev *string
	if r.prev != "" {
		prev = ptr(r.prev)
	}
	respStatus := status
	if details != nil {
		respStatus = details.Type
	}
	c.remember(item)
	out := []realtime.Event{
		&realtime.ResponseOutputAudioDone{ContentRef: ref},
		&realtime.ResponseOutputAudioTranscriptDone{ContentRef: ref, Transcript: text},
		&realtime.ResponseContentPartDone{ContentRef: ref, Part: part},
		&realtime.ResponseOutputItemDone{OutputItemRef: realtime.OutputItemRef{ResponseID: r.id}, Item: item},
		&realtime.ConversationItemDone{PreviousItemID: prev, Item: item},
		&realtime.ResponseDone{Response: realtime.Response{ID: r.id, Object: "realtime.response", Status: respStatus,
			StatusDetails: details, Output: append([]realtime.Item{item}, r.calls...), OutputModalities: []string{realtime.ModalityAudio},
			Usage: &realtime.Usage{}}},
	}
	if r.audio {
		out = append(out, &realtime.OutputAudioBufferStopped{ResponseID: r.id})
	}
	c.resp, c.cancelled = nil, false
	return out
}

// ---- Decode: client events → commands ----

// reply is a command the codec answers itself.
func reply(evs ...realtime.Event) pipeline.Command {
	return pipeline.Command{Kind: pipeline.CmdReply, Reply: evs}
}

func unsupported(id, param, format string, args ...any) *realtime.ErrorEvent {
	return &realtime.ErrorEvent{Error: realtime.ErrorObject{Type: realtime.ErrorTypeInvalidRequest,
		Code: realtime.CodeUnsupported, Param: param, EventID: id, Message: fmt.Sprintf(format, args...)}}
}

// Decode implements pipeline.Protocol. Every client mistake is answered
// with an error event naming the client's event_id; the call goes on.
func (c *Codec) Decode(msg []byte, text bool) (pipeline.Command, error) {
	if !text {
		return reply(&realtime.ErrorEvent{Error: realtime.ErrorObject{Type: realtime.ErrorTypeInvalidRequest,
			Code: realtime.CodeInvalidJSON, Message: "binary messages are not supported; send JSON text"}}), nil
	}
	ev, err := realtime.ParseClientEvent(msg)
	if err != nil {
		return reply(realtime.ErrorFor(err)), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	id := ev.(interface{ ID() string }).ID()
	switch ev := ev.(type) {
	case *realtime.SessionUpdate:
		return c.update(id, &ev.Session), nil
	case *realtime.ConversationItemCreate:
		return c.create(id, ev), nil
	case *realtime.ConversationItemRetrieve:
		it, ok := c.items[ev.ItemID]
		if !ok {
			return reply(&realtime.ErrorEvent{Error: realtime.ErrorObject{Type: realtime.ErrorTypeInvalidRequest,
				Code: realtime.CodeItemNotFound, Param: "item_id", EventID: id, Message: fmt.Sprintf("no item %q", ev.ItemID)}}), nil
		}
		return reply(&realtime.ConversationItemRetrieved{Item: it}), nil
	case *realtime.ConversationItemTruncate:
		if _, ok := c.items[ev.ItemID]; !ok {
			return reply(&realtime.ErrorEvent{Error: realtime.ErrorObject{Type: realtime.ErrorTypeInvalidRequest,
				Code: realtime.CodeItemNotFound, Param: "item_id", EventID: id, Message: fmt.Sprintf("no item %q", ev.ItemID)}}), nil
		}
		// Duplex cuts replies itself at what was played; the item already
		// holds what was heard.
		return reply(&realtime.ConversationItemTruncated{ItemID: ev.ItemID, ContentIndex: ev.ContentIndex, AudioEndMs: ev.AudioEndMs}), nil
	case *realtime.ResponseCancel:
		if c.resp == nil {
			return reply(&realtime.ErrorEvent{Error: realtime.ErrorObject{Type: realtime.ErrorTypeInvalidRequest,
				Code: realtime.CodeCancelNotActive, EventID: id, Message: "there is no response in progress"}}), nil
		}
		c.cancelled = true
		return pipeline.Command{Kind: pipeline.CmdResponseCancel}, nil
	case *realtime.OutputAudioBufferClear:
		if c.resp == nil {
			return reply(), nil
		}
		c.cancelled = true
		return pipeline.Command{Kind: pipeline.CmdResponseCancel}, nil
	case *realtime.ResponseCreate:
		// A typed item starts its response at once; a response.create
		// right after it is answered by that response.created.
		if c.typedCreate || (c.resp != nil && !c.manual) {
			c.typedCreate = false
			return reply(), nil
		}
		if c.manual {
			return c.responseCreate(id), nil
		}
		return reply(unsupported(id, "", "response.create without new input is not supported: Duplex answers each user turn")), nil
	case *realtime.InputAudioBufferAppend:
		return reply(unsupported(id, "", "input_audio_buffer.append is not supported: send audio on the WebRTC track")), nil
	case *realtime.InputAudioBufferCommit:
		return c.commit(id), nil
	case *realtime.InputAudioBufferClear:
		return c.clear(), nil
	default:
		return reply(unsupported(id, "", "%s is not supported", ev.EventType())), nil
	}
}

// update applies session.update: instructions go to the pipeline; what
// Duplex cannot change is reported as an error, and session.updated
// carries the effective session.
func (c *Codec) update(id string, s *realtime.Session) pipeline.Command {
	var errs []realtime.Event
	cmd := pipeline.Command{Kind: pipeline.CmdReply}
	configure := func() {
		cmd.Kind = pipeline.CmdConfigure
	}
	if s.Instructions != nil && (c.session.Instructions == nil || *c.session.Instructions != *s.Instructions) {
		c.session.Instructions = ptr(*s.Instructions)
		cmd.Instructions = ptr(*s.Instructions)
		configure()
	}
	if len(s.OutputModalities) > 0 && !contains(s.OutputModalities, realtime.ModalityAudio) {
		errs = append(errs, unsupported(id, "session.output_modalities", "Duplex always answers with audio (and its transcript)"))
	}
	if s.Audio != nil && s.Audio.Input != nil {
		td := s.Audio.Input.TurnDetection
		switch {
		case td.IsNull():
			if !c.manual {
				c.manual = true
				cmd.ClientTurns = ptr(true)
				configure()
			}
			c.session.Audio.Input.TurnDetection = td
		case td.Present:
			if ts, ok := turnSettings(*td.Value); ok {
				cmd.Turn = &ts
				configure()
			}
			if c.manual {
				c.manual = false
				cmd.ClientTurns = ptr(false)
				configure()
			}
			c.session.Audio.Input.TurnDetection = realtime.Some(*td.Value)
		}
	}
	if s.Audio != nil && s.Audio.Output != nil && s.Audio.Output.Voice != "" {
		errs = append(errs, unsupported(id, "session.audio.output.voice", "the voice is chosen by the server (-tts-voice); %q is ignored", s.Audio.Output.Voice))
	}
	if len(s.Tools) > 0 && string(s.Tools) != "[]" && string(s.Tools) != "null" {
		errs = append(errs, unsupported(id, "session.tools", "tools are not supported"))
	}
	cmd.Reply = append(errs, &realtime.SessionUpdated{Session: cloneSession(c.session)})
	return cmd
}

// Silence that ends a turn for semantic_vad's eagerness; medium and auto
// keep the server's.
const (
	eagerLowSilence  = 800 * time.Millisecond
	eagerHighSilence = 200 * time.Millisecond
)

// turnSettings maps turn_detection to the detector's settings; false when
// it changes nothing.
func turnSettings(td realtime.TurnDetection) (pipeline.TurnSettings, bool) {
	var ts pipeline.TurnSettings
	switch td.Type {
	case realtime.TurnServerVAD:
		if td.Threshold != nil {
			ts.Threshold = *td.Threshold
		}
		if td.PrefixPaddingMs != nil {
			ts.PrefixPadding = time.Duration(*td.PrefixPaddingMs) * time.Millisecond
		}
		if td.SilenceDurationMs != nil {
			ts.Silence = time.Duration(*td.SilenceDurationMs) * time.Millisecond
		}
	case realtime.TurnSemanticVAD:
		switch td.Eagerness {
		case realtime.EagernessLow:
			ts.Silence = eagerLowSilence
		case realtime.EagernessHigh:
			ts.Silence = eagerHighSilence
		}
	}
	return ts, ts != (pipeline.TurnSettings{})
}

func cloneSession(s realtime.Session) realtime.Session {
	b, _ := json.Marshal(s)
	var out realtime.Session
	_ = json.Unmarshal(b, &out)
	return out
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// create turns a typed user message into a user turn.
func (c *Codec) create(id string, ev *realtime.ConversationItemCreate) pipeline.Command {
	it := ev.Item
	if it.Type != realtime.ItemMessage || it.Role != realtime.RoleUser {
		return reply(unsupported(id, "item", "only user messages can be created (got %s %s)", it.Type, it.Role))
	}
	var text []string
	var still *media.Snapshot
	for i, p := range it.Content {
		switch p.Type {
		case realtime.PartInputText:
			text = append(text, p.Text)
		case realtime.PartInputImage:
			if still != nil {
				return reply(unsupported(id, fmt.Sprintf("item.content[%d]", i), "one input_image per item"))
			}
			s, err := decodeImage(p.ImageURL, time.Now())
			if err != nil {
				return reply(&realtime.ErrorEvent{Error: realtime.ErrorObject{Type: realtime.ErrorTypeInvalidRequest,
					Code: realtime.CodeInvalidValue, Param: fmt.Sprintf("item.content[%d].image_url", i), EventID: id, Message: err.Error()}})
			}
			still = s
		default:
			return reply(unsupported(id, "item.content", "%s content is not supported; send input_text or input_image", p.Type))
		}
	}
	t := strings.TrimSpace(strings.Join(text, " "))
	if t == "" && still != nil {
		return c.imageItem(it.ID, still)
	}
	if t == "" {
		return reply(&realtime.ErrorEvent{Error: realtime.ErrorObject{Type: realtime.ErrorTypeInvalidRequest,
			Code: realtime.CodeInvalidValue, Param: "item.content", EventID: id, Message: "the message has no text"}})
	}
	iid := it.ID
	if iid == "" {
		iid = c.ids.Item()
	}
	c.user = &userItem{id: iid, typed: true, image: still != nil}
	c.typedCreate = true
	return pipeline.Command{Kind: pipeline.CmdInputText, Text: t, Image: still}
}
