package sphinx

import (
	"context"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/duplex-ai/duplex/stt"
)

// lmArgs configure the decoders of the streaming general-LM pass: without
// the flat-lexicon second pass, which pocketsphinx runs over the whole
// utterance inside ps_end_utt (0.3-1 s for a read sentence here), the end
// of the utterance costs only the best-path search over the lattice.
var lmArgs = []string{"-fwdflat", "no"}

// lmStartAfter is the audio a stream holds before its general-LM pass
// starts (it then catches up): most skill phrases are over by then and
// cost no LM decoding, and the pass learns its cepstral mean from it when
// the call has none yet (its first utterance). An utterance shorter than
// this is decoded at its end. Costs and the choice: BENCHMARKS.md.
const lmStartAfter = stt.SampleRate

// lmStream decodes a stream's utterance with the general n-gram model on a
// second decoder while it arrives, in its own goroutine, so that when the
// grammar's result is rejected only ps_end_utt is left. The stream's worker
// publishes the audio the final passes will decode (see stream.utterance);
// lmStream feeds it in 20 ms frames, with live CMN from the call's mean
// (nil: see lmStartAfter).
type lmStream struct {
	pool  *pool
	cmn   []float32
	noise []int16 // the call's closing quiet (primeFor)
	// onPartial is the stream's: it hears this pass's partials (PartialLM).
	onPartial *atomic.Pointer[func(src stt.PartialSource, text string, samples int)]

	mu    sync.Mutex
	avail []int16 // the utterance so far: a prefix of stream.buf, never changed after
	final bool    // avail is the whole utterance: end it
	wake  chan struct{}
	abort chan struct{} // closed by cancel
	done  chan struct{} // closed when run has exited
	once  sync.Once
	mark  func(format string, args ...any) // the stream's trace (stream.mark)

	// run-owned until done.
	dec   *decoder
	fed   int
	hypIn int // frames until the next partial
	err   error
	ended bool
	res   stt.Result
}

func newLMStream(p *pool, cmn []float32, noise []int16, onPartial *atomic.Pointer[func(stt.PartialSource, string, int)], mark func(string, ...any)) *lmStream {
	l := &lmStream{
		mark:      mark,
		pool:      p,
		cmn:       cmn,
		noise:     noise,
		onPartial: onPartial,
		wake:      make(chan struct{}, 1),
		abort:     make(chan struct{}),
		done:      make(chan struct{}),
	}
	go l.run()
	return l
}

// publish hands run the utterance so far (final: all of it). The samples
// of avail must not change afterwards.
func (l *lmStream) publish(avail []int16, final bool) {
	l.mu.Lock()
	if len(avail) >= len(l.avail) {
		l.avail = avail
	}
	l.final = l.final || final
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run waits for lmStartAfter of audio, takes a decoder without waiting
// (none free: it exits and the stream falls back to a full pass after the
// turn) and feeds it until the utterance is final and ended, or cancel.
// It gives the decoder back itself, so a cancelled pass's ps_end_utt
// (~0.1 s) is not on the caller's path.
func (l *lmStream) run() {
	defer close(l.done)
	defer func() {
		if l.dec != nil {
			broken := l.err != nil || l.dec.end() != nil
			l.pool.release(l.dec, broken)
			l.dec = nil
		}
	}()
	for {
		l.mu.Lock()
		n, final := len(l.avail), l.final
		l.mu.Unlock()
		if n >= lmStartAfter || final {
			break
		}
		select {
		case <-l.wake:
		case <-l.abort:
			return
		}
	}
	d, ok, err := l.pool.tryAcquire()
	if err != nil || !ok {
		l.err = err
		return
	}
	l.dec = d
	// With the call's closing quiet (a later utterance, not
	// Options.CarryHistory) the pass learns its noise
	// level from it afresh, else from the audio the mean is learnt from.
	prime := l.noise
	if prime == nil {
		l.mu.Lock()
		prime = l.avail[:min(len(l.avail), lmStartAfter)]
		l.mu.Unlock()
	}
	if l.cmn == nil {
		if l.cmn, l.err = l.prefixMean(prime); l.err != nil {
			return
		}
	}
	d.setCMNMean(l.cmn)
	if l.err = d.startCall(searchLM, l.noise, prime); l.err != nil {
		return
	}
	for {
		l.mu.Lock()
		avail, final := l.avail, l.final
		l.mu.Unlock()
		for len(avail)-l.fed >= frameSamples {
			select {
			case <-l.abort:
				return
			default:
			}
			if l.err = d.process(avail[l.fed : l.fed+frameSamples]); l.err != nil {
				return
			}
			l.fed += frameSamples
			l.partial()
		}
		if final {
			l.mark("lm final, %d ms behind", (len(avail)-l.fed)*1000/stt.SampleRate)
			if l.fed < len(avail) {
				if l.err = d.process(avail[l.fed:]); l.err != nil {
					return
				}
				l.fed = len(avail)
			}
			l.mark("lm end start")
			l.err = l.end()
			l.mark("lm end done")
			return
		}
		select {
		case <-l.wake:
		case <-l.abort:
			return
		}
	}
}

// partial reports the pass's hypothesis every partialEvery frames, when
// the stream has a listener (one backtrace of the search).
func (l *lmStream) partial() {
	if l.hypIn--; l.hypIn > 0 {
		return
	}
	l.hypIn = partialEvery
	if f := l.onPartial.Load(); f != nil {
		h, _ := l.dec.hyp()
		(*f)(stt.PartialLM, strings.Join(cleanWords(h), " "), l.fed)
	}
}

// prefixMean returns the cepstral mean of the first lmStartAfter of the
// audio (or all of it, if shorter).
func (l *lmStream) prefixMean(prime []int16) ([]float32, error) {
	l.mu.Lock()
	avail := l.avail
	l.mu.Unlock()
	d := l.dec
	err := d.start(searchPhones, prime)
	if err == nil {
		err = d.processFull(avail[:min(len(avail), lmStartAfter)], nil)
	}
	if err == nil {
		err = d.end()
	}
	if err != nil {
		return nil, err
	}
	return d.cmnMean(), nil
}

// end finishes the utterance and keeps the general model's result; its
// confidence is the posterior per word, as lmPass's.
func (l *lmStream) end() error {
	if err := l.dec.end(); err != nil {
		return err
	}
	l.ended = true
	hyp, _ := l.dec.hyp()
	words := cleanWords(hyp)
	if len(words) > 0 {
		l.res = stt.Result{
			Text:       strings.Join(words, " "),
			Confidence: math.Pow(l.dec.prob(), 1/float64(len(words))),
		}
	}
	return nil
}

// result ends the utterance at utt (the whole of it) and returns the
// result; ok is false when there is none (no decoder was free, or it
// failed): the caller decodes utt itself.
func (l *lmStream) result(ctx context.Context, utt []int16) (stt.Result, bool, error) {
	l.publish(utt, true)
	select {
	case <-l.done:
	case <-ctx.Done():
		return stt.Result{}, false, ctx.Err()
	}
	if !l.ended || l.fed != len(utt) {
		return stt.Result{}, false, nil
	}
	return l.res, true, nil
}

// cancel tells run to stop and give its decoder back, without waiting.
// It is safe to call more than once.
func (l *lmStream) cancel() { l.once.Do(func() { close(l.abort) }) }

// stop cancels run and waits for it to exit.
func (l *lmStream) stop() {
	l.cancel()
	<-l.done
}

// lmStats counts what a stream's general-LM results came from (tests).
type lmStats struct {
	streamed atomic.Int32 // results from the streaming decoder
	full     atomic.Int32 // full passes after the turn
}
