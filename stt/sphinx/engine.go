// Package sphinx is the offline speech-to-text backend: CMU pocketsphinx
// (Debian 0.8+5prealpha) through cgo.
//
// While an utterance streams in, a JSGF grammar of the requests the offline
// brain understands (SkillsGrammar) decodes it live for Partial. Finish
// decodes the buffered utterance again in one call (batch cepstral mean
// normalisation, so the result does not depend on earlier utterances) with
// the grammar, which recognises those requests far better than the general
// language model does on synthetic or noisy speech. But a grammar maps any
// speech onto its nearest phrase, so the result is checked against a free
// loop of phones decoded on the same audio (an FSG search, about as cheap
// as the grammar's): it stands only when its path score per frame is
// within a calibrated margin of the loop's and its pronunciation has about
// as many phones as the loop found (Options.MinMargin). Otherwise the
// general n-gram model's result is returned marked NotUnderstood, with the
// per-word posterior as the confidence, unless that model heard the
// grammar's phrase word for word. That model decodes the utterance while
// it arrives, on a second decoder in the stream's own goroutine, so only
// the end of its utterance is left when the turn ends (Options.NoLMStream:
// one pass after the turn instead). A result made only of spoken digits
// comes back as numerals ("3719"); digits said faster than anyone says
// digits are taken for a short phrase and decoded again without the
// digit runs (route.go).
//
// A decoder costs about 0.3 s to build and is not thread-safe, so the
// Engine keeps two bounded pools of them (the streams' and the streaming
// general-LM passes'), created lazily and reused.
package sphinx

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/duplex-ai/duplex/stt"
)

// Engine is the pocketsphinx stt.Engine. It is safe for concurrent use.
type Engine struct {
	opt  Options
	pool *pool
	// lmPool holds the decoders of the streaming general-LM pass (as many
	// as pool's); nil with Options.NoLMStream or DisableGrammar.
	lmPool *pool
	// asidePool holds the decoders that run a final's grammar pass while
	// the stream's own runs the phone loop (checked.go); as many as
	// pool's, created on first need.
	asidePool *pool
}

var _ stt.Engine = (*Engine)(nil)

// LivePartials implements stt.LivePartialer: the grammar pass decodes
// while the user speaks.
func (e *Engine) LivePartials() bool { return true }

// NewEngine checks that the model files exist and returns an Engine.
// Decoders are built on first use (see Warm).
func NewEngine(opt Options) (*Engine, error) {
	opt = opt.withDefaults()
	for _, p := range []string{opt.HMM, opt.LM, opt.Dict} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%w: %w (install pocketsphinx-en-us)", ErrUnavailable, err)
		}
	}
	e := &Engine{opt: opt}
	e.pool = newPool(opt.PoolSize, func() (*decoder, error) { return newDecoder(opt) })
	e.asidePool = newPool(opt.PoolSize, func() (*decoder, error) { return newAsideDecoder(opt) })
	if !opt.NoLMStream && !opt.DisableGrammar {
		lmOpt := opt
		lmOpt.extraArgs = append(append([]string(nil), opt.extraArgs...), lmArgs...)
		e.lmPool = newPool(opt.PoolSize, func() (*decoder, error) { return newDecoder(lmOpt) })
	}
	return e, nil
}

// Name implements stt.Engine.
func (e *Engine) Name() string { return "sphinx" }

// Warm builds one decoder of each pool now (the stream's, the general-LM
// pass's and the spare a final's grammar pass runs on), so the first
// utterance does not pay for loading the model, and reports whether the
// model and grammar load.
func (e *Engine) Warm(ctx context.Context) error {
	for _, p := range []*pool{e.pool, e.lmPool, e.asidePool} {
		if p == nil {
			continue
		}
		d, err := p.acquire(ctx)
		if err != nil {
			return err
		}
		p.release(d, false)
	}
	return nil
}

// NewStream implements stt.Engine. It takes a decoder from the pool,
// waiting while all are busy; it returns ctx.Err() if ctx ends first.
func (e *Engine) NewStream(ctx context.Context, opt stt.StreamOptions) (stt.Stream, error) {
	if l := strings.ToLower(opt.Language); l != "" && l != "en" && !strings.HasPrefix(l, "en-") {
		return nil, fmt.Errorf("%w: %q (the model is en-US)", ErrLanguage, opt.Language)
	}
	d, err := e.pool.acquire(ctx)
	if err != nil {
		return nil, err
	}
	return newStream(ctx, e, d, opt.Adaptation)
}

// Close frees the idle decoders; streams still open keep theirs until they
// close. NewStream fails with ErrEngineClosed afterwards.
func (e *Engine) Close() error {
	e.pool.close()
	e.asidePool.close()
	if e.lmPool != nil {
		e.lmPool.close()
	}
	return nil
}
