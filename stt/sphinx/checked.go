package sphinx

import (
	"context"
	"strings"

	"github.com/duplex-ai/duplex/stt"
)

// A final's grammar result is checked against a phone loop over the same
// audio (check). The two passes do not depend on each other: with a spare
// decoder free, the grammar pass runs on it while the stream's decoder
// runs the loop, so the final costs the longer of the two (the loop, ~3x
// the grammar's) rather than their sum. The loop stays on the stream's
// decoder because it is the pass that depends on what the decoder heard
// before (pocketsphinx keeps the noise level across utterances): there it
// follows the live pass over the same audio, as it followed the grammar's
// final pass before; the spare decoder first hears the utterance's tail
// (grammarAside). Its result is kept for the utterance, so a second
// grammar pass over the same audio (noDigitsPass) reuses it. With
// Options.LiveLoop the spare decoder runs the loop instead, fed during the
// turn (loopfeed.go), and the grammar pass runs on the stream's decoder.

// gramResult is a grammar pass's result.
type gramResult struct {
	words  []string
	score  int32
	frames int
	span   int // frames the words take (wordSpan)
}

// loopMemo is the phone loop over grammarAudio() of n samples.
type loopMemo struct {
	n      int
	hyp    string
	path   int32
	frames int
}

// checkedPass decodes the utterance with the grammar search and checks
// the result (see Options.MinMargin). Under decMu.
func (s *stream) checkedPass(ctx context.Context, search string) ([]string, float64, verdict, error) {
	o := s.eng.opt
	audio := s.grammarAudio()
	if o.NoRejection || !s.dec.hasPhones {
		if err := s.fullPass(ctx, search, audio); err != nil {
			return nil, 0, verdict{}, err
		}
		g := gramOf(s.dec)
		conf := grammarConfidence(g.score, g.frames)
		return g.words, conf, verdict{accept: len(g.words) > 0 && g.frames > 0 && conf >= o.MinGrammarConfidence}, nil
	}
	var (
		g    gramResult
		loop *loopMemo
	)
	if m := s.loop; m != nil && m.n == len(audio) {
		loop = m
	}
	live := false
	if loop == nil && s.lf != nil {
		// The loop was fed while the audio arrived: its tail is left, on
		// its own decoder, while the grammar runs on the stream's.
		s.lf.request(audio)
		live = true
	}
	var spare *decoder
	if loop == nil && !live {
		spare, _, _ = s.eng.asidePool.tryAcquire() // none free (or an error): one after the other
	}
	if live {
		if err := s.fullPass(ctx, search, audio); err != nil {
			return nil, 0, verdict{}, err
		}
		g = gramOf(s.dec)
		s.mark("grammar end")
		m, ok, err := s.lf.wait(ctx, len(audio))
		if err != nil {
			return nil, 0, verdict{}, err
		}
		if loop = m; ok {
			s.loopsFed.Add(1)
		} else {
			if loop, err = s.loopPass(ctx, audio); err != nil {
				return nil, 0, verdict{}, err
			}
		}
		s.mark("loop end")
	} else if spare != nil {
		s.passesAside.Add(1)
		done := make(chan error, 1)
		cmn := s.cmn
		go func() {
			var err error
			g, err = grammarAside(spare, search, audio, cmn)
			s.mark("grammar aside end")
			s.eng.asidePool.release(spare, err != nil)
			done <- err
		}()
		var lerr error
		loop, lerr = s.loopPass(ctx, audio)
		s.mark("loop end")
		if gerr := <-done; gerr != nil {
			return nil, 0, verdict{}, gerr
		}
		if lerr != nil {
			return nil, 0, verdict{}, lerr
		}
	} else {
		if err := s.fullPass(ctx, search, audio); err != nil {
			return nil, 0, verdict{}, err
		}
		g = gramOf(s.dec)
		s.mark("grammar end")
		if len(g.words) == 0 {
			return nil, 0, verdict{}, nil
		}
		if loop == nil {
			var err error
			if loop, err = s.loopPass(ctx, audio); err != nil {
				return nil, 0, verdict{}, err
			}
			s.mark("loop end")
		}
	}
	s.loop = loop
	v := verdict{span: g.span}
	if len(g.words) > 0 && g.frames > 0 {
		v.margin = perFrame(g.score, g.frames) - perFrame(loop.path, loop.frames)
		if n := len(strings.Fields(loop.hyp)); n > 0 {
			v.ratio = phoneRatio(s.dec.phoneCount(g.words), n, o.PhoneSlack)
		}
		v.accept = v.margin >= o.MinMargin && v.ratio >= o.MinPhoneRatio && v.ratio <= o.MaxPhoneRatio
	}
	return g.words, grammarConfidence(g.score, g.frames), v, nil
}

// loopPass runs the phone loop over audio on the stream's decoder.
func (s *stream) loopPass(ctx context.Context, audio []int16) (*loopMemo, error) {
	if err := s.fullPass(ctx, searchPhones, audio); err != nil {
		return nil, err
	}
	hyp, path := s.dec.hyp()
	return &loopMemo{n: len(audio), hyp: hyp, path: path, frames: s.dec.frames()}, nil
}

// gramOf is the ended grammar pass's result on d.
func gramOf(d *decoder) gramResult {
	hyp, score := d.hyp()
	return gramResult{words: cleanWords(hyp), score: score, frames: d.frames(), span: d.wordSpan()}
}

// grammarOn decodes audio with search on d, as fullPass does on the
// stream's decoder.
func grammarOn(d *decoder, search string, audio []int16, cmn []float32) (gramResult, error) {
	if err := d.start(search); err != nil {
		return gramResult{}, err
	}
	if err := d.processFull(audio, cmn); err != nil {
		return gramResult{}, err
	}
	if err := d.end(); err != nil {
		return gramResult{}, err
	}
	return gramOf(d), nil
}

// primeSamples: the tail of the utterance a spare decoder hears before its
// grammar pass, so that the noise level pocketsphinx carries across
// utterances is this utterance's, not another call's.
const primeSamples = stt.SampleRate / 2

// grammarAside is grammarOn on a spare decoder, primed with the tail of
// the audio first.
func grammarAside(d *decoder, search string, audio []int16, cmn []float32) (gramResult, error) {
	tail := audio[max(0, len(audio)-primeSamples):]
	if _, err := grammarOn(d, search, tail, cmn); err != nil {
		return gramResult{}, err
	}
	return grammarOn(d, search, audio, cmn)
}

// newAsideDecoder is a decoder for asidePool. A new decoder's first pass
// scores differently from its later ones, so it decodes a fifth of a
// second of quiet noise first.
func newAsideDecoder(o Options) (*decoder, error) {
	d, err := newDecoder(o)
	if err != nil {
		return nil, err
	}
	noise := make([]int16, stt.SampleRate/5)
	for i := range noise {
		noise[i] = int16(i*7919%61) - 30
	}
	if _, err := grammarOn(d, searchGrammar, noise, nil); err != nil {
		d.free()
		return nil, err
	}
	return d, nil
}
