package sphinx

import (
	"context"
	"sync"

	"github.com/duplex-ai/duplex/stt"
)

// loopFeed runs the phone loop of a stream's check (checked.go) while the
// utterance arrives, on a decoder of its own from asidePool, so that at the
// check only the tail of grammarAudio is left to decode (Options.LiveLoop).
// The stream's worker publishes buf up to specStart after the last loud
// frame: a prefix of every later grammarAudio. A check hands run the whole
// grammarAudio; run feeds what it has not fed yet, ends the utterance and
// replies. Its normalisation is live CMN held at one mean (liveLoopMean),
// never batch, except for an utterance shorter than lmStartAfter.
type loopFeed struct {
	pool  *pool
	cmn   []float32 // the call's mean; nil: liveLoopMean's prefix mean
	noise []int16   // the call's noise prime (primeFor)
	mark  func(format string, args ...any)

	mu    sync.Mutex
	avail []int16        // a prefix of every later grammarAudio, never changed after
	req   []int16        // a check's grammarAudio, waiting for run
	reply chan *loopMemo // run's answer to req
	wake  chan struct{}
	abort chan struct{} // closed by stop
	done  chan struct{} // closed when run has exited
	once  sync.Once

	// run-owned until done.
	dec   *decoder
	mean  []float32 // the mean the running utterance is fed with
	inUtt bool
	fed   int // samples of the running utterance fed
	err   error
}

func newLoopFeed(p *pool, cmn []float32, noise []int16, mark func(string, ...any)) *loopFeed {
	l := &loopFeed{
		pool:  p,
		cmn:   cmn,
		noise: noise,
		mark:  mark,
		reply: make(chan *loopMemo, 1),
		wake:  make(chan struct{}, 1),
		abort: make(chan struct{}),
		done:  make(chan struct{}),
	}
	go l.run()
	return l
}

// publish hands run a longer prefix of the check's audio.
func (l *loopFeed) publish(avail []int16) {
	l.mu.Lock()
	if len(avail) > len(l.avail) {
		l.avail = avail
	}
	l.mu.Unlock()
	l.poke()
}

func (l *loopFeed) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// request hands run the check's audio (grammarAudio, of which every
// published prefix is a prefix); wait then returns its loop.
func (l *loopFeed) request(audio []int16) {
	l.mu.Lock()
	l.req = audio
	l.mu.Unlock()
	l.poke()
}

// wait returns the loop over the n samples last requested; ok is false
// when run has no decoder (none was free, or it failed): the caller runs
// the loop itself.
func (l *loopFeed) wait(ctx context.Context, n int) (*loopMemo, bool, error) {
	for {
		select {
		case m := <-l.reply:
			if m.n != n {
				continue // a reply its caller gave up on
			}
			return m, true, nil
		case <-l.done:
			return nil, false, nil
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

// stop tells run to stop and waits for it to give its decoder back.
func (l *loopFeed) stop() {
	l.once.Do(func() { close(l.abort) })
	<-l.done
}

// run takes a decoder without waiting once there is audio (none free: it
// exits) and feeds the published audio until stop; after a check it starts
// again from the beginning of the utterance only when more audio comes (a
// speculation made stale by speech).
func (l *loopFeed) run() {
	defer close(l.done)
	defer func() {
		if l.dec != nil {
			broken := l.err != nil || l.dec.end() != nil
			l.pool.release(l.dec, broken)
		}
	}()
	checked := 0 // the length of the last check's published prefix
	for {
		l.mu.Lock()
		avail, req := l.avail, l.req
		l.req = nil
		l.mu.Unlock()
		if l.dec == nil && (len(avail) > 0 || req != nil) {
			d, ok, err := l.pool.tryAcquire()
			if err != nil || !ok {
				return
			}
			l.dec = d
		}
		if req != nil {
			m, err := l.finish(req)
			if err != nil {
				l.err = err
				return
			}
			checked = len(avail)
			select {
			case l.reply <- m:
			case <-l.abort:
				return
			}
		} else if l.dec != nil && (l.inUtt || len(avail) > checked) {
			if err := l.feed(avail); err != nil {
				l.err = err
				return
			}
		}
		select {
		case <-l.wake:
		case <-l.abort:
			return
		}
	}
}

// feed feeds audio[fed:] (a prefix of the utterance) in 20 ms pieces,
// starting the utterance when the mean can be known.
func (l *loopFeed) feed(audio []int16) error {
	if !l.inUtt {
		mean, ok, err := liveLoopMean(l.dec, audio, l.cmn, l.noise)
		if err != nil || !ok {
			return err
		}
		if err := l.dec.startCall(searchPhones, l.noise, primeFor(l.noise, audio)); err != nil {
			return err
		}
		l.mean, l.inUtt, l.fed = mean, true, 0
	}
	for ; l.fed+frameSamples <= len(audio); l.fed += frameSamples {
		select {
		case <-l.abort:
			return nil
		default:
		}
		l.dec.setCMNMean(l.mean)
		if err := l.dec.process(audio[l.fed : l.fed+frameSamples]); err != nil {
			return err
		}
	}
	return nil
}

// finish decodes what is left of audio and ends the utterance.
func (l *loopFeed) finish(audio []int16) (*loopMemo, error) {
	l.mark("live loop tail %d ms", (len(audio)-l.fed)*1000/stt.SampleRate)
	if l.inUtt && l.fed > len(audio) {
		l.inUtt = false // not a prefix (cannot happen): again from the start
	}
	if !l.inUtt && l.cmn == nil && len(audio) < lmStartAfter {
		// Too short to learn a mean from, and the call has none: batch CMN.
		if _, err := grammarOn(l.dec, searchPhones, audio, nil, l.noise); err != nil {
			return nil, err
		}
		return l.memo(len(audio)), nil
	}
	if err := l.feed(audio); err != nil {
		return nil, err
	}
	if l.fed < len(audio) {
		l.dec.setCMNMean(l.mean)
		if err := l.dec.process(audio[l.fed:]); err != nil {
			return nil, err
		}
	}
	l.inUtt = false
	if err := l.dec.end(); err != nil {
		return nil, err
	}
	return l.memo(len(audio)), nil
}

func (l *loopFeed) memo(n int) *loopMemo {
	hyp, path := l.dec.hyp()
	return &loopMemo{n: n, hyp: hyp, path: path, frames: l.dec.frames()}
}

// liveLoopMean is the mean the live loop holds over an utterance: the
// call's (cmn), else the mean of the utterance's first lmStartAfter, learnt
// by a batch pass over it on d (as the streaming general-LM pass learns
// its). ok is false while audio is shorter than that.
func liveLoopMean(d *decoder, audio []int16, cmn []float32, noise []int16) (mean []float32, ok bool, err error) {
	if cmn != nil {
		return cmn, true, nil
	}
	if len(audio) < lmStartAfter {
		return nil, false, nil
	}
	if _, err := grammarOn(d, searchPhones, audio[:lmStartAfter], nil, noise); err != nil {
		return nil, false, err
	}
	return d.cmnMean(), true, nil
}

// fedLoop is the live loop's result over audio on d with the call's mean
// cmn and noise prime, fed in one go (the same pieces and mean): the
// one-shot check's loop on a call's later utterances, and Engine.Score's.
func fedLoop(d *decoder, audio []int16, cmn []float32, noise []int16) (*loopMemo, error) {
	l := &loopFeed{dec: d, cmn: cmn, noise: noise, mark: func(string, ...any) {}, abort: make(chan struct{})}
	return l.finish(audio)
}
