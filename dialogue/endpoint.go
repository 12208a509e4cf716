package dialogue

import (
	"time"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/vad"
)

// Hinter is a Detector whose end-of-turn wait takes what the user's words
// so far suggest (vad adaptive endpointing); VADDetector is one.
type Hinter interface {
	SetHint(vad.Hint)
}

// hintEvery is how often (in frames) the partial is read for the hint:
// the recogniser's partial changes at most every few frames.
const hintEvery = 5

// partialsOf returns the callback of the turn's newest stream, which is
// fed the turn's audio from its start and has replayed samples of it
// written at once (0: a live stream). Partials of a stream the turn no
// longer reads are dropped, and so are a replayed stream's until they
// cover the replayed audio: before that they read a prefix of the turn
// (a digit string's first syllables as "good"), and the hint of the whole
// turn so far holds.
func (u *userTurn) partialsOf(replayed int) func(stt.PartialSource, string, int) {
	u.partMu.Lock()
	u.partGen++
	gen := u.partGen
	u.partMu.Unlock()
	return func(src stt.PartialSource, text string, samples int) {
		u.notePartial(gen, replayed, src, text, samples)
	}
}

// notePartial is a stream's partial (on a recogniser's goroutine: the
// grammar and the general-LM passes push from their own): it keeps the
// hint of the newest partial of both (vad.CombinePartials) for the
// engine's next frame. The lock orders the two passes' stores.
func (u *userTurn) notePartial(gen, replayed int, src stt.PartialSource, text string, samples int) {
	u.partMu.Lock()
	defer u.partMu.Unlock()
	if gen != u.partGen || samples < replayed {
		return
	}
	if src == stt.PartialLM {
		u.partLM = text
	} else {
		u.partFirst = text
	}
	u.hint.Store(uint32(vad.CombinePartials(u.partFirst, u.partLM)) + 1)
}

// hint passes the partial's hint to a Hinter detector while the user
// speaks: a pushed partial on the first frame after it was decoded (one
// atomic swap per frame); from a stream that does not push, the polled
// partial every hintEvery frames.
func (e *engine) hint() {
	u := e.user
	if u == nil || u.stream == nil || u.ptt {
		return
	}
	h, ok := e.det.(Hinter)
	if !ok {
		return
	}
	if v := u.hint.Swap(0); v != 0 {
		h.SetHint(vad.Hint(v - 1))
		return
	}
	if u.async != nil && u.async.pushes.Load() {
		return
	}
	if e.hintTick++; e.hintTick%hintEvery != 0 {
		return
	}
	p := u.stream.Partial()
	if u.replayed {
		if p == "" {
			return // a new stream still catching up: the last hint holds
		}
		u.replayed = false
	}
	h.SetHint(vad.ClassifyPartial(p))
}

// splitEndpoint fills the endpoint split of m: the adaptive wait that
// ended the turn (0: fixed silence, nothing to split) against the fixed
// silence it replaces.
func splitEndpoint(m *pipeline.Metrics, wait, fixed time.Duration) {
	if wait == 0 {
		return
	}
	if fixed == 0 {
		fixed = vad.DefaultMinSilence
	}
	if wait < fixed {
		m.EndpointEarlyMS = m.EndpointMS
	} else {
		m.EndpointWaitedMS = m.EndpointMS
	}
}
