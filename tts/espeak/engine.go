// Package espeak is the offline text-to-speech backend, on espeak-ng from
// Debian (libespeak-ng-dev for the library, espeak-ng for worker processes).
//
// libespeak-ng keeps its state in globals and is not reentrant. The default
// (ModeLibrary) calls it through cgo under one process-wide lock taken per
// sentence: audio streams from its callback in 50 ms chunks with word marks,
// and concurrent calls interleave sentence by sentence. ModeProcess runs a
// bounded pool of `espeak-ng --stdout` worker processes instead (parallel
// across cores, no marks), and ModeAuto uses whichever is free first. The
// measurements behind the default are in BENCHMARKS.md (tts-eval).
package espeak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"

	"github.com/duplex-ai/duplex/tts"
)

// Engine is a tts.Engine on espeak-ng, safe for concurrent use.
type Engine struct {
	opt     Options
	bin     string // resolved worker binary; "" when processes are unavailable
	lib     bool   // the library initialized
	procSem chan struct{}

	ctx    context.Context // cancelled by Close
	cancel context.CancelCauseFunc

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // running syntheses
}

var _ tts.Engine = (*Engine)(nil)

// New returns an Engine. It initializes the library (ModeLibrary,
// ModeAuto) and looks up the binary (ModeAuto, ModeProcess); ModeAuto
// needs at least one of the two. Errors wrap ErrInvalidOption or
// ErrUnavailable.
func New(opt Options) (*Engine, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Engine{opt: opt}
	var libErr, binErr error
	if opt.Mode != ModeProcess {
		if libErr = initLibrary(); libErr == nil {
			e.lib = true
		}
	}
	if opt.Mode != ModeLibrary {
		if e.bin, binErr = exec.LookPath(opt.Binary); binErr != nil {
			binErr = fmt.Errorf("%w: %w", ErrUnavailable, binErr)
		}
		e.procSem = make(chan struct{}, opt.PoolSize)
	}
	switch {
	case opt.Mode == ModeLibrary && libErr != nil:
		return nil, libErr
	case opt.Mode == ModeProcess && binErr != nil:
		return nil, binErr
	case opt.Mode == ModeAuto && !e.lib && e.bin == "":
		return nil, fmt.Errorf("%w (library: %v; binary: %v)", ErrUnavailable, libErr, binErr)
	}
	e.ctx, e.cancel = context.WithCancelCause(context.Background())
	return e, nil
}

// Name returns "espeak".
func (e *Engine) Name() string { return "espeak" }

// Synthesize starts speaking text with the voice chosen by opt (see
// tts.Options; Language "zh" selects "cmn"). It returns at once; the
// synthesis waits for the library lock or a worker in the background, and
// ctx cancels it at any point. Errors: ErrEmptyText, ErrInvalidOption,
// ErrClosed; an unknown voice is reported by Stream.Next (ErrUnknownVoice).
func (e *Engine) Synthesize(ctx context.Context, text string, opt tts.Options) (tts.Stream, error) {
	if strings.TrimSpace(text) == "" {
		return nil, ErrEmptyText
	}
	voice, err := voiceFor(e.opt.Voice, opt)
	if err != nil {
		return nil, err
	}
	// The library reads a NUL-terminated string: keep byte offsets intact.
	text = strings.ReplaceAll(text, "\x00", " ")

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	s := newStream(ctx)
	stop := context.AfterFunc(e.ctx, func() { s.cancel(ErrClosed) })
	e.wg.Add(1)
	s.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer s.wg.Done()
		defer stop()
		s.finish(e.run(s, text, voice))
	}()
	return s, nil
}

// run waits for the library lock or a worker slot, whichever the mode
// allows and is free first, and synthesizes.
func (e *Engine) run(s *stream, text, voice string) error {
	useLib := e.lib
	useProc := e.bin != ""
	if useLib && useProc {
		// Prefer the library when it is free right now.
		select {
		case libSem <- struct{}{}:
			return synthLibrary(s, text, voice, e.opt.Rate, true)
		default:
		}
	}
	var libC, procC chan struct{}
	if useLib {
		libC = libSem
	}
	if useProc {
		procC = e.procSem
	}
	select {
	case libC <- struct{}{}:
		return synthLibrary(s, text, voice, e.opt.Rate, true)
	case procC <- struct{}{}:
		defer func() { <-e.procSem }()
		return synthProcess(s, e.bin, text, voice, e.opt.Rate)
	case <-s.ctx.Done():
		return context.Cause(s.ctx)
	}
}

// Warm speaks a word with the default voice and drops the audio, so the
// first reply does not pay for loading the voice, and an
// unknown voice fails at start (ErrUnknownVoice) rather than in a call.
func (e *Engine) Warm(ctx context.Context) error {
	s, err := e.Synthesize(ctx, "ready.", tts.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	for {
		if _, err := s.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// Close stops every synthesis in progress (their streams report ErrClosed)
// and waits for them; later Synthesize calls fail with ErrClosed. The
// library itself stays initialized for other engines. Safe twice.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cancel(ErrClosed)
	e.wg.Wait()
	return nil
}
