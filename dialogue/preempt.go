package dialogue

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/stt"
)

// Preemptive replies: once the user's pause reaches PreemptAt of the wait
// that would end the turn, the engine finishes recognition and starts the
// reply (LLM and the first TTS audio) while the turn is still open, with
// the reply's audio held in its gate. When the turn commits the held audio
// is queued at once; when the user goes on the speculation is dropped
// without an event or a history entry, and the turn's audio so far is
// replayed into a new recognition stream.

// Tentative is a Detector that tells when an open turn is probably over
// (vad.Detector.Tentative): silence of frac of the wait that would end it.
type Tentative interface {
	Tentative(frac float64) bool
}

// DefaultPreemptAt is the default Options.PreemptAt.
const DefaultPreemptAt = 0.6

// speculation is one preemptive reply under way for an open user turn;
// engine goroutine only.
type speculation struct {
	turn      *userTurn
	started   time.Time
	cancelSTT context.CancelFunc
	// committed: the turn ended before the transcript came; the
	// transcript then takes the ordinary path.
	committed bool

	sttDone bool
	res     stt.Result
	sttErr  error
	sttAt   time.Time

	reply  *reply   // nil until the transcript came
	deltas []string // the reply's text, shown only at the commit
	failed bool     // the reply failed: redone at the commit
	msgAt  time.Time
}

// preempt starts a speculation when the turn turns tentative and drops it
// when the user goes on; after every frame.
func (e *engine) preempt() {
	if s := e.spec; s != nil {
		if !s.committed && s.turn == e.user && !e.tentative() {
			e.discardSpec()
		}
		return
	}
	u := e.user
	if u == nil || !u.keep || u.ptt || (e.reply != nil && !unheard(e.reply)) || e.finishing != nil ||
		e.eyes.video() != nil || !e.tentative() {
		return
	}
	e.startSpec(u)
}

// unheard: r has not played a frame. A turn spoken over such a reply (the
// rest of a question whose first part ended a turn) may speculate: the
// commit cuts r, which leaves nothing in history.
func unheard(r *reply) bool { return r.firstAudio.IsZero() }

func (e *engine) tentative() bool {
	t, ok := e.det.(Tentative)
	return ok && t.Tentative(e.o.PreemptAt)
}

// startSpec finishes u's recognition off the engine goroutine; the reply
// starts when the transcript comes (onSpecTranscript).
func (e *engine) startSpec(u *userTurn) {
	s := &speculation{turn: u, started: e.clk.Now()}
	e.spec = s
	stream := u.stream
	ctx, cancel := context.WithCancel(e.ctx)
	s.cancelSTT = cancel
	timer := e.clk.AfterFunc(e.o.STTTimeout, cancel)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer cancel()
		res, err := stream.Finish(ctx)
		timedOut := !timer.Stop() && ctx.Err() != nil && e.ctx.Err() == nil
		_ = stream.Close()
		if err != nil && timedOut {
			err = fmt.Errorf("no transcript within %v: %w", e.o.STTTimeout, err)
		}
		select {
		case e.sttCh <- sttResult{turn: u, spec: s, res: res, err: err, at: e.clk.Now()}:
		case <-e.ctx.Done():
		}
	}()
}

// onSpecTranscript: the speculation's transcript. Before the commit a
// reply starts, held; after it the transcript takes the ordinary path.
func (e *engine) onSpecTranscript(r sttResult) {
	s := r.spec
	if s != e.spec {
		return // dropped: the user went on
	}
	s.sttDone, s.res, s.sttErr, s.sttAt = true, r.res, r.err, r.at
	if s.committed {
		e.spec = nil
		e.onTranscript(sttResult{turn: s.turn, res: r.res, err: r.err, at: r.at})
		return
	}
	text := strings.TrimSpace(r.res.Text)
	if r.err != nil || text == "" {
		return // decided at the commit
	}
	if u := s.turn; u.over != nil && u.over == e.reply && isBackchannel(text) && !e.o.NoResume {
		return // the reply it was said over may resume: decided at the commit
	}
	now := e.clk.Now()
	s.msgAt = now
	msg := llm.Message{Role: llm.RoleUser, Text: text, At: now, NotUnderstood: r.res.NotUnderstood, Confidence: r.res.Confidence}
	h := e.hist // trimmed on a copy: the memory itself is left as it is
	h.trim(now)
	req := llm.Request{System: e.system, History: append(h.snapshot(), msg), Now: now, Language: e.o.Language}
	rp := e.newReply(e.turnID+1, false, time.Time{}, true)
	rp.specAt = now
	s.reply = rp
	e.launch(rp, brain.Request{TurnID: rp.turnID, LLM: req})
}

// onSpecReply keeps what a held reply reports until the commit.
func (e *engine) onSpecReply(s *speculation, m replyMsg) {
	r := s.reply
	switch m.kind {
	case msgDelta:
		r.text.WriteString(m.text)
		s.deltas = append(s.deltas, m.text)
	case msgError:
		// Nothing was said or shown: the commit starts the reply again.
		e.log.Debug().Str("stage", string(m.stage)).Err(m.err).Msg("preemptive reply failed")
		s.failed = true
		r.cancel()
		r.gate.close()
	case msgProduced:
		r.produced, r.audio = true, m.audio
	}
}

// commitSpec ends the user's turn with its speculation: the held reply is
// released (its first audio goes out with the next frame), or, when the
// transcript has not come yet, it finishes the ordinary way.
func (e *engine) commitSpec(s *speculation) {
	u := s.turn
	e.user = nil
	u.endWall = e.clk.Now()
	u.speculated = true
	e.eyes.speaking(false)
	e.setState(pipeline.StateThinking)
	switch {
	case !s.sttDone:
		s.committed = true
		e.finishing = u
		return
	case s.reply == nil || s.failed:
		// No transcript, a failed one, or a failed reply: the ordinary path
		// (listening, an apology, or the reply made again).
		e.spec = nil
		e.onTranscript(sttResult{turn: u, res: s.res, err: s.sttErr, at: s.sttAt})
		return
	}
	if o := e.reply; o != nil {
		if !unheard(o) {
			// The reply it was said over was heard: the speculation was
			// made without it, so the turn takes the ordinary path.
			s.reply.cancel()
			s.reply.gate.close()
			e.spec = nil
			e.onTranscript(sttResult{turn: u, res: s.res, at: s.sttAt})
			return
		}
		e.interrupt("interrupted") // as newTurn does
	}
	e.spec = nil
	r := s.reply
	e.turnID++ // == r.turnID: nothing else took a turn while s was open
	now := e.clk.Now()
	text := strings.TrimSpace(s.res.Text)
	understood := !s.res.NotUnderstood
	e.emit(pipeline.TranscriptFinal{TurnID: e.turnID, Text: text, Understood: &understood})
	e.hist.add(llm.Message{Role: llm.RoleUser, Text: text, At: now, NotUnderstood: s.res.NotUnderstood, Confidence: s.res.Confidence})
	m := &pipeline.Metrics{
		EndpointMS:            u.endMS,
		SpeechDurationMS:      ms(u.speech),
		Speculative:           true,
		DiscardedSpeculations: u.discarded,
	}
	splitEndpoint(m, u.endWait, e.o.FixedSilence)
	e.metrics = m
	r.started = u.endWall
	e.reply = r
	for _, d := range s.deltas {
		e.emit(pipeline.ReplyDelta{TurnID: r.turnID, Text: d})
	}
	if err := r.gate.release(r.uttID); err != nil {
		e.log.Warn().Err(err).Msg("preemptive reply audio")
	}
	if e.o.Metrics != nil {
		e.o.Metrics.Turns.Inc()
	}
	if r.produced && (!r.audio || r.playedDone) {
		e.finishReply(r)
	}
}

// dropSpec cancels an open speculation: its recognition and its reply,
// whose audio never left the gate and whose text was never shown.
func (e *engine) dropSpec() *speculation {
	s := e.spec
	if s == nil {
		return nil
	}
	e.spec = nil
	s.cancelSTT()
	if r := s.reply; r != nil {
		r.cancel()
		r.gate.close()
	}
	return s
}

// discardSpec drops the speculation of a turn that goes on and gives the
// turn a new recognition stream holding its audio so far.
func (e *engine) discardSpec() {
	if s := e.spec; s == nil || s.committed {
		return
	}
	s := e.dropSpec()
	u := s.turn
	u.discarded++
	if u != e.user {
		return
	}
	u.async = openAsync(e.ctx, e.brain.Hear, stt.StreamOptions{Language: e.o.Language, Adaptation: &e.adapt}, &e.wg, u.partialsOf(len(u.audio)))
	u.stream = u.async
	u.replayed = true
	if err := u.stream.Write(u.audio); err != nil {
		e.log.Debug().Err(err).Msg("stt replay")
	}
}
