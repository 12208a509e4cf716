package oaihttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func serve(t *testing.T, h http.HandlerFunc) (*httptest.Server, *http.Request) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/x", bytes.NewReader([]byte("{}")))
	if err != nil {
		t.Fatal(err)
	}
	Authorize(req, "k")
	return srv, req
}

func TestDoOK(t *testing.T) {
	srv, req := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			w.WriteHeader(401)
			return
		}
		_, _ = io.WriteString(w, "hello")
	})
	resp, err := Do(context.Background(), srv.Client(), req, Timeouts{FirstByte: time.Second, Idle: time.Second, Total: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != "hello" || resp.StatusCode != 200 {
		t.Fatalf("%q %v", b, err)
	}
	_ = resp.Close()
	if _, err := resp.Body.Read(make([]byte, 1)); err == nil {
		t.Fatal("Read after Close succeeded")
	}
}

func TestDoNon2xx(t *testing.T) {
	srv, req := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(429)
		_, _ = io.WriteString(w, `{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`)
	})
	req.URL.User = nil
	req.URL.RawQuery = "key=secret"
	_, err := Do(context.Background(), srv.Client(), req, Timeouts{})
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrRateLimited) || ae.RetryAfter != 2*time.Second || ae.Code != "rate_limit_exceeded" {
		t.Fatalf("%v %+v", err, ae)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("query string leaked: %q", err)
	}
}

// A consumer that pauses between reads longer than Idle is not a stalled
// server: the idle timer only runs while a Read waits.
func TestIdleCountsOnlyWhileReading(t *testing.T) {
	srv, req := serve(t, func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 3; i++ {
			_, _ = io.WriteString(w, "x")
			w.(http.Flusher).Flush()
		}
	})
	resp, err := Do(context.Background(), srv.Client(), req, Timeouts{Idle: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	time.Sleep(200 * time.Millisecond)
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != "xxx" {
		t.Fatalf("%q %v", b, err)
	}
}

func TestDoTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    Timeouts
		h    http.HandlerFunc
		want string
	}{
		{"first byte, no headers", Timeouts{FirstByte: 100 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, "no response within"},
		{"first byte, headers only", Timeouts{FirstByte: 100 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, "no response within"},
		{"idle", Timeouts{FirstByte: time.Second, Idle: 100 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "x")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, "stalled"},
		{"total", Timeouts{Total: 200 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			for {
				_, _ = io.WriteString(w, "x")
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}, "no complete response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, req := serve(t, tc.h)
			start := time.Now()
			resp, err := Do(context.Background(), srv.Client(), req, tc.t)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				_ = resp.Close()
			}
			if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want ErrTimeout %q", err, tc.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

func TestDoCallerCancel(t *testing.T) {
	srv, req := serve(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "x")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := Do(ctx, srv.Client(), req, Timeouts{Idle: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = io.ReadAll(resp.Body)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err %v, want the caller's Canceled", err)
	}
}

func TestOrDefault(t *testing.T) {
	for _, c := range [][3]time.Duration{{0, 5, 5}, {-1, 5, 0}, {3, 5, 3}} {
		if got := OrDefault(c[0], c[1]); got != c[2] {
			t.Errorf("OrDefault(%v, %v) = %v, want %v", c[0], c[1], got, c[2])
		}
	}
}
