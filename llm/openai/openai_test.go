package openai

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/llm"
)

// chunk renders one chat.completion.chunk event.
func chunk(content string) string {
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m",
		"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": content}, "finish_reason": nil}},
	})
	return "data: " + string(b) + "\n\n"
}

const finishChunk = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n"

// server starts an httptest server (127.0.0.1) and options pointing at it.
func server(t *testing.T, h http.HandlerFunc) Options {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the whole body first, as real servers do: only then does
		// net/http notice a client that hangs up (r.Context() ends).
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return Options{BaseURL: srv.URL + "/v1", APIKey: "sk-test", Model: "test-model", HTTPClient: srv.Client()}
}

func engine(t *testing.T, o Options) *Engine {
	t.Helper()
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func userReq(text string) llm.Request {
	return llm.Request{History: []llm.Message{{Role: llm.RoleUser, Text: text}}, Now: time.Unix(1700000000, 0)}
}

// collect reads the stream to its end.
func collect(s llm.Stream) (string, error) {
	var b strings.Builder
	for {
		d, err := s.Next()
		if errors.Is(err, io.EOF) {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
		b.WriteString(d)
	}
}

// writeSplit writes s in pieces of n bytes, flushing after each, so events
// and lines arrive split across TCP reads.
func writeSplit(w http.ResponseWriter, s string, n int) {
	f := w.(http.Flusher)
	for len(s) > 0 {
		k := min(n, len(s))
		_, _ = io.WriteString(w, s[:k])
		f.Flush()
		s = s[k:]
		time.Sleep(100 * time.Microsecond)
	}
}

func sseHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
}

func TestStreamParsesRealFormat(t *testing.T) {
	words := []string{"Hello", " there", ",", " friend", "! ", "How", " are", " you", "?"}
	var body strings.Builder
	body.WriteString(": keep-alive\n\n")
	body.WriteString(`data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}` + "\n\n")
	for i, w := range words {
		body.WriteString(chunk(w))
		if i == 3 {
			body.WriteString(": keep-alive\n\n")
			// A usage-only chunk with no choices, as OpenAI sends with
			// include_usage, and a null content as llama.cpp sends.
			body.WriteString(`data: {"choices":[],"usage":{"total_tokens":9}}` + "\n\n")
			body.WriteString(`data: {"choices":[{"index":0,"delta":{"content":null}}]}` + "\n\n")
		}
	}
	body.WriteString(finishChunk)
	body.WriteString("data: [DONE]\n\n")
	want := strings.Join(words, "")

	for _, tc := range []struct {
		name  string
		split int
		crlf  bool
	}{
		{"whole", 1 << 20, false},
		{"7-byte reads", 7, false},
		{"1-byte reads", 1, false},
		{"CRLF 5-byte reads", 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := body.String()
			if tc.crlf {
				payload = strings.ReplaceAll(payload, "\n", "\r\n")
			}
			o := server(t, func(w http.ResponseWriter, r *http.Request) {
				sseHeaders(w)
				writeSplit(w, payload, tc.split)
			})
			s, err := engine(t, o).Stream(context.Background(), userReq("hi"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var deltas []string
			for {
				d, err := s.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("Next: %v", err)
				}
				if d == "" {
					t.Fatal("empty delta")
				}
				deltas = append(deltas, d)
			}
			if got := strings.Join(deltas, ""); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
			if len(deltas) != len(words) {
				t.Fatalf("got %d deltas, want %d (streamed, not buffered)", len(deltas), len(words))
			}
			if _, err := s.Next(); !errors.Is(err, io.EOF) {
				t.Fatalf("Next after end: %v, want io.EOF", err)
			}
		})
	}
}

func TestMultiLineDataAndUnterminatedDone(t *testing.T) {
	// One JSON object spread over two data lines (joined with "\n", which
	// is whitespace to JSON), an "event:" field, and [DONE] without the
	// final blank line.
	payload := "event: message\ndata: {\"choices\":[{\"index\":0,\n" +
		"data: \"delta\":{\"content\":\"Hi\"}}]}\n\n" +
		"id: 7\nretry: 100\ndata: [DONE]"
	o := server(t, func(w http.ResponseWriter, r *http.Request) {
		sseHeaders(w)
		writeSplit(w, payload, 3)
	})
	s, err := engine(t, o).Stream(context.Background(), userReq("hi"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := collect(s)
	if err != nil || got != "Hi" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestRequestBody(t *testing.T) {
	jpg := testJPEG(t)
	type seen struct {
		auth, ctype, accept, path string
		body                      map[string]any
	}
	got := make(chan seen, 1)
	handler := func(w http.ResponseWriter, r *http.Request) {
		var s seen
		s.auth, s.ctype, s.accept, s.path = r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Header.Get("Accept"), r.URL.Path
		if err := json.NewDecoder(r.Body).Decode(&s.body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		got <- s
		sseHeaders(w)
		_, _ = io.WriteString(w, chunk("ok")+"data: [DONE]\n\n")
	}
	t0 := time.Date(2025, 3, 4, 15, 7, 0, 0, time.UTC)
	req := llm.Request{
		History: []llm.Message{
			{Role: llm.RoleUser, Text: "tell me a story", At: t0},
			{Role: llm.RoleAssistant, Text: "Once upon a time", Interrupted: true, At: t0},
			{Role: llm.RoleUser, Text: "what is this", At: t0},
		},
		Image: &llm.Image{JPEG: jpg, Captured: t0},
		Now:   t0,
	}
	temp := 0.3

	t.Run("defaults with image", func(t *testing.T) {
		o := server(t, handler)
		o.Model = ""
		o.Temperature = &temp
		o.MaxTokens = 200
		e := engine(t, o)
		if e.Name() != "openai:gpt-4o-mini" {
			t.Fatalf("Name %q", e.Name())
		}
		s, err := e.Stream(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if text, err := collect(s); err != nil || text != "ok" {
			t.Fatalf("%q %v", text, err)
		}
		r := <-got
		if r.path != "/v1/chat/completions" || r.auth != "Bearer sk-test" || r.ctype != "application/json" || r.accept != "text/event-stream" {
			t.Fatalf("request line/headers: %+v", r)
		}
		b := r.body
		if b["model"] != "gpt-4o-mini" || b["stream"] != true || b["temperature"] != 0.3 || b["max_tokens"] != 200.0 {
			t.Fatalf("body fields: %v", b)
		}
		msgs := b["messages"].([]any)
		if len(msgs) != 4 {
			t.Fatalf("%d messages: %v", len(msgs), msgs)
		}
		m0 := msgs[0].(map[string]any)
		if m0["role"] != "system" || m0["content"] != DefaultSystemPrompt {
			t.Fatalf("first message %v, want the default system prompt", m0)
		}
		m2 := msgs[2].(map[string]any)
		if m2["role"] != "assistant" || m2["content"] != "Once upon a time [interrupted by the user]" {
			t.Fatalf("interrupted turn %v", m2)
		}
		parts := msgs[3].(map[string]any)["content"].([]any)
		if msgs[3].(map[string]any)["role"] != "user" || len(parts) != 2 {
			t.Fatalf("last message %v", msgs[3])
		}
		p0, p1 := parts[0].(map[string]any), parts[1].(map[string]any)
		if p0["type"] != "text" || p0["text"] != "what is this" || p1["type"] != "image_url" {
			t.Fatalf("parts %v", parts)
		}
		url := p1["image_url"].(map[string]any)["url"].(string)
		const prefix = "data:image/jpeg;base64,"
		if !strings.HasPrefix(url, prefix) {
			t.Fatalf("image url %.40q", url)
		}
		dec, err := base64.StdEncoding.DecodeString(url[len(prefix):])
		if err != nil || !bytes.Equal(dec, jpg) {
			t.Fatalf("image bytes differ (%v)", err)
		}
	})

	t.Run("frames across the turn", func(t *testing.T) {
		o := server(t, handler)
		r3 := req
		f := func(b byte, at time.Time) *llm.Image {
			return &llm.Image{JPEG: append([]byte{b}, jpg...), Captured: at}
		}
		last := f(3, t0.Add(2*time.Second))
		r3.Frames = []*llm.Image{f(1, t0), f(2, t0.Add(time.Second)), last}
		r3.Image = last
		s, err := engine(t, o).Stream(context.Background(), r3)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := collect(s); err != nil {
			t.Fatal(err)
		}
		msgs := (<-got).body["messages"].([]any)
		parts := msgs[len(msgs)-1].(map[string]any)["content"].([]any)
		if len(parts) != 4 {
			t.Fatalf("%d parts, want text and three pictures (the last not twice)", len(parts))
		}
		for i, want := range []byte{1, 2, 3} {
			url := parts[i+1].(map[string]any)["image_url"].(map[string]any)["url"].(string)
			dec, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(url, "data:image/jpeg;base64,"))
			if err != nil || len(dec) == 0 || dec[0] != want {
				t.Fatalf("part %d is not frame %d (%v)", i+1, want, err)
			}
		}
	})

	t.Run("custom system, no key, decoded-only image, unmarked", func(t *testing.T) {
		o := server(t, handler)
		o.APIKey = ""
		o.InterruptedMarker = NoMarker
		r2 := req
		r2.System = "Be terse."
		r2.Image = &llm.Image{Decoded: solid(64, 48, color.RGBA{0, 0, 255, 255})}
		s, err := engine(t, o).Stream(context.Background(), r2)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := collect(s); err != nil {
			t.Fatal(err)
		}
		r := <-got
		if r.auth != "" {
			t.Fatalf("Authorization %q sent without a key", r.auth)
		}
		msgs := r.body["messages"].([]any)
		if msgs[0].(map[string]any)["content"] != "Be terse." || r.body["model"] != "test-model" {
			t.Fatalf("system/model: %v", r.body)
		}
		if _, ok := r.body["temperature"]; ok {
			t.Fatal("temperature sent though unset")
		}
		if msgs[2].(map[string]any)["content"] != "Once upon a time" {
			t.Fatalf("unmarked interrupted turn %v", msgs[2])
		}
		url := msgs[3].(map[string]any)["content"].([]any)[1].(map[string]any)["image_url"].(map[string]any)["url"].(string)
		dec, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(url, "data:image/jpeg;base64,"))
		if _, err := jpeg.Decode(bytes.NewReader(dec)); err != nil {
			t.Fatalf("encoded snapshot is not a JPEG: %v", err)
		}
	})
}

func TestBuildMessagesMergesAndSkips(t *testing.T) {
	h := []llm.Message{
		{Role: llm.RoleUser, Text: "one"},
		{Role: llm.RoleAssistant, Text: ""}, // nothing heard, unmarked: skipped
		{Role: llm.RoleUser, Text: "two"},
		{Role: llm.RoleAssistant, Text: "", Interrupted: true},
		{Role: llm.RoleUser, Text: "three"},
	}
	msgs, err := buildMessages(llm.Request{History: h}, "sys", DefaultInterruptedMarker)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, fmt.Sprintf("%s:%v", m.Role, m.Content))
	}
	want := []string{"system:sys", "user:one\ntwo", "assistant:[interrupted by the user]", "user:three"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	for _, bad := range [][]llm.Message{nil, {{Role: llm.RoleUser, Text: "a"}, {Role: llm.RoleAssistant, Text: "b"}}} {
		if _, err := buildMessages(llm.Request{History: bad}, "s", ""); !errors.Is(err, llm.ErrNoUserTurn) {
			t.Fatalf("history %v: %v, want ErrNoUserTurn", bad, err)
		}
	}
}

func TestHTTPErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		header   map[string]string
		body     string
		sentinel error
		msg      string
		retry    time.Duration
	}{
		{"401", 401, nil, `{"error":{"message":"Incorrect API key provided: sk-test.","type":"invalid_request_error","code":"invalid_api_key"}}`, ErrUnauthorized, "Incorrect API key", 0},
		{"429", 429, map[string]string{"Retry-After": "7"}, `{"error":{"message":"Rate limit reached","type":"requests","code":null}}`, ErrRateLimited, "Rate limit reached", 7 * time.Second},
		{"500", 500, nil, `{"error":{"message":"The server had an error","type":"server_error"}}`, ErrServer, "The server had an error", 0},
		{"503 html", 503, nil, `<html><body>Bad gateway</body></html>`, ErrServer, "", 0},
		{"404 ollama", 404, nil, `{"error":"model \"llama9\" not found, try pulling it first"}`, ErrStatus, `model "llama9" not found`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := server(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			_, err := engine(t, o).Stream(context.Background(), userReq("hi"))
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err %v, want %v", err, tc.sentinel)
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.RetryAfter != tc.retry {
				t.Fatalf("APIError %+v", ae)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), fmt.Sprint(tc.status)) {
				t.Fatalf("error %q lacks status or %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), "<html>") {
				t.Fatalf("HTML leaked into the error: %q", err)
			}
		})
	}
}

func TestStallBeforeFirstByte(t *testing.T) {
	for _, headersFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("headersFirst=%v", headersFirst), func(t *testing.T) {
			o := server(t, func(w http.ResponseWriter, r *http.Request) {
				if headersFirst {
					sseHeaders(w)
					w.(http.Flusher).Flush()
				}
				<-r.Context().Done()
			})
			o.FirstByteTimeout = 150 * time.Millisecond
			start := time.Now()
			s, err := engine(t, o).Stream(context.Background(), userReq("hi"))
			if err == nil {
				defer s.Close()
				_, err = collect(s)
			}
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("err %v, want ErrTimeout", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

func TestIdleAndTotalTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*Options)
		want string
	}{
		{"idle", func(o *Options) { o.IdleTimeout = 150 * time.Millisecond }, "stalled"},
		{"total", func(o *Options) { o.Timeout = 300 * time.Millisecond }, "no complete response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := server(t, func(w http.ResponseWriter, r *http.Request) {
				sseHeaders(w)
				_, _ = io.WriteString(w, chunk("Hello"))
				w.(http.Flusher).Flush()
				if tc.name == "total" {
					// Keep trickling so only the total timeout can fire.
					for {
						select {
						case <-r.Context().Done():
							return
						case <-time.After(20 * time.Millisecond):
							_, _ = io.WriteString(w, ": keep-alive\n\n")
							w.(http.Flusher).Flush()
						}
					}
				}
				<-r.Context().Done()
			})
			tc.set(&o)
			s, err := engine(t, o).Stream(context.Background(), userReq("hi"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := collect(s)
			if got != "Hello" || !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestDroppedStream(t *testing.T) {
	t.Run("clean close without DONE", func(t *testing.T) {
		o := server(t, func(w http.ResponseWriter, r *http.Request) {
			sseHeaders(w)
			_, _ = io.WriteString(w, chunk("Half a")+`data: {"choices":[{"index":0,"delta":{"content":" sent`)
		})
		s, err := engine(t, o).Stream(context.Background(), userReq("hi"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		got, err := collect(s)
		if got != "Half a" || !errors.Is(err, ErrIncomplete) {
			t.Fatalf("got %q, %v; want ErrIncomplete", got, err)
		}
	})
	t.Run("connection reset", func(t *testing.T) {
		o := server(t, func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			ev := chunk("Half")
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(ev), ev)
			_ = buf.Flush()
		})
		s, err := engine(t, o).Stream(context.Background(), userReq("hi"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		got, err := collect(s)
		if got != "Half" || err == nil || errors.Is(err, io.EOF) {
			t.Fatalf("got %q, %v; want an error", got, err)
		}
	})
	t.Run("finish_reason then close is complete", func(t *testing.T) {
		o := server(t, func(w http.ResponseWriter, r *http.Request) {
			sseHeaders(w)
			_, _ = io.WriteString(w, chunk("Done.")+finishChunk)
		})
		s, err := engine(t, o).Stream(context.Background(), userReq("hi"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got, err := collect(s); got != "Done." || err != nil {
			t.Fatalf("got %q, %v", got, err)
		}
	})
}

func TestStreamErrorsInBand(t *testing.T) {
	for _, tc := range []struct {
		name, payload string
		want          error
	}{
		{"error object", chunk("A") + `data: {"error":{"message":"context length exceeded"}}` + "\n\n", ErrStreamError},
		{"event error", chunk("A") + "event: error\ndata: {\"message\":\"overloaded\"}\n\n", ErrStreamError},
		{"bad json", chunk("A") + "data: {not json}\n\n", ErrBadResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := server(t, func(w http.ResponseWriter, r *http.Request) {
				sseHeaders(w)
				_, _ = io.WriteString(w, tc.payload)
			})
			s, err := engine(t, o).Stream(context.Background(), userReq("hi"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := collect(s)
			if got != "A" || !errors.Is(err, tc.want) {
				t.Fatalf("got %q, %v; want %v", got, err, tc.want)
			}
			if _, again := s.Next(); !errors.Is(again, tc.want) {
				t.Fatalf("error not sticky: %v", again)
			}
		})
	}
}

func TestNonStreamingJSONAnswer(t *testing.T) {
	o := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, `{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Whole answer."},"finish_reason":"stop"}]}`)
	})
	s, err := engine(t, o).Stream(context.Background(), userReq("hi"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := collect(s); got != "Whole answer." || err != nil {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestCancelMidStream(t *testing.T) {
	handlerDone := make(chan struct{})
	o := server(t, func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerDone)
		sseHeaders(w)
		for i := 0; ; i++ {
			_, _ = io.WriteString(w, chunk(fmt.Sprintf("w%d ", i)))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := engine(t, o).Stream(ctx, userReq("tell me a story"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 3; i++ {
		if _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	start := time.Now()
	for {
		_, err := s.Next()
		if err == nil {
			continue // deltas already buffered may still come out
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		break
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("cancel took %v", d)
	}
	select {
	case <-handlerDone:
	case <-time.After(5 * time.Second):
		t.Fatal("server kept streaming after cancel")
	}
}

func TestCloseUnblocksNext(t *testing.T) {
	o := server(t, func(w http.ResponseWriter, r *http.Request) {
		sseHeaders(w)
		_, _ = io.WriteString(w, chunk("A"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	s, err := engine(t, o).Stream(context.Background(), userReq("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := s.Next(); d != "A" || err != nil {
		t.Fatalf("%q %v", d, err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := s.Next()
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after Close: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next still blocked after Close")
	}
}

func TestCancelledBeforeResponse(t *testing.T) {
	o := server(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := engine(t, o).Stream(ctx, userReq("hi"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the caller's DeadlineExceeded", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{BaseURL: "localhost:11434/v1"}, {BaseURL: "ftp://x/v1"}, {MaxTokens: -1}} {
		if _, err := New(o); !errors.Is(err, ErrInvalidOption) {
			t.Fatalf("New(%+v): %v, want ErrInvalidOption", o, err)
		}
	}
	e, err := New(Options{BaseURL: "http://localhost:11434/v1/"})
	if err != nil || e.endpoint != "http://localhost:11434/v1/chat/completions" {
		t.Fatalf("%v %v", e, err)
	}
}

func solid(w, h int, c color.Color) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

func testJPEG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, solid(32, 24, color.RGBA{200, 30, 30, 255}), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
