package sphinx

import (
	"context"
	"math"
	"slices"
	"sync"

	"github.com/duplex-ai/duplex/internal/dsp"
	"github.com/duplex-ai/duplex/stt"
)

// Warp scales every frequency of pcm (16 kHz mono) by factor: a linear
// vocal-tract-length warp done on the samples by resampling them as if
// recorded at factor × 16 kHz (internal/dsp, low-passed when factor > 1),
// so one decoder serves any factor. The result is 1/factor as long.
// Factor 1 (or ≤ 0) returns pcm itself.
func Warp(pcm []int16, factor float64) []int16 {
	if factor <= 0 || factor == 1 || len(pcm) == 0 {
		return pcm
	}
	out, err := dsp.Resample(pcm, int(math.Round(stt.SampleRate*factor)), stt.SampleRate)
	if err != nil { // a factor whose rate needs too many filter phases
		return pcm
	}
	return out[:min(len(out), int(float64(len(pcm))/factor))]
}

// Speaker normalisation per call (Options.CallWarp). The model fits some
// voices (the held-out espeak-ng female voices) better with their
// frequencies scaled down, others not at all: the best factor is the
// speaker's. A call's first utterances are decoded by the grammar at each
// of WarpFactors, and the factor whose acoustic score per frame is best
// (maximum likelihood) is used for the rest of the call. The phone loop's
// score, which needs no grammar, favours the smallest factor for every
// voice (BENCHMARKS.md). The scoring runs after Finish, in the engine's
// background, on a decoder of its own: len(WarpFactors) grammar passes
// over the call's first WarpFrames of speech, once per call.
var WarpFactors = []float64{0.88, 0.94, 1, 1.06, 1.12}

// WarpFrames: the call's utterances are scored until this many frames
// (10 ms) have been, then the factor is fixed.
const WarpFrames = 1500

// callState is what a call's stt.Adaptation holds.
type callState struct {
	cmn []float32   // the call's cepstral mean (see stream.cmn)
	ws  *warpSearch // the call's warp, shared by copies of the state
}

// warpSearch is a call's warp factor while and after it is chosen.
type warpSearch struct {
	mu     sync.Mutex
	warp   float64   // the chosen factor; 0 while still choosing
	busy   bool      // an utterance is being scored
	score  []float64 // per WarpFactors: summed grammar acoustic score
	frames []int     // per WarpFactors: frames scored
}

// factor is the chosen warp, 0 while none.
func (w *warpSearch) factor() float64 {
	if w == nil {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.warp
}

// NewAdaptation returns a call adaptation with the warp factor already
// chosen (cmd/stt-eval: one per call it simulates); factor 1 is none.
func NewAdaptation(factor float64) *stt.Adaptation {
	a := &stt.Adaptation{}
	a.Store(callState{ws: &warpSearch{warp: factor}})
	return a
}

func loadCall(a *stt.Adaptation) callState {
	if a == nil {
		return callState{}
	}
	st, _ := a.Load().(callState)
	return st
}

// warpScores adds pcm's grammar-pass acoustic score and frames at each of
// WarpFactors to score and frames (batch CMN, so history does not count).
func (d *decoder) warpScores(ctx context.Context, pcm []int16, score []float64, frames []int) error {
	for i, f := range WarpFactors {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := d.start(searchGrammar); err != nil {
			return err
		}
		if err := d.processFull(Warp(pcm, f), nil); err != nil {
			return err
		}
		if err := d.end(); err != nil {
			return err
		}
		score[i] += float64(d.acoustic())
		frames[i] += d.frames()
	}
	return nil
}

// bestWarp is the factor with the best acoustic score per frame.
func bestWarp(score []float64, frames []int) float64 {
	best, bestS := 1.0, math.Inf(-1)
	for i, f := range WarpFactors {
		if frames[i] == 0 {
			continue
		}
		if s := score[i] / float64(frames[i]); s > bestS {
			best, bestS = f, s
		}
	}
	return best
}

// warpDone: at least n frames scored, enough to fix the factor.
func warpDone(frames []int, n int) bool {
	i := slices.Index(WarpFactors, 1.0)
	return i >= 0 && frames[i] >= n
}

// scoreWarp hands a finished utterance of a call still choosing its warp
// to the engine's background scorer; one at a time per call, and none
// once the engine closes. It never waits.
func (e *Engine) scoreWarp(ws *warpSearch, pcm []int16) {
	ws.mu.Lock()
	if ws.warp != 0 || ws.busy {
		ws.mu.Unlock()
		return
	}
	ws.busy = true
	ws.mu.Unlock()
	e.warpMu.Lock()
	defer e.warpMu.Unlock()
	if e.warpCtx.Err() != nil {
		ws.mu.Lock()
		ws.busy = false
		ws.mu.Unlock()
		return
	}
	pcm = append([]int16(nil), pcm...)
	e.warpWG.Add(1)
	go func() {
		defer e.warpWG.Done()
		score, frames := make([]float64, len(WarpFactors)), make([]int, len(WarpFactors))
		d, err := e.warpPool.acquire(e.warpCtx)
		if err == nil {
			err = d.warpScores(e.warpCtx, pcm, score, frames)
			e.warpPool.release(d, err != nil)
		}
		ws.mu.Lock()
		defer ws.mu.Unlock()
		ws.busy = false
		if err != nil {
			return
		}
		if ws.score == nil {
			ws.score, ws.frames = make([]float64, len(WarpFactors)), make([]int, len(WarpFactors))
		}
		for i := range score {
			ws.score[i] += score[i]
			ws.frames[i] += frames[i]
		}
		if warpDone(ws.frames, e.opt.warpFrames) {
			ws.warp = bestWarp(ws.score, ws.frames)
		}
	}()
}

// ChooseWarp returns the factor a call whose first utterances are pcms
// would get with Options.CallWarp (cmd/stt-eval): pcms are scored in
// order until WarpFrames have been.
func (e *Engine) ChooseWarp(ctx context.Context, pcms ...[]int16) (float64, error) {
	d, err := e.pool.acquire(ctx)
	if err != nil {
		return 0, err
	}
	score, frames := make([]float64, len(WarpFactors)), make([]int, len(WarpFactors))
	for _, p := range pcms {
		if err = d.warpScores(ctx, p, score, frames); err != nil || warpDone(frames, e.opt.warpFrames) {
			break
		}
	}
	e.pool.release(d, err != nil)
	if err != nil {
		return 0, err
	}
	return bestWarp(score, frames), nil
}

// warped is utterance() at the call's warp factor (kept while it does not
// grow: a stream's final passes all decode the same samples).
func (s *stream) warped() []int16 {
	u := s.utterance()
	if s.warp == 0 || s.warp == 1 {
		return u
	}
	if s.wbuf == nil || s.wlen != len(u) {
		s.wbuf, s.wlen = Warp(u, s.warp), len(u)
	}
	return s.wbuf
}
