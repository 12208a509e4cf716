// Package oaihttp holds the HTTP plumbing shared by the OpenAI-compatible
// backends: endpoint URLs, bearer auth, the three timeouts (first byte,
// idle between reads, total) and decoding of error responses.
//
// The timeouts are enforced with a cancel-cause context rather than
// http.Client.Timeout, so a long streamed response is bounded by the total
// timeout and by its idle gaps, not by one fixed deadline on the body, and
// the caller's own cancellation is reported as the caller's ctx.Err().
package oaihttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxErrorBody is how much of a non-2xx body is read for its message.
const maxErrorBody = 64 << 10

// Timeouts bound one request. Zero or negative disables a timeout.
type Timeouts struct {
	// FirstByte bounds the time from sending the request (connecting and
	// uploading included) to the first byte of the response body.
	FirstByte time.Duration
	// Idle bounds each wait for more of the body after the first byte. It
	// runs only while the caller is reading, so a slow consumer is not
	// mistaken for a stalled server.
	Idle time.Duration
	// Total bounds the whole exchange, from sending to the end of the body.
	Total time.Duration
}

// OrDefault reads a timeout option: zero means def, negative means
// disabled (0, as Timeouts wants it).
func OrDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// Endpoint joins a base URL such as "http://localhost:11434/v1" (with or
// without a trailing slash) and a path such as "chat/completions".
func Endpoint(base, path string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil {
		return "", fmt.Errorf("%w: base URL %q: %v", ErrInvalidOption, base, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: base URL %q: want http://host[:port]/path or https://…", ErrInvalidOption, base)
	}
	return strings.TrimRight(u.String(), "/") + "/" + strings.TrimLeft(path, "/"), nil
}

// Authorize sets the bearer token; an empty key sends no Authorization
// header (local servers need none).
func Authorize(req *http.Request, apiKey string) {
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
}

// Response is a 2xx response whose Body is guarded by the timeouts. Close
// it (safe twice) to release the request.
type Response struct {
	StatusCode int
	Header     http.Header
	// Body reads the response; errors are mapped: the caller's
	// cancellation as its ctx.Err(), a timeout as ErrTimeout.
	Body io.Reader

	g *guard
}

// Close stops the timers and releases the connection; safe twice and
// concurrently with a Read.
func (r *Response) Close() error {
	r.g.close()
	return nil
}

// Do sends req under ctx and the timeouts. A non-2xx answer is returned as
// an *APIError after reading (a bounded part of) its body.
func Do(ctx context.Context, client *http.Client, req *http.Request, t Timeouts) (*Response, error) {
	if client == nil {
		client = http.DefaultClient
	}
	rctx, cancel := context.WithCancelCause(ctx)
	g := &guard{parent: ctx, ctx: rctx, cancel: cancel, t: t, start: time.Now()}
	if t.Total > 0 {
		g.total = time.AfterFunc(t.Total, func() {
			cancel(fmt.Errorf("%w: no complete response within %v", ErrTimeout, t.Total))
		})
	}
	g.arm()
	resp, err := client.Do(req.WithContext(rctx))
	g.disarm()
	if err != nil {
		err = g.mapErr(err)
		g.close()
		return nil, err
	}
	g.body = resp.Body
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer g.close()
		// A timeout while reading the error body still leaves the status
		// to report; the caller's cancellation wins.
		b, _ := io.ReadAll(io.LimitReader(guardedReader{g}, maxErrorBody))
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, newAPIError(req.Method, req.URL, resp, b, time.Now())
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: guardedReader{g}, g: g}, nil
}

// guard owns the request's cancel-cause context and its timers.
type guard struct {
	parent context.Context
	ctx    context.Context
	cancel context.CancelCauseFunc
	t      Timeouts
	start  time.Time
	total  *time.Timer

	mu     sync.Mutex
	watch  *time.Timer // first-byte or idle timer, armed during waits
	gotAny bool
	closed bool
	body   io.ReadCloser
}

// arm starts the timer for the current wait: until the first byte, the
// rest of the first-byte budget; afterwards the idle timeout.
func (g *guard) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	var d time.Duration
	var cause error
	if !g.gotAny {
		if g.t.FirstByte <= 0 {
			return
		}
		d = g.t.FirstByte - time.Since(g.start)
		cause = fmt.Errorf("%w: no response within %v", ErrTimeout, g.t.FirstByte)
	} else {
		if g.t.Idle <= 0 {
			return
		}
		d = g.t.Idle
		cause = fmt.Errorf("%w: the response stalled for %v", ErrTimeout, g.t.Idle)
	}
	if d <= 0 {
		g.cancel(cause)
		return
	}
	g.watch = time.AfterFunc(d, func() { g.cancel(cause) })
}

func (g *guard) disarm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.watch != nil {
		g.watch.Stop()
		g.watch = nil
	}
}

func (g *guard) read(p []byte) (int, error) {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		return 0, io.ErrClosedPipe
	}
	g.arm()
	n, err := g.body.Read(p)
	g.disarm()
	if n > 0 {
		g.mu.Lock()
		g.gotAny = true
		g.mu.Unlock()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = g.mapErr(err)
	}
	return n, err
}

// mapErr reports why the request context ended, if it did: the caller's
// cancellation as ctx.Err(), a timeout as its ErrTimeout cause.
func (g *guard) mapErr(err error) error {
	if g.parent.Err() != nil {
		return g.parent.Err()
	}
	if cause := context.Cause(g.ctx); cause != nil && errors.Is(cause, ErrTimeout) {
		return cause
	}
	return err
}

func (g *guard) close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	if g.watch != nil {
		g.watch.Stop()
	}
	if g.total != nil {
		g.total.Stop()
	}
	body := g.body
	g.mu.Unlock()
	g.cancel(context.Canceled)
	if body != nil {
		_ = body.Close()
	}
}

type guardedReader struct{ g *guard }

func (r guardedReader) Read(p []byte) (int, error) { return r.g.read(p) }
