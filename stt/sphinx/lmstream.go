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

// lmCMNPrefix: without the call's cepstral mean (its first utterance) the
// streaming pass waits for this much audio and starts from that prefix's
// own mean (a phone-loop pass with batch CMN, ~2% of real time), then
// decodes from the start of the utterance. From the model's initial mean
// instead it heard words in white noise (batch CMN: none) and did worse on
// the librivox sentences; an utterance shorter than this gets exactly the
// batch mean.
const lmCMNPrefix = stt.SampleRate

// lmStream decodes a stream's utterance with the general n-gram model on a
// second decoder while it arrives, in its own goroutine, so that when the
// grammar's result is rejected only ps_end_utt is left. The stream's worker
// publishes the audio the final passes will decode (see stream.utterance);
// lmStream feeds it in 20 ms frames, with live CMN from the call's mean
// (nil: see lmCMNPrefix).
type lmStream struct {
	pool *pool
	cmn  []float32

	mu    sync.Mutex
	avail []int16 // the utterance so far: a prefix of stream.buf, never changed after
	final bool    // avail is the whole utterance: end it
	wake  chan struct{}
	abort chan struct{} // closed by stop
	done  chan struct{} // closed when run has exited
	once  sync.Once

	// run-owned until done.
	dec   *decoder
	fed   int
	err   error
	ended bool
	res   stt.Result
}

func newLMStream(p *pool, cmn []float32) *lmStream {
	l := &lmStream{
		pool:  p,
		cmn:   cmn,
		wake:  make(chan struct{}, 1),
		abort: make(chan struct{}),
		done:  make(chan struct{}),
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

// run takes a decoder without waiting (none free: it exits and the stream
// falls back to a full pass after the turn) and feeds it until the
// utterance is final and ended, or stop.
func (l *lmStream) run() {
	defer close(l.done)
	d, ok, err := l.pool.tryAcquire()
	if err != nil || !ok {
		l.err = err
		return
	}
	l.dec = d
	if l.cmn == nil {
		if l.cmn, l.err = l.prefixMean(); l.cmn == nil {
			return
		}
	}
	d.setCMNMean(l.cmn)
	if l.err = d.start(searchLM); l.err != nil {
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
		}
		if final {
			if l.fed < len(avail) {
				if l.err = d.process(avail[l.fed:]); l.err != nil {
					return
				}
				l.fed = len(avail)
			}
			l.err = l.end()
			return
		}
		select {
		case <-l.wake:
		case <-l.abort:
			return
		}
	}
}

// prefixMean waits for lmCMNPrefix of audio (or the whole utterance) and
// returns its cepstral mean; nil on stop or failure.
func (l *lmStream) prefixMean() ([]float32, error) {
	for {
		l.mu.Lock()
		avail, final := l.avail, l.final
		l.mu.Unlock()
		if len(avail) >= lmCMNPrefix || final {
			d := l.dec
			err := d.start(searchPhones)
			if err == nil {
				err = d.processFull(avail[:min(len(avail), lmCMNPrefix)], nil)
			}
			if err == nil {
				err = d.end()
			}
			if err != nil {
				return nil, err
			}
			return d.cmnMean(), nil
		}
		select {
		case <-l.wake:
		case <-l.abort:
			return nil, nil
		}
	}
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

// stop ends run at once, waits for it and gives its decoder back. It is
// safe to call more than once.
func (l *lmStream) stop() {
	l.once.Do(func() {
		close(l.abort)
		<-l.done
		if l.dec != nil {
			broken := l.err != nil || l.dec.end() != nil
			l.pool.release(l.dec, broken)
			l.dec = nil
		}
	})
}

// lmStats counts what a stream's general-LM results came from (tests).
type lmStats struct {
	streamed atomic.Int32 // results from the streaming decoder
	full     atomic.Int32 // full passes after the turn
}
