package dialogue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/tools"
	"github.com/duplex-ai/duplex/tts"
)

// Cascade is the brain that chains STT → LLM → chunker → TTS. It keeps no
// per-call state: the engine's memory is the conversation.
type Cascade struct {
	STT stt.Engine
	LLM llm.Engine
	TTS tts.Engine
	// TTSOptions are given to every synthesis (voice, language).
	TTSOptions tts.Options
	// LLMTimeout bounds the wait for the first token, TTSTimeout the wait
	// for one piece's first audio; MaxReplyChars caps a reply's text.
	LLMTimeout, TTSTimeout time.Duration
	MaxReplyChars          int
	// Chunker cuts the reply into the pieces synthesized one by one.
	Chunker tts.ChunkerOptions
	// Clock runs the timeouts; nil is the wall clock.
	Clock clock.Clock
	// Tools, when set, are offered to the LLM each turn and run through a
	// per-call tools.Runner (exactly once per call id); ToolOptions bound
	// them (timeout, result size; their Clock defaults to Clock).
	Tools       *tools.Registry
	ToolOptions tools.Options
	// Preamble is said when a tool takes longer than PreambleAfter;
	// defaults "Let me check." and 700 ms.
	Preamble      string
	PreambleAfter time.Duration
	// ConfirmTimeout is how long a question "Shall I run NAME?" (a tool
	// outside -tools-allow) waits for a yes; default 10 s.
	ConfirmTimeout time.Duration
}

var _ brain.Brain = (*Cascade)(nil)

// Engines implements brain.Brain.
func (c *Cascade) Engines() map[string]string {
	return map[string]string{"stt": c.STT.Name(), "llm": c.LLM.Name(), "tts": c.TTS.Name()}
}

// NewSession implements brain.Brain: the cascade itself serves the call,
// or, with tools, a session holding the call's tool runner.
func (c *Cascade) NewSession(ctx context.Context) (brain.Session, error) {
	if c.Tools == nil {
		return c, nil
	}
	o := c.ToolOptions
	if o.Clock == nil {
		o.Clock = c.Clock
	}
	return &toolSession{Cascade: c, runner: tools.NewRunner(context.WithoutCancel(ctx), c.Tools, o), used: map[int][]*tools.Call{}}, nil
}

// Hear implements brain.Session.
func (c *Cascade) Hear(ctx context.Context, opt stt.StreamOptions) (stt.Stream, error) {
	return c.STT.NewStream(ctx, opt)
}

// LivePartials implements stt.LivePartialer for the cascade's STT engine.
func (c *Cascade) LivePartials() bool { return hasLivePartials(c.STT) }

// Truncate implements brain.Session: the engine's memory is all there is.
func (c *Cascade) Truncate(int, time.Duration, string) {}

// Close implements brain.Session.
func (c *Cascade) Close() error { return nil }

// Speculative implements brain.Speculator: without tools a reply does
// nothing but produce text and audio.
func (c *Cascade) Speculative() bool { return c.Tools == nil }

func (c *Cascade) clock() clock.Clock {
	if c.Clock == nil {
		return clock.Real()
	}
	return c.Clock
}

// Respond implements brain.Session: the LLM reader feeds the chunker, the
// speaker synthesizes pieces in order and queues their audio. It returns
// when both are done.
func (c *Cascade) Respond(ctx context.Context, req brain.Request, out brain.Output) {
	c.respond(ctx, req, out, nil)
}

func (c *Cascade) respond(ctx context.Context, req brain.Request, out brain.Output, ts *toolSession) bool {
	pieces := make(chan string, 16)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(pieces)
		if req.Say != "" {
			out.Delta(req.Say)
			select {
			case pieces <- req.Say:
			case <-ctx.Done():
			}
			return
		}
		c.readLLM(ctx, req, out, pieces, ts)
	}()
	produced := c.speak(ctx, out, pieces)
	wg.Wait()
	return produced
}

func (c *Cascade) readLLM(rctx context.Context, req brain.Request, out brain.Output, pieces chan<- string, ts *toolSession) {
	lreq := req.LLM
	if req.Look != nil {
		lreq.Image, lreq.PreviousImage = req.Look(rctx)
	}
	if req.Frames != nil {
		lreq.Frames = req.Frames(rctx)
	}
	chunker := tts.NewChunker(c.Chunker)
	emit := func(ps []string) bool {
		for _, p := range ps {
			select {
			case pieces <- p:
			case <-rctx.Done():
				return false
			}
		}
		return true
	}
	say := func(s string) bool {
		out.Delta(s + " ")
		return emit([]string{s})
	}
	if ts != nil {
		// A call an earlier, interrupted reply started is still running:
		// its result belongs in this answer.
		if !ts.wait(rctx, ts.runner.Running(), say) {
			return
		}
		ts.prepare(req.TurnID, &lreq, c.clock().Now(), out)
		// This turn may answer "Shall I …?".
		msgs, ok := ts.confirmed(rctx, req, out, say, reporter(out))
		if !ok {
			return
		}
		lreq.History = append(lreq.History, msgs...)
	}
	st := &llmState{first: true}
	for round := 0; ; round++ {
		calls, text, ok := c.streamRound(rctx, lreq, out, chunker, emit, st)
		if !ok {
			return
		}
		if len(calls) == 0 || ts == nil || round >= maxToolRounds || st.capped {
			break
		}
		// Speak what came before the calls while they run.
		if !emit(chunker.Flush()) {
			return
		}
		msgs, ok := ts.run(rctx, req.TurnID, calls, text, out, say)
		if !ok {
			return
		}
		lreq.History = append(lreq.History, msgs...)
	}
	emit(chunker.Flush())
}

// maxLeadTrim bounds the leading quiet dropped from a reply's first piece.
const maxLeadTrim = 250 * time.Millisecond

// maxToolRounds bounds the LLM → tools → LLM loop of one reply.
const maxToolRounds = 4

// llmState is what the rounds of one reply share.
type llmState struct {
	total  int
	first  bool
	capped bool
}

// streamRound streams one LLM answer into the chunker and returns the
// tool calls it ended with and its text; false when it failed or the
// reply was cancelled.
func (c *Cascade) streamRound(rctx context.Context, lreq llm.Request, out brain.Output, chunker *tts.Chunker, emit func([]string) bool, st *llmState) ([]llm.ToolCall, string, bool) {
	ctx, cancel := context.WithCancel(rctx)
	defer cancel()
	clk := c.clock()
	timer := clk.AfterFunc(c.LLMTimeout, cancel)
	defer timer.Stop()
	fail := func(err error) {
		if rctx.Err() != nil {
			return // cancelled by the engine, not a failure
		}
		if !timer.Stop() && ctx.Err() != nil {
			err = fmt.Errorf("no reply within %v: %w", c.LLMTimeout, err)
		}
		out.Failed(brain.StageLLM, err)
	}
	stream, err := c.LLM.Stream(ctx, lreq)
	if err != nil {
		fail(err)
		return nil, "", false
	}
	defer stream.Close()
	var text strings.Builder
	for {
		d, err := stream.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail(err)
			return nil, "", false
		}
		timer.Stop()
		if st.first {
			st.first = false
			out.Mark(brain.FirstToken, clk.Now())
		}
		if st.total+len(d) > c.MaxReplyChars {
			d, st.capped = d[:max(0, c.MaxReplyChars-st.total)], true
		}
		st.total += len(d)
		if d != "" {
			text.WriteString(d)
			out.Delta(d)
			if !emit(chunker.Push(d)) {
				return nil, "", false
			}
		}
		if st.capped {
			break
		}
	}
	var calls []llm.ToolCall
	if ts, ok := stream.(llm.ToolCallStream); ok {
		calls = ts.ToolCalls()
	}
	return calls, text.String(), true
}

// speak synthesizes pieces in order, queueing audio as it comes, and
// reports each piece's place in the reply's audio.
func (c *Cascade) speak(ctx context.Context, out brain.Output, pieces <-chan string) bool {
	var pos time.Duration
	failed := false
	n := 0
	for piece := range pieces {
		if failed || ctx.Err() != nil {
			continue // drain so the reader never blocks
		}
		sp, err := c.speakPiece(ctx, out, n, piece, pos)
		n++
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, brain.ErrCancelled) {
				out.Failed(brain.StageTTS, err)
			}
			failed = true
			continue
		}
		pos = sp.End
	}
	if failed || ctx.Err() != nil {
		return false
	}
	out.Produced(pos > 0)
	return true
}

func (c *Cascade) speakPiece(rctx context.Context, out brain.Output, i int, text string, pos time.Duration) (brain.Piece, error) {
	sp := brain.Piece{Text: text, Start: pos, End: pos}
	ctx, cancel := context.WithCancel(rctx)
	defer cancel()
	clk := c.clock()
	timer := clk.AfterFunc(c.TTSTimeout, cancel)
	defer timer.Stop()
	if pos == 0 {
		out.Mark(brain.SpeechStart, clk.Now())
	}
	stream, err := c.TTS.Synthesize(ctx, text, c.TTSOptions)
	if err != nil {
		return sp, err
	}
	defer stream.Close()
	if pos == 0 {
		// The reply's leading quiet would only delay what the caller hears.
		stream = tts.TrimLead(stream, maxLeadTrim)
	}
	out.Spoken(i, sp)
	var samples int64
	first := true
	for {
		ch, err := stream.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !timer.Stop() && ctx.Err() != nil && rctx.Err() == nil {
				err = fmt.Errorf("no audio within %v: %w", c.TTSTimeout, err)
			}
			return sp, err
		}
		if first {
			timer.Stop()
			first = false
			if pos == 0 {
				out.Mark(brain.FirstAudio, clk.Now())
			}
		}
		if ch.SampleRate <= 0 {
			return sp, fmt.Errorf("tts chunk without a sample rate")
		}
		for _, m := range ch.Marks {
			sp.Marks = append(sp.Marks, brain.WordMark{TextOffset: m.TextOffset, At: pos + time.Duration(m.Sample)*time.Second/time.Duration(ch.SampleRate)})
		}
		if len(ch.PCM) == 0 {
			continue
		}
		samples += int64(len(ch.PCM))
		sp.End = pos + time.Duration(samples)*time.Second/time.Duration(ch.SampleRate)
		// Record where this audio sits before it can play.
		out.Spoken(i, brain.Piece{Text: sp.Text, Start: sp.Start, End: sp.End, Marks: append([]brain.WordMark(nil), sp.Marks...)})
		if err := out.Audio(ch.PCM, ch.SampleRate); err != nil {
			return sp, err
		}
	}
	return sp, nil
}
