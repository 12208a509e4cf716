// Package rtws is the client side of one OpenAI Realtime WebSocket, shared
// by brain/realtime and stt/openairt: the dial (Bearer key, 401/429 on the
// upgrade), a writer goroutine draining a bounded outbox and a reader
// goroutine handing parsed server events to a callback. Both goroutines end
// when the socket does and are counted in the caller's WaitGroup.
package rtws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/duplex-ai/duplex/clock"
	wire "github.com/duplex-ai/duplex/realtime"
)

// OutboxSize bounds what waits to be written: 10 s of 20 ms appends.
const OutboxSize = 512

// RateLimitError is a 429 on the upgrade; RetryAfter is the server's wait.
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited (429), retry after %v", e.RetryAfter)
}

// Conn is one socket: Send queues, the reader dispatches; Done closes when
// the socket is gone and Err says why.
type Conn struct {
	ws   *websocket.Conn
	out  chan []byte
	done chan struct{}
	err  error // set before done closes
	once sync.Once
	// prefix starts the socket's own errors.
	prefix string
}

// ErrDialTimeout: no upgrade within DialOptions.Timeout.
var ErrDialTimeout = errors.New("no answer")

// DialOptions configure Dial.
type DialOptions struct {
	APIKey     string       // sent as Authorization: Bearer when set
	HTTPClient *http.Client // nil: http.DefaultClient
	// Timeout, when > 0, bounds the handshake on Clock (nil: the wall
	// clock), which also dates Retry-After.
	Timeout time.Duration
	Clock   clock.Clock
	// Owner, when set, is the context of what the socket will serve (a
	// call, an engine): its end abandons the dial too.
	Owner context.Context
}

// Dial upgrades to url. A 429 is a *RateLimitError; 401/403 say to check
// the key; no answer within the timeout is ErrDialTimeout.
func Dial(ctx context.Context, url string, o DialOptions) (*websocket.Conn, error) {
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	expired := false
	var mu sync.Mutex
	if o.Timeout > 0 {
		t := o.Clock.AfterFunc(o.Timeout, func() {
			mu.Lock()
			expired = true
			mu.Unlock()
			cancel()
		})
		defer t.Stop()
	}
	if o.Owner != nil {
		stop := context.AfterFunc(o.Owner, cancel)
		defer stop()
	}
	ws, err := dial(dctx, url, o)
	mu.Lock()
	timedOut := expired
	mu.Unlock()
	if err != nil && timedOut && ctx.Err() == nil && (o.Owner == nil || o.Owner.Err() == nil) {
		return nil, fmt.Errorf("connect: %w within %v", ErrDialTimeout, o.Timeout)
	}
	return ws, err
}

func dial(ctx context.Context, url string, o DialOptions) (*websocket.Conn, error) {
	h := http.Header{}
	if o.APIKey != "" {
		h.Set("Authorization", "Bearer "+o.APIKey)
	}
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: o.HTTPClient, HTTPHeader: h})
	if err != nil {
		if resp != nil {
			switch resp.StatusCode {
			case http.StatusTooManyRequests:
				return nil, &RateLimitError{RetryAfter: RetryAfter(resp.Header.Get("Retry-After"), o.Clock.Now())}
			case http.StatusUnauthorized, http.StatusForbidden:
				return nil, fmt.Errorf("%s: check the API key", resp.Status)
			}
			return nil, fmt.Errorf("connect: %s", resp.Status)
		}
		return nil, fmt.Errorf("connect: %w", err)
	}
	ws.SetReadLimit(16 << 20) // an audio delta or a session object
	return ws, nil
}

// RetryAfter reads Retry-After: seconds or an HTTP date (from now).
func RetryAfter(v string, now time.Time) time.Duration {
	if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && n >= 0 {
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now))
	}
	return time.Second
}

// Handlers are what Start calls from its reader goroutine.
type Handlers struct {
	// Prefix starts the socket's own error messages, e.g. "realtime".
	Prefix string
	// Event gets each parsed server event; Bad, when set, each unreadable
	// one (which is skipped); Lost, once, why the socket is gone.
	Event func(*Conn, wire.Event)
	Bad   func(error)
	Lost  func(*Conn, error)
}

// Start runs the writer and the reader of ws until it fails or ctx ends;
// both goroutines are counted in wg.
func Start(ctx context.Context, ws *websocket.Conn, wg *sync.WaitGroup, h Handlers) *Conn {
	c := &Conn{ws: ws, out: make(chan []byte, OutboxSize), done: make(chan struct{}), prefix: h.Prefix}
	wg.Add(2)
	go c.write(ctx, wg)
	go c.read(ctx, wg, h)
	return c
}

func (c *Conn) errorf(format string, a ...any) error {
	return fmt.Errorf(c.prefix+": "+format, a...)
}

// Fail closes the socket without a close handshake (it may run on a
// latency-critical goroutine); the first error wins.
func (c *Conn) Fail(err error) {
	c.once.Do(func() {
		c.err = err
		close(c.done)
		c.ws.CloseNow()
	})
}

// Done is closed once the socket is gone.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the socket is gone; nil while it is alive.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Alive reports whether the socket still works.
func (c *Conn) Alive() bool { return c.Err() == nil }

// Send queues one encoded event without blocking; a full outbox means the
// socket is stuck, so it is failed. It reports whether b was queued.
func (c *Conn) Send(b []byte) bool {
	select {
	case c.out <- b:
		return true
	case <-c.done:
		return false
	default:
		c.Fail(c.errorf("the socket is not keeping up"))
		return false
	}
}

// SendEvent marshals ev (its event_id from ids when empty) and queues it.
func (c *Conn) SendEvent(ev wire.Event, ids *wire.IDs) error {
	b, err := wire.Marshal(ev, ids)
	if err != nil {
		return err
	}
	if !c.Send(b) {
		return c.Err()
	}
	return nil
}

func (c *Conn) write(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case b := <-c.out:
			if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
				c.Fail(c.errorf("write: %w", err))
				return
			}
		case <-c.done:
			return
		case <-ctx.Done():
			c.Fail(ctx.Err())
			return
		}
	}
}

func (c *Conn) read(ctx context.Context, wg *sync.WaitGroup, h Handlers) {
	defer wg.Done()
	for {
		_, b, err := c.ws.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			} else if cs := websocket.CloseStatus(err); cs != -1 {
				err = c.errorf("the server closed the socket (%d)", cs)
			} else {
				err = c.errorf("connection lost: %w", err)
			}
			c.Fail(err)
			if h.Lost != nil {
				h.Lost(c, c.err)
			}
			return
		}
		ev, err := wire.ParseServerEvent(b)
		if err != nil {
			if h.Bad != nil {
				h.Bad(err)
			}
			continue
		}
		h.Event(c, ev)
	}
}
