package realtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/duplex-ai/duplex/internal/jsonkind"
)

// Sentinels that every *Error wraps: errors.Is(err, ErrUnknownType) etc.
var (
	ErrMalformed    = errors.New("malformed event")
	ErrUnknownType  = errors.New("unknown event type")
	ErrMissingField = errors.New("missing required field")
	ErrInvalidValue = errors.New("invalid value")
)

// Error is a rejected event: which rule (Kind), the wire code, the field
// at fault and the event's own event_id when it could be read, so the
// error event can name it.
type Error struct {
	Kind      error  // one of the sentinels above
	Code      string // Code… constant for the error object
	Param     string // offending field, dotted ("session.audio.input.format.type")
	EventID   string // the rejected event's event_id, if any
	EventType string // the rejected event's type, if read
	Message   string
}

func (e *Error) Error() string { return "realtime: " + e.Message }
func (e *Error) Unwrap() error { return e.Kind }

// Object is the error object for an error event answering e.
func (e *Error) Object() ErrorObject {
	return ErrorObject{Type: ErrorTypeInvalidRequest, Code: e.Code, Message: e.Message, Param: e.Param, EventID: e.EventID}
}

// ErrorFor builds the error event for err: a parse *Error keeps its code
// and event_id; anything else is a server_error.
func ErrorFor(err error) *ErrorEvent {
	var pe *Error
	if errors.As(err, &pe) {
		return &ErrorEvent{Error: pe.Object()}
	}
	return &ErrorEvent{Error: ErrorObject{Type: ErrorTypeServer, Code: CodeServerError, Message: err.Error()}}
}

// Marshal encodes ev, setting its type from its Go type and, when empty,
// its event_id from ids (every server event needs a unique one).
func Marshal(ev Event, ids *IDs) ([]byte, error) {
	h := ev.header()
	h.Type = ev.EventType()
	if h.EventID == "" && ids != nil {
		h.EventID = ids.Event()
	}
	return json.Marshal(ev)
}

// ParseClientEvent decodes one message a client sent on the oai-events
// channel. Unknown fields are ignored (clients add their own, e.g.
// session.tracing); unknown types, missing required fields and values out
// of their enum or range are an *Error. It never panics.
func ParseClientEvent(data []byte) (Event, error) {
	ev, err := parse(data, clientEvents, nil)
	if err != nil {
		return nil, err
	}
	if err := validateClient(ev); err != nil {
		return nil, err.finish(ev.header().EventID, ev.EventType())
	}
	return ev, nil
}

// ParseServerEvent decodes one event from a Realtime server (the client
// side, for the speech-to-speech backend). Beta names are accepted and
// reported as their GA names (response.audio.delta → response.output_audio.delta,
// conversation.item.created → conversation.item.added, …), as are beta
// assistant content types (audio, text → output_audio, output_text).
func ParseServerEvent(data []byte) (Event, error) {
	ev, err := parse(data, serverEvents, betaAliases)
	if err != nil {
		return nil, err
	}
	normaliseBeta(ev)
	return ev, nil
}

func parse(data []byte, table map[string]spec, aliases map[string]string) (Event, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return nil, &Error{Kind: ErrMalformed, Code: CodeInvalidJSON, Message: "the event is not a JSON object"}
	}
	e := &Error{}
	if raw, ok := fields["event_id"]; ok && !jsonkind.IsNull(raw) {
		if json.Unmarshal(raw, &e.EventID) != nil {
			return nil, e.set(ErrInvalidValue, CodeInvalidValue, "event_id", "event_id must be a string")
		}
	}
	raw, ok := fields["type"]
	if !ok || jsonkind.IsNull(raw) {
		return nil, e.set(ErrMissingField, CodeMissingParameter, "type", "missing required parameter 'type'")
	}
	var typ string
	if json.Unmarshal(raw, &typ) != nil {
		return nil, e.set(ErrInvalidValue, CodeInvalidValue, "type", "type must be a string")
	}
	if ga, ok := aliases[typ]; ok {
		typ = ga
	}
	sp, ok := table[typ]
	if !ok {
		return nil, e.set(ErrUnknownType, CodeUnknownEvent, "type", fmt.Sprintf("unknown event type %q", clip(typ)))
	}
	e.EventType = typ
	for _, k := range sp.required {
		if raw, ok := fields[k]; !ok || jsonkind.IsNull(raw) || (k == "event_id" && e.EventID == "") {
			return nil, e.set(ErrMissingField, CodeMissingParameter, k, fmt.Sprintf("%s: missing required parameter '%s'", typ, k))
		}
	}
	ev := sp.new()
	if err := json.Unmarshal(data, ev); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, e.set(ErrInvalidValue, CodeInvalidValue, te.Field, fmt.Sprintf("%s: %s must be %s, not %s", typ, te.Field, jsonkind.Of(te.Type), te.Value))
		}
		return nil, e.set(ErrInvalidValue, CodeInvalidValue, "", fmt.Sprintf("%s: %v", typ, err))
	}
	h := ev.header()
	h.Type = typ
	return ev, nil
}

// finish completes a validation failure: its kind follows its code.
func (e *Error) finish(eventID, eventType string) *Error {
	e.Kind, e.EventID, e.EventType = ErrInvalidValue, eventID, eventType
	switch e.Code {
	case "":
		e.Code = CodeInvalidValue
	case CodeMissingParameter:
		e.Kind = ErrMissingField
	}
	return e
}

func (e *Error) set(kind error, code, param, msg string) *Error {
	e.Kind, e.Code, e.Param, e.Message = kind, code, param, msg
	return e
}

// clip shortens a client-supplied string quoted in an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// invalid is a validation failure; ParseClientEvent fills in the rest.
func invalid(param, format string, args ...any) *Error {
	return &Error{Param: param, Message: fmt.Sprintf(format, args...)}
}

func missing(param string) *Error {
	return &Error{Code: CodeMissingParameter, Param: param, Message: fmt.Sprintf("missing required parameter '%s'", param)}
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func validateClient(ev Event) *Error {
	switch ev := ev.(type) {
	case *SessionUpdate:
		return validateSession(&ev.Session)
	case *ConversationItemCreate:
		return validateItem(&ev.Item, "item")
	case *ConversationItemTruncate:
		if ev.ContentIndex < 0 {
			return invalid("content_index", "content_index must be >= 0")
		}
		if ev.AudioEndMs < 0 {
			return &Error{Code: CodeInvalidAudioEndMs, Param: "audio_end_ms", Message: "audio_end_ms must be >= 0"}
		}
	case *ResponseCreate:
		if r := ev.Response; r != nil {
			if !oneOf(r.Conversation, "", "auto", "none") {
				return invalid("response.conversation", "response.conversation must be 'auto' or 'none'")
			}
			if err := validateModalities(r.OutputModalities, "response.output_modalities"); err != nil {
				return err
			}
			for i := range r.Input {
				if err := validateItem(&r.Input[i], fmt.Sprintf("response.input[%d]", i)); err != nil {
					return err
				}
			}
			if r.Audio != nil && r.Audio.Output != nil {
				if err := validateOutput(r.Audio.Output, "response.audio.output"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func validateModalities(m []string, param string) *Error {
	for _, v := range m {
		if !oneOf(v, ModalityAudio, ModalityText) {
			return invalid(param, "%s: %q is not 'audio' or 'text'", param, clip(v))
		}
	}
	return nil
}

func validateSession(s *Session) *Error {
	if s.Type != "" && s.Type != SessionRealtime && s.Type != SessionTranscription {
		return invalid("session.type", "session.type %q is not supported (only 'realtime' or 'transcription')", clip(s.Type))
	}
	if err := validateModalities(s.OutputModalities, "session.output_modalities"); err != nil {
		return err
	}
	if s.Audio == nil {
		return nil
	}
	if in := s.Audio.Input; in != nil {
		if err := validateFormat(in.Format, "session.audio.input.format"); err != nil {
			return err
		}
		if td := in.TurnDetection.Value; td != nil {
			const p = "session.audio.input.turn_detection"
			switch td.Type {
			case "":
				return missing(p + ".type")
			case TurnServerVAD, TurnSemanticVAD:
			default:
				return invalid(p+".type", "%s.type %q is not 'server_vad' or 'semantic_vad'", p, clip(td.Type))
			}
			if td.Eagerness != "" && !oneOf(td.Eagerness, EagernessLow, EagernessMedium, EagernessHigh, EagernessAuto) {
				return invalid(p+".eagerness", "%s.eagerness %q is not low, medium, high or auto", p, clip(td.Eagerness))
			}
			if td.Threshold != nil && (*td.Threshold < 0 || *td.Threshold > 1) {
				return invalid(p+".threshold", "%s.threshold must be within 0 … 1", p)
			}
			for name, v := range map[string]*int{"prefix_padding_ms": td.PrefixPaddingMs, "silence_duration_ms": td.SilenceDurationMs, "idle_timeout_ms": td.IdleTimeoutMs} {
				if v != nil && *v < 0 {
					return invalid(p+"."+name, "%s.%s must be >= 0", p, name)
				}
			}
		}
		if nr := in.NoiseReduction.Value; nr != nil && !oneOf(nr.Type, "near_field", "far_field") {
			return invalid("session.audio.input.noise_reduction.type", "noise_reduction.type must be 'near_field' or 'far_field'")
		}
	}
	if out := s.Audio.Output; out != nil {
		return validateOutput(out, "session.audio.output")
	}
	return nil
}

func validateOutput(out *AudioOutput, p string) *Error {
	if err := validateFormat(out.Format, p+".format"); err != nil {
		return err
	}
	if out.Speed != nil && (*out.Speed < 0.25 || *out.Speed > 1.5) {
		return invalid(p+".speed", "%s.speed must be within 0.25 … 1.5", p)
	}
	return nil
}

func validateFormat(f *AudioFormat, p string) *Error {
	if f == nil {
		return nil
	}
	switch f.Type {
	case "":
		return missing(p + ".type")
	case FormatPCM:
		if f.Rate != 0 && f.Rate != 24000 {
			return invalid(p+".rate", "%s.rate must be 24000", p)
		}
	case FormatPCMU, FormatPCMA:
	default:
		return invalid(p+".type", "%s.type %q is not audio/pcm, audio/pcmu or audio/pcma", p, clip(f.Type))
	}
	return nil
}

func validateItem(it *Item, p string) *Error {
	switch it.Type {
	case "":
		return missing(p + ".type")
	case ItemFunctionCall, ItemFunctionCallOutput:
		return nil
	case ItemMessage:
	default:
		return invalid(p+".type", "%s.type %q is not message, function_call or function_call_output", p, clip(it.Type))
	}
	var allowed []string
	switch it.Role {
	case "":
		return missing(p + ".role")
	case RoleUser:
		allowed = []string{PartInputText, PartInputAudio, PartInputImage}
	case RoleSystem:
		allowed = []string{PartInputText}
	case RoleAssistant:
		allowed = []string{PartOutputText, PartOutputAudio}
	default:
		return invalid(p+".role", "%s.role %q is not user, assistant or system", p, clip(it.Role))
	}
	for i := range it.Content {
		c := &it.Content[i]
		cp := fmt.Sprintf("%s.content[%d]", p, i)
		if c.Type == "" {
			return missing(cp + ".type")
		}
		if !oneOf(c.Type, allowed...) {
			return invalid(cp+".type", "%s.type %q is not allowed in a %s message", cp, clip(c.Type), it.Role)
		}
		switch c.Type {
		case PartInputText:
			if c.Text == "" {
				return missing(cp + ".text")
			}
		case PartInputImage:
			if c.ImageURL == "" {
				return missing(cp + ".image_url")
			}
			if c.Detail != "" && !oneOf(c.Detail, "auto", "low", "high") {
				return invalid(cp+".detail", "%s.detail must be auto, low or high", cp)
			}
		}
	}
	return nil
}

// normaliseBeta renames beta assistant content types to their GA names.
func normaliseBeta(ev Event) {
	fix := func(it *Item) {
		if it.Role != RoleAssistant {
			return
		}
		for i := range it.Content {
			switch it.Content[i].Type {
			case "audio":
				it.Content[i].Type = PartOutputAudio
			case "text":
				it.Content[i].Type = PartOutputText
			}
		}
	}
	switch ev := ev.(type) {
	case *ConversationItemAdded:
		fix(&ev.Item)
	case *ConversationItemDone:
		fix(&ev.Item)
	case *ConversationItemRetrieved:
		fix(&ev.Item)
	case *ResponseOutputItemAdded:
		fix(&ev.Item)
	case *ResponseOutputItemDone:
		fix(&ev.Item)
	case *ResponseCreated:
		for i := range ev.Response.Output {
			fix(&ev.Response.Output[i])
		}
	case *ResponseDone:
		for i := range ev.Response.Output {
			fix(&ev.Response.Output[i])
		}
	case *ResponseContentPartAdded:
		ev.Part.Type = betaPart(ev.Part.Type)
	case *ResponseContentPartDone:
		ev.Part.Type = betaPart(ev.Part.Type)
	}
}

func betaPart(t string) string {
	switch t {
	case "audio":
		return PartOutputAudio
	case "text":
		return PartOutputText
	}
	return t
}
