package eval

import (
	"sort"
	"time"

	"github.com/duplex-ai/duplex/vad"
)

// UttPartials are a live recogniser's partials over one utterance's audio
// window (samples counted from the window's first): the skills-grammar
// pass's and the general-LM pass's, each at the sample it reaches the
// server at.
type UttPartials struct {
	Grammar, LM []TimedPartial
}

// UttPartialSource decodes utterance utt's window pcm (Rate, noise
// included, from PartialLead before its onset to at most PartialTail after
// its end) as one recogniser stream fed in media time.
type UttPartialSource func(utt int, pcm []int16) (UttPartials, error)

// The recogniser window around an utterance: the server's stream starts
// with the detector's pre-roll, and a turn's end is decided within the
// adaptive ceiling (vad.DefaultEndpointCeiling) after its last speech.
const (
	PartialLead = 300 * time.Millisecond
	PartialTail = vad.DefaultEndpointCeiling + 300*time.Millisecond
)

// PartialWindow is the span [from, to) of pcm (samples) that utterance i of
// c is decoded over: never into the next utterance's lead.
func (c *Corpus) PartialWindow(i, n int) (from, to int) {
	u := c.Utts[i]
	from = max(0, samplesOf(u.Start-PartialLead))
	to = min(n, samplesOf(u.End+PartialTail))
	if i+1 < len(c.Utts) {
		to = min(to, samplesOf(c.Utts[i+1].Start-PartialLead))
	}
	return from, max(from, to)
}

// EvaluatePartials is Evaluate with the adaptive end of turn
// (topt.Endpointing) hearing a live recogniser: each utterance's window is
// decoded by src, and from the window's start the detector's hint is
// vad.CombinePartials of the newest grammar and LM partial, set when
// either changes, one frame after the audio it covers (as the engine reads
// it on its next frame). One stream per utterance, as the server's per
// turn; a turn split inside an utterance keeps that stream here (the
// server would start another), so the recogniser has its whole context.
func EvaluatePartials(c *Corpus, pcm []int16, mk NewClassifier, topt vad.TurnOptions, src UttPartialSource) (Result, error) {
	return EvaluatePartialsCombine(c, pcm, mk, topt, src, nil)
}

// EvaluatePartialsCombine is EvaluatePartials with combine (nil:
// vad.CombinePartials) reading the hint from the two partials: a variant
// of the rule, for comparing it.
func EvaluatePartialsCombine(c *Corpus, pcm []int16, mk NewClassifier, topt vad.TurnOptions, src UttPartialSource,
	combine func(grammar, lm string) vad.Hint) (Result, error) {
	hook, _, err := partialsHook(c, pcm, src, combine)
	if err != nil {
		return Result{}, err
	}
	_, speech, turns, err := runDetectorHook(pcm, mk, topt, hook)
	if err != nil {
		return Result{}, err
	}
	return score(c, speech, turns, topt), nil
}

// heard is what the hook of partialsHook last told the detector.
type heard struct{ grammar, lm string }

// partialsHook decodes every utterance's window of pcm with src and
// returns the detector hook that sets the hint from the newest partials
// (EvaluatePartials) by combine, with the texts it last set.
func partialsHook(c *Corpus, pcm []int16, src UttPartialSource, combine func(grammar, lm string) vad.Hint) (func(f int, d *vad.Detector), *heard, error) {
	if combine == nil {
		combine = vad.CombinePartials
	}
	type event struct {
		at    int // sample the partial reaches the detector
		reset bool
		text  string
		lm    bool
	}
	var evs []event
	for i := range c.Utts {
		from, to := c.PartialWindow(i, len(pcm))
		p, err := src(i, pcm[from:to])
		if err != nil {
			return nil, nil, err
		}
		start := len(evs)
		evs = append(evs, event{at: from, reset: true})
		for _, g := range p.Grammar {
			evs = append(evs, event{at: from + g.Samples + FrameLen, text: g.Text})
		}
		for _, l := range p.LM {
			evs = append(evs, event{at: from + l.Samples + FrameLen, text: l.Text, lm: true})
		}
		// The two passes in arrival order; on a tie the grammar's first.
		u := evs[start:]
		sort.SliceStable(u, func(a, b int) bool { return u[a].at < u[b].at })
	}
	next := 0
	h := &heard{}
	hook := func(f int, d *vad.Detector) {
		changed := false
		for next < len(evs) && f*FrameLen >= evs[next].at {
			e := evs[next]
			switch {
			case e.reset:
				changed = changed || h.grammar != "" || h.lm != ""
				h.grammar, h.lm = "", ""
			case e.lm:
				h.lm, changed = e.text, true
			default:
				h.grammar, changed = e.text, true
			}
			next++
		}
		if changed {
			d.SetHint(combine(h.grammar, h.lm))
		}
	}
	return hook, h, nil
}
