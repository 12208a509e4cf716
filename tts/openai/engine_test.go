package openai

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/internal/oaihttp"
	"github.com/duplex-ai/duplex/tts"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// tone is n samples of a 440 Hz sine at 24 kHz, as s16le bytes.
func tone(n int) ([]int16, []byte) {
	pcm := make([]int16, n)
	b := make([]byte, 2*n)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/SampleRate))
		binary.LittleEndian.PutUint16(b[2*i:], uint16(pcm[i]))
	}
	return pcm, b
}

// server starts an httptest server for handler and an Engine pointed at its
// /v1, both closed at the end of the test.
func server(t *testing.T, handler http.HandlerFunc, opt Options) *Engine {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the whole request first: only then does the server watch the
		// connection, so r.Context() ends when the client goes away.
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		handler(w, r)
	}))
	opt.BaseURL = srv.URL + "/v1"
	e, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Close()
		srv.CloseClientConnections()
		srv.Close()
	})
	return e
}

// checkRequest verifies the request is what OpenAI expects.
func checkRequest(t *testing.T, r *http.Request, wantVoice string) {
	t.Helper()
	if r.Method != http.MethodPost || r.URL.Path != "/v1/audio/speech" {
		t.Errorf("request %s %s", r.Method, r.URL.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer sk-test" {
		t.Errorf("Authorization %q", got)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		t.Errorf("body: %v", err)
	}
	want := map[string]any{"model": "tts-1", "input": "Hello there.", "voice": wantVoice, "response_format": "pcm"}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("body[%q] = %v, want %v", k, body[k], v)
		}
	}
}

func readAll(t *testing.T, s tts.Stream) ([]int16, int, error) {
	t.Helper()
	var pcm []int16
	chunks := 0
	for {
		c, err := s.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return pcm, chunks, err
		}
		if len(c.PCM) == 0 || c.SampleRate != SampleRate {
			t.Fatalf("chunk of %d samples at %d Hz", len(c.PCM), c.SampleRate)
		}
		pcm = append(pcm, c.PCM...)
		chunks++
	}
}

func TestStreamOddBoundaries(t *testing.T) {
	want, body := tone(4800)
	e := server(t, func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, "nova")
		w.Header().Set("Content-Type", "audio/pcm")
		f := w.(http.Flusher)
		for i, size := 0, 1; i < len(body); size = size%7 + 2 { // 1, 3, 5, 7, 2, 4, … bytes
			end := min(i+size*97, len(body)) // odd multiples split samples
			w.Write(body[i:end])
			f.Flush()
			i = end
			time.Sleep(200 * time.Microsecond)
		}
	}, Options{APIKey: "sk-test"})
	if e.Name() != "openai:tts-1" {
		t.Errorf("Name %q", e.Name())
	}
	s, err := e.Synthesize(context.Background(), "Hello there.", tts.Options{Voice: "nova"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, chunks, err := readAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d samples, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("sample %d = %d, want %d", i, got[i], want[i])
		}
	}
	if chunks < 5 {
		t.Errorf("%d chunks: not streamed", chunks)
	}
}

func TestFirstChunkBeforeBodyEnds(t *testing.T) {
	_, body := tone(2400)
	release := make(chan struct{})
	e := server(t, func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, "alloy")
		w.Write(body[:1001]) // an odd count: half a sample waits
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Write(body[1001:])
	}, Options{APIKey: "sk-test"})
	s, err := e.Synthesize(context.Background(), "Hello there.", tts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.Next()
	if err != nil || len(c.PCM) == 0 || len(c.PCM) > 500 {
		t.Fatalf("first chunk: %d samples, %v", len(c.PCM), err)
	}
	close(release)
	rest, _, err := readAll(t, s)
	if err != nil || len(c.PCM)+len(rest) != 2400 {
		t.Fatalf("rest: %d samples, %v", len(rest), err)
	}
}

func TestHTTPErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		want       error
		msg        string
		retryAfter time.Duration
	}{
		{"401", 401, nil, `{"error":{"message":"Incorrect API key provided: sk-test.","type":"invalid_request_error","code":"invalid_api_key"}}`,
			ErrUnauthorized, "Incorrect API key provided", 0},
		{"429 retry-after", 429, map[string]string{"Retry-After": "7"}, `{"error":{"message":"Rate limit reached for tts-1","type":"requests","code":null}}`,
			ErrRateLimited, "Rate limit reached", 7 * time.Second},
		{"500", 500, nil, `{"error":{"message":"The server had an error while processing your request.","type":"server_error"}}`,
			ErrServer, "server had an error", 0},
		{"400 fastapi detail", 400, nil, `{"detail":"Voice 'zzz' not found"}`, ErrStatus, "Voice 'zzz' not found", 0},
		{"502 html", 502, map[string]string{"Content-Type": "text/html"}, "<html>Bad Gateway</html>", ErrServer, "Bad Gateway", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := server(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				if w.Header().Get("Content-Type") == "" {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}, Options{APIKey: "sk-test"})
			_, err := e.Synthesize(context.Background(), "Hello there.", tts.Options{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status || apiErr.RetryAfter != tt.retryAfter {
				t.Fatalf("APIError %+v", apiErr)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), "HTTP") {
				t.Fatalf("message %q lacks %q", err, tt.msg)
			}
			for _, other := range []error{ErrUnauthorized, ErrRateLimited, ErrServer, ErrStatus} {
				if other != tt.want && errors.Is(err, other) {
					t.Fatalf("err %v also matches %v", err, other)
				}
			}
		})
	}
}

func TestJSONBodyWith200(t *testing.T) {
	e := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"error":{"message":"wrong"}}`)
	}, Options{})
	if _, err := e.Synthesize(context.Background(), "Hello there.", tts.Options{}); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("err %v, want ErrBadResponse", err)
	}
}

func TestFirstByteTimeout(t *testing.T) {
	for _, where := range []string{"before headers", "after headers"} {
		t.Run(where, func(t *testing.T) {
			e := server(t, func(w http.ResponseWriter, r *http.Request) {
				if where == "after headers" {
					w.WriteHeader(200)
					w.(http.Flusher).Flush()
				}
				<-r.Context().Done() // stall until the client gives up
			}, Options{FirstByteTimeout: 100 * time.Millisecond})
			start := time.Now()
			s, err := e.Synthesize(context.Background(), "Hello there.", tts.Options{})
			if err == nil {
				_, err = s.Next()
				s.Close()
			}
			if !errors.Is(err, ErrFirstByteTimeout) {
				t.Fatalf("err %v, want ErrFirstByteTimeout", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

func TestTotalTimeout(t *testing.T) {
	_, body := tone(240)
	e := server(t, func(w http.ResponseWriter, r *http.Request) {
		for {
			w.Write(body) // a trickle that never ends
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}, Options{Timeout: 200 * time.Millisecond})
	s, err := e.Synthesize(context.Background(), "Hello there.", tts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _, err := readAll(t, s)
	if !errors.Is(err, ErrTimeout) || len(got) == 0 {
		t.Fatalf("%d samples, err %v; want audio then ErrTimeout", len(got), err)
	}
}

func TestDroppedMidStream(t *testing.T) {
	for _, framing := range []string{"chunked", "content-length"} {
		t.Run(framing, func(t *testing.T) {
			_, body := tone(4800)
			e := server(t, func(w http.ResponseWriter, r *http.Request) {
				if framing == "content-length" {
					w.Header().Set("Content-Length", "9600")
				}
				w.Write(body[:3000])
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler) // the server drops the connection
			}, Options{})
			s, err := e.Synthesize(context.Background(), "Hello there.", tts.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, _, err := readAll(t, s)
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("%d samples then %v, want ErrTruncated", len(got), err)
			}
		})
	}
}

func TestOddByteCount(t *testing.T) {
	e := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte{1, 2, 3})
	}, Options{})
	s, err := e.Synthesize(context.Background(), "Hello there.", tts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := readAll(t, s); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("err %v, want ErrBadResponse", err)
	}
}

func TestCancel(t *testing.T) {
	_, body := tone(240)
	for _, how := range []string{"context", "close", "context before headers"} {
		t.Run(how, func(t *testing.T) {
			e := server(t, func(w http.ResponseWriter, r *http.Request) {
				if how == "context before headers" {
					<-r.Context().Done()
					return
				}
				for {
					w.Write(body)
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
						return
					case <-time.After(5 * time.Millisecond):
					}
				}
			}, Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if how == "context before headers" {
				time.AfterFunc(50*time.Millisecond, cancel)
				if _, err := e.Synthesize(ctx, "Hello there.", tts.Options{}); !errors.Is(err, context.Canceled) {
					t.Fatalf("err %v, want context.Canceled", err)
				}
				return
			}
			s, err := e.Synthesize(ctx, "Hello there.", tts.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Next(); err != nil {
				t.Fatal(err)
			}
			want := context.Canceled
			if how == "close" {
				want = ErrClosed
				// Close while Next is blocked in a read, from another goroutine.
				time.AfterFunc(20*time.Millisecond, func() { s.Close() })
			} else {
				cancel()
			}
			start := time.Now()
			for {
				_, err := s.Next()
				if err == nil {
					continue
				}
				if !errors.Is(err, want) {
					t.Fatalf("err %v, want %v", err, want)
				}
				break
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("stopping took %v", d)
			}
			s.Close()
		})
	}
}

func TestOptionsAndInputErrors(t *testing.T) {
	for _, opt := range []Options{{}, {BaseURL: "ftp://x/v1"}, {BaseURL: "http:///v1"}, {BaseURL: "http://x/v1", Timeout: -1}} {
		if _, err := New(opt); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("New(%+v): %v, want ErrInvalidOption", opt, err)
		}
	}
	e, err := New(Options{BaseURL: "http://127.0.0.1:1/v1"}) // never contacted
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Synthesize(context.Background(), " \n", tts.Options{}); !errors.Is(err, ErrEmptyText) {
		t.Fatalf("empty text: %v", err)
	}
	e.Close()
	if _, err := e.Synthesize(context.Background(), "Hello there.", tts.Options{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"12":                            12 * time.Second,
		"-3":                            0,
		"soon":                          0,
		"Fri, 02 Jan 2026 03:04:35 GMT": 30 * time.Second,
		"Fri, 02 Jan 2026 03:00:00 GMT": 0,
	}
	for in, want := range tests {
		if got := oaihttp.ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
