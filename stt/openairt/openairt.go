// Package openairt is an stt.Engine that streams each turn's audio into an
// OpenAI Realtime transcription session (wss://…/v1/realtime?intent=
// transcription) while the caller speaks, so at the end of the turn only
// the commit and the transcription of its last words are left. One socket
// per call, kept in the call's stt.Adaptation; turn detection is Duplex's.
// The wire, how commits map to items and turns, speculation and failures:
// docs/stt-realtime.md.
package openairt

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/duplex-ai/duplex/internal/dsp"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/stt"
)

// SampleRate is the rate of the audio on the wire (audio/pcm).
const SampleRate = 24000

// Engine hands out streams; safe for concurrent use. Close ends every
// socket and joins their goroutines.
type Engine struct {
	o        Options
	endpoint string
	ids      *wire.IDs
	ctx      context.Context
	cancel   context.CancelFunc

	mu     sync.Mutex
	lines  map[*line]struct{}
	closed bool
}

var _ stt.Engine = (*Engine)(nil)

// New checks the options; it does not connect.
func New(o Options) (*Engine, error) {
	o.setDefaults()
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: URL %q", ErrInvalidOption, o.URL)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return nil, fmt.Errorf("%w: URL %q: want ws://, wss://, http:// or https://", ErrInvalidOption, o.URL)
	}
	if o.MinDuration < 0 || o.MaxDuration < 0 {
		return nil, fmt.Errorf("%w: negative duration", ErrInvalidOption)
	}
	q := u.Query()
	q.Set("intent", "transcription")
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{o: o, endpoint: u.String(), ids: wire.NewIDs(), ctx: ctx, cancel: cancel, lines: map[*line]struct{}{}}, nil
}

// Name is "openai-realtime:" and the model.
func (e *Engine) Name() string { return "openai-realtime:" + e.o.Model }

// Close ends every socket and waits for their goroutines.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	lines := make([]*line, 0, len(e.lines))
	for ln := range e.lines {
		lines = append(lines, ln)
	}
	e.mu.Unlock()
	e.cancel()
	for _, ln := range lines {
		ln.Close()
	}
	return nil
}

// NewStream connects the call's socket if it has none (it may block up to
// Options.Timeout: the dialogue engine opens streams off its goroutine).
// ctx is the call's: when it ends, the socket closes.
func (e *Engine) NewStream(ctx context.Context, opt stt.StreamOptions) (stt.Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ln, err := e.lineFor(ctx, opt.Adaptation)
	if err != nil {
		return nil, err
	}
	c, err := ln.connect(ctx)
	if err != nil {
		if ln.private {
			ln.Close()
		}
		return nil, err
	}
	rs, err := dsp.NewResampler(stt.SampleRate, SampleRate)
	if err != nil {
		return nil, err
	}
	return &stream{ln: ln, c: c, ctx: ctx, rs: rs, max: int(e.o.MaxDuration.Seconds() * stt.SampleRate)}, nil
}

// lineFor returns the call's line: kept in its Adaptation, or private to
// one stream when there is none.
func (e *Engine) lineFor(ctx context.Context, ad *stt.Adaptation) (*line, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, fmt.Errorf("%w: engine closed", ErrLost)
	}
	if ad != nil {
		if ln, ok := ad.Load().(*line); ok && ln.e == e && !ln.isClosed() {
			return ln, nil
		}
	}
	ln := &line{e: e, items: map[string]*commit{}, byEvent: map[string]*commit{}, private: ad == nil}
	e.lines[ln] = struct{}{}
	if ad != nil {
		ad.Store(ln)
		ln.stop = context.AfterFunc(ctx, func() { ln.Close() })
	}
	return ln, nil
}

// isoLanguage turns a BCP-47 tag into the ISO-639 code the API takes.
func isoLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return strings.ToLower(tag)
}
