package sphinx

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/duplex-ai/duplex/stt"
)

const (
	frameSamples = stt.SampleRate / 50 // 20 ms: the unit fed to ps_process_raw
	partialEvery = 5                   // frames between partial hypotheses (100 ms)
	// specStart is the trailing quiet at which the worker runs the final
	// passes ahead of Finish, so they end by a 120 ms end of turn; Finish
	// then only checks that nothing was said since.
	specStart = 60 * stt.SampleRate / 1000
	// specQuiet is the most trailing quiet the final passes decode.
	specQuiet = 160 * stt.SampleRate / 1000
	// quietRMS: a 20 ms frame under it (about -45 dBFS) does not cancel a
	// speculative result.
	quietRMS = 180
)

// speculation is a grammar pass over buf[:n], made during a pause.
type speculation struct {
	n     int
	words []string
	conf  float64
	v     verdict
}

// verdict is the rejection check of a grammar result.
type verdict struct {
	accept        bool
	margin, ratio float64
	span          int // frames the grammar result's words take
}

// stream is one utterance on one pooled decoder. Write queues audio for a
// worker goroutine that runs the first (grammar) pass as it arrives, so
// Write never waits for decoding. Every use of the decoder holds decMu.
type stream struct {
	eng *Engine
	ctx context.Context
	dec *decoder

	mu        sync.Mutex
	pending   []int16
	kept      int // samples accepted so far
	finishing bool
	closed    bool
	workerErr error

	wake    chan struct{}
	abort   chan struct{} // closed by Close: the worker stops at once
	done    chan struct{} // closed when the worker has exited
	closeOK chan struct{} // closed when Close has given the decoder back
	stopCtx func() bool

	decMu    sync.Mutex
	buf      []int16 // the whole utterance, for the second pass; worker-owned until done
	released bool
	partial  atomic.Pointer[string]
	// onPartial, when set, hears each new live partial (OnPartial);
	// consumed counts the written samples the worker has taken up.
	onPartial atomic.Pointer[func(src stt.PartialSource, text string, samples int)]
	consumed  atomic.Int64
	rng       *rand.PCG // worker-owned, with bits and nbits
	bits      uint64
	nbits     int

	// worker-owned until done: the end of the last loud frame of buf,
	// frames of buf scanned for loudness, and the speculative final pass.
	loudEnd    int
	scanned    int
	spec       *speculation
	specUsed   bool         // the result came from spec (tests)
	liveEnded  bool         // the live pass was ended for the speculation
	speculated atomic.Int32 // speculative passes made (tests)

	cmn   []float32       // the call's cepstral mean every pass starts from; nil: batch CMN
	noise []int16         // the call's noise prime (primeFor); nil: each pass's own tail
	adapt *stt.Adaptation // the call's, or nil: gets the mean after the final pass

	loop        *loopMemo // the phone loop of the last checkedPass; under decMu
	gramMean    []float32 // the cepstral mean after checkedPass's grammar pass; under decMu
	gram        []int16   // grammarAudio's result for buf[:gramEnd]; under decMu
	gramEnd     int
	passesAside atomic.Int32 // grammar passes run on a spare decoder (tests)

	lm       *lmStream    // the general LM decoding as the audio arrives; nil: after the turn
	lf       *loopFeed    // the check's phone loop fed as the audio arrives (Options.LiveLoop)
	loopsFed atomic.Int32 // checks whose loop lf fed (tests)
	lmStats  lmStats

	// trace, when set before the first Write, hears when each pass starts
	// and ends (the timeline harness, tests); nil in production.
	trace func(ev string)
}

// mark reports the event to trace, if set; formatted only then.
func (s *stream) mark(format string, args ...any) {
	if s.trace != nil {
		s.trace(fmt.Sprintf(format, args...))
	}
}

var _ stt.Stream = (*stream)(nil)

func newStream(ctx context.Context, e *Engine, d *decoder, adapt *stt.Adaptation) (*stream, error) {
	first := searchLM
	if d.hasGrammar {
		first = searchGrammar
	}
	// The utterance is normalised with the call's cepstral mean, learnt
	// from its earlier utterances; a call's first utterance (or one without
	// an Adaptation) with its own (batch CMN). Never with what the pooled
	// decoder heard on another call.
	var cmn []float32
	call := loadCall(adapt)
	if len(call.cmn) == len(d.cmnInit) {
		cmn = call.cmn
	}
	d.setCMNMean(cmn) // the live pass (partials); nil: the model's initial mean
	if err := d.startLive(first); err != nil {
		e.pool.release(d, true)
		return nil, err
	}
	s := &stream{
		eng:     e,
		ctx:     ctx,
		dec:     d,
		wake:    make(chan struct{}, 1),
		abort:   make(chan struct{}),
		done:    make(chan struct{}),
		closeOK: make(chan struct{}),
		rng:     rand.NewPCG(1, 2),
		cmn:     cmn,
		noise:   call.noise,
		adapt:   adapt,
	}
	empty := ""
	s.partial.Store(&empty)
	if e.lmPool != nil && d.hasGrammar {
		s.lm = newLMStream(e.lmPool, cmn, call.noise, &s.onPartial, s.mark)
	}
	if e.opt.LiveLoop.liveLoop(cmn != nil) && !e.opt.NoRejection && d.hasGrammar && d.hasPhones {
		s.lf = newLoopFeed(e.asidePool, cmn, call.noise, s.mark)
	}
	go s.work()
	// An abandoned utterance (ctx cancelled, Close forgotten) still gives
	// its decoder back. With ctx already done the Close may run before
	// AfterFunc returns, hence stopCtx under mu.
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	s.mu.Lock()
	s.stopCtx = stop
	s.mu.Unlock()
	return s, nil
}

// Write implements stt.Stream: it copies pcm and returns at once.
func (s *stream) Write(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return stt.ErrClosed
	case s.finishing:
		return ErrFinished
	case s.workerErr != nil:
		return s.workerErr
	}
	if err := s.ctx.Err(); err != nil {
		return err
	}
	max := int(s.eng.opt.MaxUtterance.Seconds() * stt.SampleRate)
	var err error
	if s.kept+len(pcm) > max {
		pcm = pcm[:max-s.kept]
		err = ErrTooLong
	}
	s.pending = append(s.pending, pcm...)
	s.kept += len(pcm)
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return err
}

// Partial implements stt.Stream: the first-pass hypothesis so far.
func (s *stream) Partial() string {
	return strings.Join(cleanWords(*s.partial.Load()), " ")
}

// OnPartial registers f, called each time a live pass has a new partial
// (every 100 ms of decoded speech) with its words and the samples of the
// utterance it covers, so a turn detector hears it without polling: the
// grammar pass's (PartialFirst) on the stream's worker, the streaming
// general-LM pass's (PartialLM, from lmStartAfter on) on its goroutine.
// Register before the first Write; f must not block.
func (s *stream) OnPartial(f func(src stt.PartialSource, text string, samples int)) {
	s.onPartial.Store(&f)
}

// Consumed reports how many written samples the worker has taken up
// (decoded, or skipped in a pause after the speculative pass): an
// evaluation feeding audio in media time waits for it to keep pace.
func (s *stream) Consumed() int { return int(s.consumed.Load()) }

// work runs the first pass on queued audio until Finish (after draining
// the queue) or Close.
func (s *stream) work() {
	defer close(s.done)
	var carry []int16 // less than one frame left from the last chunk
	sinceHyp := 0
	for {
		s.mu.Lock()
		chunk := s.pending
		s.pending = nil
		finishing := s.finishing
		s.mu.Unlock()

		if len(chunk) > 0 {
			s.dither(chunk)
			s.buf = append(s.buf, chunk...)
			loud := s.scanLoudness()
			if s.lm != nil {
				s.lm.publish(s.utterance(), false)
			}
			if s.lf != nil {
				s.lf.publish(s.buf[:min(len(s.buf), s.loudEnd+specStart)]) // see grammarAudio
			}
			carry = append(carry, chunk...)
			s.decMu.Lock()
			var err error
			if s.liveEnded {
				if loud {
					// Speech again after the pause: the speculative pass is
					// stale. The live pass hears the utterance so far again
					// (about 2% of its length in CPU), so partials go on
					// covering all of it.
					s.spec, s.liveEnded = nil, false
					err = s.resumeLive(len(s.buf) - len(carry))
				} else {
					carry = carry[:0] // nothing new to hear in the quiet
				}
			}
			for len(carry) >= frameSamples && err == nil {
				select {
				case <-s.abort:
					s.decMu.Unlock()
					return
				default:
				}
				err = s.dec.process(carry[:frameSamples])
				carry = carry[frameSamples:]
				if sinceHyp++; sinceHyp >= partialEvery {
					sinceHyp = 0
					h, _ := s.dec.hyp()
					s.partial.Store(&h)
					if f := s.onPartial.Load(); f != nil {
						(*f)(stt.PartialFirst, strings.Join(cleanWords(h), " "), len(s.buf)-len(carry))
					}
				}
			}
			if err == nil && finishing && len(carry) > 0 && !s.liveEnded {
				err = s.dec.process(carry)
				carry = nil
			}
			if err == nil && !finishing && s.spec == nil && !s.liveEnded && s.dec.hasGrammar &&
				s.loudEnd > 0 && len(s.buf)-s.loudEnd >= specStart {
				err = s.speculate()
			}
			s.decMu.Unlock()
			s.consumed.Store(int64(len(s.buf)))
			carry = append([]int16(nil), carry...)
			if err != nil {
				s.mu.Lock()
				s.workerErr = err
				s.mu.Unlock()
				return
			}
			continue
		}
		if finishing {
			if len(carry) > 0 && !s.liveEnded {
				s.decMu.Lock()
				err := s.dec.process(carry)
				s.decMu.Unlock()
				if err != nil {
					s.mu.Lock()
					s.workerErr = err
					s.mu.Unlock()
				}
			}
			return
		}
		select {
		case <-s.wake:
		case <-s.abort:
			return
		}
	}
}

// Finish implements stt.Stream: it waits for the first pass to catch up,
// ends the utterance and, when the grammar did not match, decodes the
// utterance again with the general model.
func (s *stream) Finish(ctx context.Context) (stt.Result, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return stt.Result{}, stt.ErrClosed
	}
	if s.finishing {
		s.mu.Unlock()
		return stt.Result{}, ErrFinished
	}
	s.finishing = true
	s.mu.Unlock()
	s.mark("finish")
	select {
	case s.wake <- struct{}{}:
	default:
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		return stt.Result{}, ctx.Err()
	case <-s.ctx.Done():
		return stt.Result{}, s.ctx.Err()
	}
	s.mu.Lock()
	werr := s.workerErr
	s.mu.Unlock()
	if werr != nil {
		return stt.Result{}, werr
	}

	s.mark("worker done")
	s.decMu.Lock()
	defer s.decMu.Unlock()
	if s.released {
		return stt.Result{}, stt.ErrClosed
	}
	res, err := s.decide(ctx)
	s.mark("result")
	if s.lf != nil {
		s.lf.stop() // its decoder back to the pool
	}
	if err == nil {
		s.partial.Store(&res.Text)
		if s.adapt != nil && res.Text != "" {
			// The mean after the last whole-utterance pass: this
			// utterance folded into the call's.
			st := loadCall(s.adapt)
			st.cmn = s.dec.cmnMean()
			if s.eng.opt.freeOnLater() {
				// The grammar pass's mean, wherever it ran (the passes
				// after it differ between the check's ways of running),
				// and the closing quiet the next utterance's passes learn
				// the noise level from.
				if s.gramMean != nil {
					st.cmn = s.gramMean
				}
				st.noise = append([]int16(nil), primeFor(nil, s.grammarAudio())...)
			}
			s.adapt.Store(st)
		}
	}
	return res, err
}

// resumeLive restarts the live pass after a speculation and feeds it the
// first n samples of buf. Under decMu, in the worker.
func (s *stream) resumeLive(n int) error {
	s.dec.setCMNMean(s.cmn)
	if err := s.dec.startLive(s.firstSearch()); err != nil {
		return err
	}
	for off := 0; off+frameSamples <= n; off += frameSamples {
		select {
		case <-s.abort:
			return nil
		default:
		}
		if err := s.dec.process(s.buf[off : off+frameSamples]); err != nil {
			return err
		}
	}
	return nil
}

// firstSearch is the search of the live and first final pass.
func (s *stream) firstSearch() string {
	if s.dec.hasGrammar {
		return searchGrammar
	}
	return searchLM
}

// scanLoudness updates loudEnd over the frames of buf not scanned yet and
// reports whether any of them was loud. A loud frame after a speculation
// makes it stale.
func (s *stream) scanLoudness() bool {
	loud := false
	for ; s.scanned+frameSamples <= len(s.buf); s.scanned += frameSamples {
		if frameRMS(s.buf[s.scanned:s.scanned+frameSamples]) >= quietRMS {
			s.loudEnd = s.scanned + frameSamples
			loud = true
		}
	}
	return loud
}

// speculate ends the live pass and runs the grammar's final pass over the
// utterance so far (under decMu, in the worker), keeping the result for
// Finish.
func (s *stream) speculate() error {
	s.mark("spec start")
	if err := s.dec.end(); err != nil {
		return err
	}
	s.liveEnded = true
	s.speculated.Add(1)
	words, conf, v, err := s.checkedPass(s.ctx, searchGrammar)
	s.mark("spec end")
	if err != nil {
		return err
	}
	s.spec = &speculation{n: len(s.buf), words: words, conf: conf, v: v}
	return nil
}

// decide runs under decMu after the worker has exited.
func (s *stream) decide(ctx context.Context) (stt.Result, error) {
	if err := s.dec.end(); err != nil {
		return stt.Result{}, err
	}
	if loudestFrameRMS(s.buf) < silenceRMS {
		// Digital silence or a muted mic: pocketsphinx (with dither) may
		// still hear "hmm" in it.
		s.cancelLM()
		return stt.Result{Text: "", Confidence: 0}, nil
	}
	// A grammar pass made during the closing pause stands if nothing loud
	// came after it (the rest is the silence that ended the turn).
	s.scanLoudness()
	sp := s.spec
	if sp != nil && s.loudEnd > sp.n {
		sp = nil
	}
	// The live pass gave the partials; the final passes decode the whole
	// buffered utterance at once (batch CMN: the result does not depend on
	// what the decoder heard before, and is more accurate).
	first := s.firstSearch()
	if first != searchGrammar {
		return s.lmPass(ctx, false)
	}
	if s.lm != nil && (sp == nil || !sp.v.accept) {
		// The utterance is whole: the streaming general-LM pass ends it
		// while the grammar's passes run, so a rejected result does not
		// then wait for its end (cancelLM drops it when they accept).
		s.lm.publish(s.utterance(), true)
	}
	var (
		words []string
		conf  float64
		v     verdict
	)
	if sp != nil {
		s.specUsed = true
		words, conf, v = sp.words, sp.conf, sp.v
	} else {
		var err error
		s.mark("check start")
		if words, conf, v, err = s.checkedPass(ctx, first); err != nil {
			return stt.Result{}, err
		}
		s.mark("check end")
	}
	// Digits faster than anyone says them: a short phrase (route.go).
	if !s.eng.opt.NoRejection && s.dec.hasNoDigits && digitsTooFast(words, v.span) {
		var err error
		if words, conf, v, err = s.noDigitsPass(ctx); err != nil {
			return stt.Result{}, err
		}
	}
	// Digits heard: the digit pass (digits.go) decodes them again.
	if !s.eng.opt.NoRejection {
		if res, ok, err := s.digitResult(ctx, words, nil); err != nil || ok {
			s.cancelLM()
			return res, err
		}
	}
	// A phrase in band-limited audio may have to be heard again (band.go);
	// its verdict is kept for the general model's path below. Digits heard
	// there instead go to the digit pass.
	bandChecked, stands := false, true
	if v.accept && !s.eng.opt.NoRejection {
		var (
			refill []string
			err    error
		)
		if stands, refill, err = s.bandStands(ctx, words, v.span); err != nil {
			return stt.Result{}, err
		}
		bandChecked, v.accept = true, stands
		if refill != nil {
			if res, ok, err := s.digitResult(ctx, refill, nil); err != nil || ok {
				s.cancelLM()
				return res, err
			}
		}
	}
	if v.accept {
		s.mark("accepted: grammar %q (speculative %v)", strings.Join(words, " "), sp != nil)
		s.cancelLM()
		text := strings.Join(words, " ")
		if d, ok := DigitString(words); ok {
			text = d
		}
		return stt.Result{Text: text, Confidence: conf}, nil
	}
	if err := ctx.Err(); err != nil {
		return stt.Result{}, err
	}
	// Not one of the skills: what the general model hears, marked so;
	// unless it heard the grammar's phrase word for word on its own (and
	// the band check lets it stand).
	res, err := s.lmPass(ctx, !s.eng.opt.NoRejection)
	if err == nil && res.NotUnderstood && len(words) > 0 && res.Text == strings.Join(words, " ") {
		if !bandChecked {
			var berr error
			if stands, _, berr = s.bandStands(ctx, words, v.span); berr != nil {
				return stt.Result{}, berr
			}
		}
		if stands {
			s.mark("accepted: general LM heard %q word for word", res.Text)
			res.NotUnderstood = false
			if d, ok := DigitString(words); ok {
				res.Text = d
			}
		}
	}
	if err == nil && res.NotUnderstood && !wantsDigitPass(words, nil) {
		if dr, ok, derr := s.digitResult(ctx, nil, strings.Fields(res.Text)); derr != nil || ok {
			return dr, derr
		}
	}
	return res, err
}

// cancelLM stops the streaming general-LM pass when its result is not
// needed: it gives its decoder back in its own goroutine; Close joins it.
func (s *stream) cancelLM() {
	if s.lm != nil {
		s.lm.cancel()
	}
}

// lmPass returns the general LM's result for the utterance: the streaming
// decoder's, which only has to end it, or else a full pass now. Its
// confidence is the posterior per word (the posterior of a whole sentence
// shrinks with its length).
func (s *stream) lmPass(ctx context.Context, notUnderstood bool) (stt.Result, error) {
	if s.lm != nil {
		s.mark("lm wait")
		res, ok, err := s.lm.result(ctx, s.utterance())
		s.mark("lm result")
		s.lm.cancel()
		if err != nil {
			return stt.Result{}, err
		}
		if ok {
			s.lmStats.streamed.Add(1)
			res.NotUnderstood = notUnderstood && res.Text != ""
			return res, nil
		}
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return stt.Result{}, stt.ErrClosed
		}
	}
	s.lmStats.full.Add(1)
	s.mark("lm full pass")
	if err := s.fullPass(ctx, searchLM, s.utterance()); err != nil {
		return stt.Result{}, err
	}
	hyp, _ := s.dec.hyp()
	words := cleanWords(hyp)
	if len(words) == 0 {
		return stt.Result{Text: "", Confidence: 0}, nil
	}
	conf := math.Pow(s.dec.prob(), 1/float64(len(words)))
	return stt.Result{Text: strings.Join(words, " "), Confidence: conf, NotUnderstood: notUnderstood}, nil
}

// fullPass decodes audio (utterance() or grammarAudio()) with the named
// search in one call (a grammar pass costs ~2% of real time, the general
// LM ~30-80%).
func (s *stream) fullPass(ctx context.Context, search string, audio []int16) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if err := s.dec.startCall(search, s.noise, primeFor(s.noise, audio)); err != nil {
		return err
	}
	if err := s.dec.processFull(audio, s.cmn); err != nil {
		return err
	}
	return s.dec.end()
}

// utterance is the part of buf the final passes decode: all of it, less
// trailing quiet beyond specQuiet.
func (s *stream) utterance() []int16 {
	if s.loudEnd > 0 && s.loudEnd+specQuiet < len(s.buf) {
		return s.buf[:s.loudEnd+specQuiet]
	}
	return s.buf
}

// grammarAudio is the audio the grammar and phone-loop passes decode: buf
// up to specStart after the last loud frame (what a speculation has), its
// quiet tail repeated out to specQuiet. Whether the pass runs in the pause
// or in Finish, and however the audio arrived, the same utterance decodes
// the same way; the repeated tail gives the search the longer closing
// quiet short words end better with (BENCHMARKS.md, Speech-to-text).
func (s *stream) grammarAudio() []int16 {
	if s.loudEnd == 0 {
		return s.buf
	}
	end := min(len(s.buf), s.loudEnd+specStart)
	tail := s.buf[s.loudEnd:end]
	if len(tail) < frameSamples {
		return s.buf[:end]
	}
	if s.gram != nil && s.gramEnd == end {
		return s.gram
	}
	want := s.loudEnd + specQuiet
	out := make([]int16, 0, want)
	out = append(out, s.buf[:end]...)
	for len(out) < want {
		out = append(out, tail[:min(len(tail), want-len(out))]...)
	}
	s.gram, s.gramEnd = out, end
	return out
}

// Close implements stt.Stream: it stops the worker and gives the decoder
// back to the pool. It is safe after Finish, twice, and concurrently with
// a cancelled Finish; every Close returns once the decoder is back (the
// context's cancellation runs one of its own).
func (s *stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.closeOK
		return nil
	}
	s.closed = true
	defer close(s.closeOK)
	s.pending = nil
	stop := s.stopCtx
	s.mu.Unlock()
	close(s.abort)
	if stop != nil { // nil: Close is the AfterFunc itself, run early
		stop()
	}
	<-s.done
	if s.lm != nil {
		s.lm.stop() // before decMu: a Finish waiting for it holds decMu
	}
	if s.lf != nil {
		s.lf.stop()
	}

	s.decMu.Lock()
	defer s.decMu.Unlock()
	if s.released {
		return nil
	}
	s.released = true
	broken := s.dec.end() != nil
	s.buf = nil
	s.eng.pool.release(s.dec, broken)
	return nil
}

// cleanWords splits a hypothesis and drops pocketsphinx's fillers and
// pronunciation-variant markers.
func cleanWords(hyp string) []string {
	var out []string
	for _, w := range strings.Fields(hyp) {
		if strings.HasPrefix(w, "<") || strings.HasPrefix(w, "[") || strings.HasPrefix(w, "++") {
			continue
		}
		if i := strings.IndexByte(w, '('); i > 0 {
			w = w[:i]
		}
		out = append(out, w)
	}
	return out
}

// Grammar confidence: the path score per 10 ms frame of the grammar
// result through a logistic. Speech that fits a skill phrase scores about
// -25 to -45 per frame on the en-us model, speech forced into the grammar
// from outside it about -45 to -55; the pivot favours the grammar, because
// the general model does badly on the synthetic voices we can measure.
const (
	confPivot = -50.0
	confScale = 3.0
)

func grammarConfidence(score int32, frames int) float64 {
	if frames <= 0 {
		return 0
	}
	spf := float64(score) / float64(frames)
	return 1 / (1 + math.Exp(-(spf-confPivot)/confScale))
}

// silenceRMS is the RMS (of 20 ms frames) an utterance must reach
// somewhere to be decoded: about -47 dBFS, well under quiet speech.
const silenceRMS = 150

func loudestFrameRMS(pcm []int16) float64 {
	loudest := 0.0
	for off := 0; off < len(pcm); off += frameSamples {
		loudest = max(loudest, frameRMS(pcm[off:min(off+frameSamples, len(pcm))]))
	}
	return loudest
}

func frameRMS(f []int16) float64 {
	if len(f) == 0 {
		return 0
	}
	var e float64
	for _, v := range f {
		e += float64(v) * float64(v)
	}
	return math.Sqrt(e / float64(len(f)))
}

// dither adds ±1 LSB of noise in place. Digital silence (exact zeros, as
// in synthetic speech or a muted mic) otherwise gives log-energy features
// the acoustic model never saw, and recognition on clean synthetic speech
// is worse than on noisy. pocketsphinx's own -dither uses a process-wide
// unseeded generator, so results would change from run to run; this one is
// seeded per stream and the same audio always decodes the same way.
func (s *stream) dither(pcm []int16) {
	for i := range pcm {
		if s.nbits < 2 {
			s.bits, s.nbits = s.rng.Uint64(), 64
		}
		d := int16(s.bits&1) - int16(s.bits>>1&1)
		s.bits >>= 2
		s.nbits -= 2
		if v := int32(pcm[i]) + int32(d); v >= -32768 && v <= 32767 {
			pcm[i] = int16(v)
		}
	}
}
