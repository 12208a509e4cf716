// Package codec is Pipecat's RTVI 2.x on the SmallWebRTC "chat" data
// channel as a pipeline.Protocol: the pipeline's events become RTVI
// server messages (docs/protocol-rtvi.md), and client messages commands.
package codec

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/rtvi"
)

// Label is the data channel label of the SmallWebRTC transport.
const Label = "chat"

// Codec is one call's RTVI protocol. Encode and Decode run on different
// goroutines; mu guards what they share.
type Codec struct {
	now func() time.Time

	mu sync.Mutex
	// What the client has been told is happening.
	userSpeaking, botSpeaking bool
	// llm: bot-llm-started sent for the reply in progress; tts likewise.
	llm, tts bool
	segment  int
	// pending is reply text not yet sent as a sentence (bot-output).
	pending string
	// started: tool call ids shown running (tools.go).
	started map[string]bool
}

var _ pipeline.Protocol = (*Codec)(nil)

// New returns an RTVI codec; now stamps user-transcription (nil: time.Now).
func New(now func() time.Time) *Codec {
	if now == nil {
		now = time.Now
	}
	return &Codec{now: now}
}

// NewProtocol is New(nil) as a session protocol constructor.
func NewProtocol() pipeline.Protocol { return New(nil) }

// Name implements pipeline.Protocol.
func (*Codec) Name() string { return Label }

// msg is one server message to encode.
type msg struct {
	typ, id string
	data    any
}

// Encode implements pipeline.Protocol.
func (c *Codec) Encode(ev pipeline.Event) ([][]byte, error) {
	if r, ok := ev.(pipeline.Reply); ok {
		b, _ := r.Payload.([][]byte)
		return b, nil
	}
	c.mu.Lock()
	ms := c.encode(ev)
	c.mu.Unlock()
	out := make([][]byte, 0, len(ms))
	for _, m := range ms {
		b, err := rtvi.Encode(m.typ, m.id, m.data)
		if err != nil {
			return out, fmt.Errorf("rtvi codec: %s: %w", m.typ, err)
		}
		out = append(out, b)
	}
	return out, nil
}

func (c *Codec) encode(ev pipeline.Event) []msg {
	switch ev := ev.(type) {
	case pipeline.StateChanged:
		return c.state(ev.State)
	case pipeline.TranscriptPartial:
		return []msg{{typ: rtvi.TypeUserTranscription, data: c.transcript(ev.Text, false)}}
	case pipeline.TranscriptFinal:
		out := []msg{{typ: rtvi.TypeUserTranscription, data: c.transcript(ev.Text, true)}}
		return append(out, c.stopReply()...) // a typed turn can cut the last reply
	case pipeline.ReplyDelta:
		var out []msg
		if !c.llm {
			c.llm = true
			out = append(out, msg{typ: rtvi.TypeBotLLMStarted})
		}
		if !c.tts {
			c.tts = true
			out = append(out, msg{typ: rtvi.TypeBotTTSStarted})
		}
		out = append(out, msg{typ: rtvi.TypeBotLLMText, data: rtvi.TextData{Text: ev.Text}})
		c.pending += ev.Text
		if t := strings.TrimSpace(c.pending); t != "" && strings.ContainsAny(t[len(t)-1:], ".!?") {
			out = append(out, c.sentence()...)
		}
		return out
	case pipeline.ReplyDone:
		return append(c.sentence(), c.stopReply()...)
	case pipeline.ReplyInterrupted:
		c.pending = "" // never spoken
		out := c.stopReply()
		if c.botSpeaking {
			c.botSpeaking = false
			out = append(out, msg{typ: rtvi.TypeBotStoppedSpeaking})
		}
		return out
	case pipeline.TurnMetrics:
		m := ev.Metrics
		return []msg{{typ: rtvi.TypeMetrics, data: rtvi.MetricsData{
			TTFB: []rtvi.MetricValue{
				{Processor: "stt", Value: m.STTMS / 1000},
				{Processor: "llm", Value: m.LLMFirstTokenMS / 1000},
				{Processor: "tts", Value: m.TTSFirstAudioMS / 1000},
			},
			Processing: []rtvi.MetricValue{
				{Processor: "endpoint", Value: m.EndpointMS / 1000},
				{Processor: "turn", Value: m.LatencyMS / 1000},
			},
		}}}
	case pipeline.Error:
		return []msg{{typ: rtvi.TypeError, data: rtvi.ErrorData{Error: string(ev.Code) + ": " + ev.Message}}}
	case pipeline.ToolStarted:
		return c.toolStarted(ev)
	case pipeline.ToolDone:
		return c.toolDone(ev)
	case pipeline.Ending:
		return []msg{{typ: rtvi.TypeServerMessage, data: map[string]any{"type": "session-ending", "reason": ev.Reason}}}
	}
	return nil
}

func (c *Codec) transcript(text string, final bool) rtvi.TranscriptData {
	return rtvi.TranscriptData{Text: text, Final: final, Timestamp: c.now().UTC().Format(time.RFC3339Nano), UserID: "user"}
}

// sentence sends the pending reply text as one bot-tts-text and bot-output
// segment (RTVI 2.x: spoken_status "new" with the full sentence).
func (c *Codec) sentence() []msg {
	t := strings.TrimSpace(c.pending)
	c.pending = ""
	if t == "" {
		return nil
	}
	c.segment++
	seg, spoken := c.segment, true
	return []msg{
		{typ: rtvi.TypeBotTTSText, data: rtvi.TextData{Text: t}},
		{typ: rtvi.TypeBotOutput, data: rtvi.BotOutputData{Text: t, AggregatedBy: "sentence",
			SegmentID: &seg, WillBeSpoken: &spoken, SpokenStatus: rtvi.SpokenNew}},
	}
}

// stopReply closes the reply's LLM and TTS brackets.
func (c *Codec) stopReply() []msg {
	var out []msg
	if c.llm {
		c.llm = false
		out = append(out, msg{typ: rtvi.TypeBotLLMStopped})
	}
	if c.tts {
		c.tts = false
		out = append(out, msg{typ: rtvi.TypeBotTTSStopped})
	}
	return out
}

// state turns the assistant's state into the speaking brackets. Speech
// over the bot pauses its audio: user-started-speaking then
// bot-stopped-speaking, as Pipecat reports an interruption.
func (c *Codec) state(s pipeline.State) []msg {
	var out []msg
	if s == pipeline.StateUserSpeaking && !c.userSpeaking {
		c.userSpeaking = true
		out = append(out, msg{typ: rtvi.TypeUserStartedSpeaking})
	}
	if s != pipeline.StateUserSpeaking && c.userSpeaking {
		c.userSpeaking = false
		out = append(out, msg{typ: rtvi.TypeUserStoppedSpeaking})
	}
	if s == pipeline.StateSpeaking && !c.botSpeaking {
		c.botSpeaking = true
		out = append(out, msg{typ: rtvi.TypeBotStartedSpeaking})
	}
	if s != pipeline.StateSpeaking && c.botSpeaking {
		c.botSpeaking = false
		out = append(out, msg{typ: rtvi.TypeBotStoppedSpeaking})
	}
	return out
}

// reply is a command the codec answers itself (nil: ignored).
func reply(b ...[]byte) pipeline.Command {
	if len(b) == 0 {
		return pipeline.Command{Kind: pipeline.CmdReply}
	}
	return pipeline.Command{Kind: pipeline.CmdReply, Reply: b}
}

func errorResponse(id, text string) []byte {
	return (&rtvi.Error{ID: id, Message: text}).Reply()
}

// Decode implements pipeline.Protocol. Pings and the transport's track
// status are ignored; every bad or unsupported message gets error-response
// (or error, without an id) and the call goes on.
func (c *Codec) Decode(m []byte, text bool) (pipeline.Command, error) {
	if !text {
		return reply(errorResponse("", "binary messages are not supported; send RTVI JSON")), nil
	}
	in, err := rtvi.Parse(m)
	if err != nil {
		if e, ok := err.(*rtvi.Error); ok {
			return reply(e.Reply()), nil
		}
		return reply(errorResponse("", err.Error())), nil
	}
	switch in := in.(type) {
	case *rtvi.Ping, *rtvi.Signalling:
		return reply(), nil
	case *rtvi.ClientReady:
		b, err := rtvi.Encode(rtvi.TypeBotReady, in.ID, rtvi.ReadyData{Version: rtvi.ProtocolVersion, About: &rtvi.About{Library: "duplex"}})
		if err != nil {
			return reply(errorResponse(in.ID, err.Error())), nil
		}
		return reply(b), nil
	case *rtvi.SendText:
		cmd := pipeline.Command{Kind: pipeline.CmdInputText, Text: in.Data.Content}
		if o := in.Data.Options; o != nil && o.AudioResponse != nil && !*o.AudioResponse {
			cmd.Reply = [][]byte{errorResponse(in.ID, "audio_response false is not supported: Duplex always speaks its reply")}
		}
		return cmd, nil
	case *rtvi.ClientMsg:
		return reply(errorResponse(in.ID, fmt.Sprintf("client-message %q: Duplex has no handler for app messages", in.Data.T))), nil
	case *rtvi.DisconnectBot:
		return pipeline.Command{Kind: pipeline.CmdHangup}, nil
	case *rtvi.DTMF:
		return reply(errorResponse(in.ID, "dtmf is not supported")), nil
	}
	return reply(errorResponse("", "unsupported message")), nil
}
