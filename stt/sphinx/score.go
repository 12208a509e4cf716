package sphinx

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/stt"
)

// Scores are what every pass makes of one utterance: the material the
// rejection margin is calibrated on (cmd/stt-eval). Scores per frame are
// per 10 ms frame, log base 1.0001 as pocketsphinx reports them.
type Scores struct {
	Frames int
	// Grammar is the skills grammar's hypothesis; GrammarPath its path
	// score per frame, GrammarAcoustic the acoustic share of it.
	Grammar         string
	GrammarPath     float64
	GrammarAcoustic float64
	// GrammarSpan is the frames the grammar result's words take.
	GrammarSpan int
	// PhoneAcoustic is the phone loop's acoustic score per frame: how well
	// the best free sequence of phones fits the audio.
	PhoneAcoustic float64
	// PhonePath is the phone loop's path score per frame; GrammarPhones
	// and LoopPhones the phones in the grammar's and the loop's results.
	PhonePath                 float64
	GrammarPhones, LoopPhones int
	// LM is the general n-gram model's hypothesis, LMProb its posterior,
	// LMAcoustic its acoustic score per frame.
	LM         string
	LMProb     float64
	LMAcoustic float64
	// Decode time of each pass.
	GrammarTime, PhoneTime, LMTime time.Duration
}

// Score decodes pcm (16 kHz mono, a whole utterance) with the grammar, the
// phone loop and the general model, each in one call with batch CMN, as a
// stream's final passes do on a call's first utterance (the loop as the
// live loop feeds it, with Options.LiveLoopAlways).
func (e *Engine) Score(ctx context.Context, pcm []int16, withLM bool) (Scores, error) {
	return e.ScoreCall(ctx, pcm, withLM, nil)
}

// ScoreCall is Score for an utterance of the call adapt (nil: a call's
// first): its passes start from the call's mean, as a stream's do. It does
// not change adapt.
func (e *Engine) ScoreCall(ctx context.Context, pcm []int16, withLM bool, adapt *stt.Adaptation) (Scores, error) {
	d, err := e.pool.acquire(ctx)
	if err != nil {
		return Scores{}, err
	}
	broken := false
	defer func() { e.pool.release(d, broken) }()
	s := &stream{ctx: ctx, dec: d, rng: rand.NewPCG(1, 2)}
	if call := loadCall(adapt); len(call.cmn) == len(d.cmnInit) {
		s.cmn, s.noise = call.cmn, call.noise
	}
	s.buf = append([]int16(nil), pcm...)
	s.dither(s.buf)
	s.scanLoudness()
	var sc Scores
	pass := func(search string, audio []int16) (string, int32, time.Duration, error) {
		t0 := time.Now()
		if err := s.fullPass(ctx, search, audio); err != nil {
			broken = true
			return "", 0, 0, err
		}
		hyp, path := d.hyp()
		return strings.Join(cleanWords(hyp), " "), path, time.Since(t0), nil
	}
	if d.hasGrammar {
		hyp, path, took, err := pass(searchGrammar, s.grammarAudio())
		if err != nil {
			return sc, err
		}
		sc.Frames = d.frames()
		sc.Grammar, sc.GrammarTime = hyp, took
		sc.GrammarPath = perFrame(path, sc.Frames)
		sc.GrammarAcoustic = perFrame(d.acoustic(), sc.Frames)
		sc.GrammarSpan = d.wordSpan()
	}
	if d.hasPhones {
		loop := pass
		if e.opt.LiveLoop.liveLoop(s.cmn != nil) || s.cmn != nil && e.opt.freeOnLater() {
			// As a stream's check runs it (loopPass).
			loop = func(_ string, audio []int16) (string, int32, time.Duration, error) {
				t0 := time.Now()
				m, err := fedLoop(d, audio, s.cmn, s.noise)
				if err != nil {
					broken = true
					return "", 0, 0, err
				}
				return strings.Join(cleanWords(m.hyp), " "), m.path, time.Since(t0), nil
			}
		}
		hyp, path, took, err := loop(searchPhones, s.grammarAudio())
		if err != nil {
			return sc, err
		}
		sc.PhoneTime = took
		sc.PhonePath = perFrame(path, d.frames())
		sc.LoopPhones = len(strings.Fields(hyp))
		sc.GrammarPhones = d.phoneCount(strings.Fields(sc.Grammar))
		sc.PhoneAcoustic = perFrame(d.acoustic(), d.frames())
	}
	if !withLM {
		return sc, nil
	}
	hyp, _, took, err := pass(searchLM, s.utterance())
	if err != nil {
		return sc, err
	}
	sc.LM, sc.LMTime, sc.LMProb = hyp, took, d.prob()
	sc.LMAcoustic = perFrame(d.acoustic(), d.frames())
	if sc.Frames == 0 {
		sc.Frames = d.frames()
	}
	return sc, nil
}

func perFrame(score int32, frames int) float64 {
	if frames <= 0 {
		return 0
	}
	return float64(score) / float64(frames)
}

// PhoneRatio is the grammar result's phones over the loop's, slack added
// to both (see Options.PhoneSlack); 0 when the loop found none.
func (sc Scores) PhoneRatio(slack float64) float64 {
	return phoneRatio(sc.GrammarPhones, sc.LoopPhones, slack)
}

func phoneRatio(grammar, loop int, slack float64) float64 {
	if loop <= 0 {
		return 0
	}
	return (float64(grammar) + slack) / (float64(loop) + slack)
}
