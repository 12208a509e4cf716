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
// the grammar's) rather than their sum. pocketsphinx carries the noise
// level across utterances, so the loop stays on the stream's decoder,
// after the live pass over the same audio, and the spare decoder first
// hears the utterance's tail (grammarAside); on a call's later utterances
// (unless Options.CarryHistory), and on every one with Options.HistoryFree,
// each pass starts from a noise level and a mean set from the audio and
// the call instead (decoder.startCall, primeFor). Its result is kept for
// the utterance, so a second grammar pass over the same audio
// (noDigitsPass) reuses it. With
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
		s.gramMean = s.dec.cmnMean()
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
		s.gramMean = s.dec.cmnMean()
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
		cmn, noise := s.cmn, s.noise
		var mean []float32
		go func() {
			var err error
			g, err = grammarAside(spare, search, audio, cmn, noise)
			if err == nil {
				mean = spare.cmnMean()
			}
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
		s.gramMean = mean
	} else {
		if err := s.fullPass(ctx, search, audio); err != nil {
			return nil, 0, verdict{}, err
		}
		g = gramOf(s.dec)
		s.gramMean = s.dec.cmnMean()
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

// loopPass runs the phone loop over audio on the stream's decoder. On a
// call's later utterances (unless Options.CarryHistory) it is fed as the
// live loop feeds it (fedLoop: 20 ms pieces at the call's mean), so the
// check decides the same whether its loop was fed live or not; pocketsphinx's silence-frame dropping keeps a
// few frames fewer in pieces than in one call.
func (s *stream) loopPass(ctx context.Context, audio []int16) (*loopMemo, error) {
	if s.cmn != nil && s.eng.opt.freeOnLater() {
		if err := s.ctx.Err(); err != nil {
			return nil, err
		}
		return fedLoop(s.dec, audio, s.cmn, s.noise)
	}
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
func grammarOn(d *decoder, search string, audio []int16, cmn []float32, noise []int16) (gramResult, error) {
	if err := d.startCall(search, noise, primeFor(noise, audio)); err != nil {
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

// primeSamples: the tail of an utterance its passes learn the noise level
// from under Options.HistoryFree (decoder.start), the closing quiet;
// otherwise what a spare decoder hears before its grammar pass.
const primeSamples = stt.SampleRate / 2

// primeFor is the audio a pass over audio learns the noise level from:
// the call's, the tail of its previous utterance (callState.noise), else
// the tail of audio.
func primeFor(noise, audio []int16) []int16 {
	if noise != nil {
		return noise
	}
	return audio[max(0, len(audio)-primeSamples):]
}

// grammarAside is grammarOn on a spare decoder. With the noise estimate
// carried (not Options.HistoryFree) it is primed with the tail of the
// audio first; otherwise (or with the call's noise prime) start sets it anyway.
func grammarAside(d *decoder, search string, audio []int16, cmn []float32, noise []int16) (gramResult, error) {
	if d.carryNoise && noise == nil {
		if _, err := grammarOn(d, search, primeFor(nil, audio), cmn, nil); err != nil {
			return gramResult{}, err
		}
	}
	return grammarOn(d, search, audio, cmn, noise)
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
	if _, err := grammarOn(d, searchGrammar, noise, nil, nil); err != nil {
		d.free()
		return nil, err
	}
	return d, nil
}
