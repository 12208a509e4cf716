package dialogue

import (
	"time"

	"github.com/duplex-ai/duplex/pipeline"
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

// hint passes the partial's hint to a Hinter detector while the user
// speaks, every hintEvery frames (no allocation: the partial is the
// stream's own string).
func (e *engine) hint() {
	u := e.user
	if u == nil || u.stream == nil || u.ptt {
		return
	}
	h, ok := e.det.(Hinter)
	if !ok {
		return
	}
	if e.hintTick++; e.hintTick%hintEvery != 0 {
		return
	}
	h.SetHint(vad.ClassifyPartial(u.stream.Partial()))
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
