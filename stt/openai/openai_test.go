package openai

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/stt"
)

// upload is what the fake server saw.
type upload struct {
	auth, model, language, format, prompt string
	filename, ctype                       string
	rate, channels, bits                  int
	samples                               []int16
}

// parseUpload parses the multipart form for real and checks the WAV.
func parseUpload(r *http.Request) (upload, error) {
	var u upload
	if r.Method != http.MethodPost || r.URL.Path != "/v1/audio/transcriptions" {
		return u, fmt.Errorf("%s %s", r.Method, r.URL.Path)
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		return u, err
	}
	defer r.MultipartForm.RemoveAll()
	u.auth = r.Header.Get("Authorization")
	u.model, u.language, u.format, u.prompt = r.FormValue("model"), r.FormValue("language"), r.FormValue("response_format"), r.FormValue("prompt")
	f, fh, err := r.FormFile("file")
	if err != nil {
		return u, err
	}
	defer f.Close()
	u.filename, u.ctype = fh.Filename, fh.Header.Get("Content-Type")
	b, err := io.ReadAll(f)
	if err != nil {
		return u, err
	}
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" || string(b[12:16]) != "fmt " || string(b[36:40]) != "data" {
		return u, fmt.Errorf("not a canonical WAV header: %q", b[:min(len(b), 44)])
	}
	le := binary.LittleEndian
	if int(le.Uint32(b[4:])) != len(b)-8 || le.Uint16(b[20:]) != 1 {
		return u, fmt.Errorf("RIFF size %d for %d bytes, format %d", le.Uint32(b[4:]), len(b), le.Uint16(b[20:]))
	}
	u.channels, u.rate, u.bits = int(le.Uint16(b[22:])), int(le.Uint32(b[24:])), int(le.Uint16(b[34:]))
	if le.Uint32(b[28:]) != uint32(u.rate*2) || le.Uint16(b[32:]) != 2 {
		return u, fmt.Errorf("byte rate / block align wrong")
	}
	n := int(le.Uint32(b[40:]))
	if n != len(b)-44 {
		return u, fmt.Errorf("data size %d for %d bytes", n, len(b)-44)
	}
	for i := 44; i+1 < len(b); i += 2 {
		u.samples = append(u.samples, int16(le.Uint16(b[i:])))
	}
	return u, nil
}

func server(t *testing.T, h http.HandlerFunc) Options {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return Options{BaseURL: srv.URL + "/v1", APIKey: "sk-test", HTTPClient: srv.Client()}
}

func engine(t *testing.T, o Options) *Engine {
	t.Helper()
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// ramp is n samples of a recognizable pattern.
func ramp(n int) []int16 {
	p := make([]int16, n)
	for i := range p {
		p[i] = int16(i*37 - 16000)
	}
	return p
}

// feed writes pcm in 20 ms frames, as the dialogue engine does.
func feed(t *testing.T, s stt.Stream, pcm []int16) {
	t.Helper()
	for len(pcm) > 0 {
		k := min(320, len(pcm))
		if err := s.Write(pcm[:k]); err != nil {
			t.Fatal(err)
		}
		pcm = pcm[k:]
	}
}

func TestTranscribe(t *testing.T) {
	got := make(chan upload, 1)
	o := server(t, func(w http.ResponseWriter, r *http.Request) {
		u, err := parseUpload(r)
		if err != nil {
			http.Error(w, `{"error":{"message":"`+err.Error()+`"}}`, 400)
			return
		}
		got <- u
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"text":" What time is it? "}`)
	})
	o.Language = "de"
	o.Prompt = "Duplex"
	e := engine(t, o)
	if e.Name() != "openai:whisper-1" {
		t.Fatal(e.Name())
	}
	s, err := e.NewStream(context.Background(), stt.StreamOptions{Language: "en-US"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pcm := ramp(stt.SampleRate * 3 / 2) // 1.5 s
	feed(t, s, pcm)
	if s.Partial() != "" {
		t.Fatal("Partial not empty")
	}
	res, err := s.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "What time is it?" || res.Confidence != -1 {
		t.Fatalf("result %+v", res)
	}
	u := <-got
	if u.auth != "Bearer sk-test" || u.model != "whisper-1" || u.language != "en" || u.format != "json" || u.prompt != "Duplex" {
		t.Fatalf("fields %+v", u)
	}
	if u.filename != "audio.wav" || u.ctype != "audio/wav" || u.rate != 16000 || u.channels != 1 || u.bits != 16 {
		t.Fatalf("file %+v", u)
	}
	if len(u.samples) != len(pcm) {
		t.Fatalf("%d samples uploaded, want %d", len(u.samples), len(pcm))
	}
	for i := range pcm {
		if u.samples[i] != pcm[i] {
			t.Fatalf("sample %d: %d, want %d", i, u.samples[i], pcm[i])
		}
	}
	if _, err := s.Finish(context.Background()); !errors.Is(err, ErrFinished) {
		t.Fatalf("second Finish: %v", err)
	}
	if err := s.Write(pcm[:10]); !errors.Is(err, ErrFinished) {
		t.Fatalf("Write after Finish: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(pcm[:10]); !errors.Is(err, stt.ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
}

func TestResponseForms(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		want              string
		err               error
	}{
		{"json", "application/json", `{"text":"hello"}`, "hello", nil},
		{"json with extras", "application/json", `{"text":"hi","language":"en","duration":1.5,"segments":[]}`, "hi", nil},
		{"plain text", "text/plain; charset=utf-8", "  hello there\n", "hello there", nil},
		{"blank audio marker", "application/json", `{"text":" [BLANK_AUDIO]"}`, "", nil},
		{"silence markers", "application/json", `{"text":"(silence) [Music]"}`, "", nil},
		{"empty", "application/json", `{"text":""}`, "", nil},
		{"no text field", "application/json", `{"foo":1}`, "", ErrBadResponse},
		{"garbage", "application/json", `<html>`, "", ErrBadResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := server(t, func(w http.ResponseWriter, r *http.Request) {
				if _, err := parseUpload(r); err != nil {
					http.Error(w, err.Error(), 400)
					return
				}
				w.Header().Set("Content-Type", tc.ctype)
				_, _ = io.WriteString(w, tc.body)
			})
			o.APIKey = ""
			s, _ := engine(t, o).NewStream(context.Background(), stt.StreamOptions{})
			defer s.Close()
			feed(t, s, ramp(8000))
			res, err := s.Finish(context.Background())
			if !errors.Is(err, tc.err) || (err == nil && res.Text != tc.want) {
				t.Fatalf("got %+v, %v; want %q, %v", res, err, tc.want, tc.err)
			}
		})
	}
}

func TestShortAudioIsNotSent(t *testing.T) {
	o := server(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("request sent for too little audio")
	})
	for _, n := range []int{0, 1000} {
		s, _ := engine(t, o).NewStream(context.Background(), stt.StreamOptions{})
		feed(t, s, ramp(n))
		res, err := s.Finish(context.Background())
		if err != nil || res.Text != "" || res.Confidence != -1 {
			t.Fatalf("%d samples: %+v %v", n, res, err)
		}
		_ = s.Close()
	}
}

func TestTooLong(t *testing.T) {
	o := server(t, func(w http.ResponseWriter, r *http.Request) {
		u, err := parseUpload(r)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		fmt.Fprintf(w, `{"text":"%d"}`, len(u.samples))
	})
	s, _ := engine(t, o).NewStream(context.Background(), stt.StreamOptions{})
	defer s.Close()
	full := 32 * stt.SampleRate
	feed(t, s, make([]int16, full)) // exactly the cap is fine
	if err := s.Write(make([]int16, 1)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("Write beyond 32 s: %v, want ErrTooLong", err)
	}
	res, err := s.Finish(context.Background())
	if err != nil || res.Text != fmt.Sprint(full) {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestHTTPErrors(t *testing.T) {
	for _, tc := range []struct {
		status   int
		header   string
		body     string
		sentinel error
		msg      string
		retry    time.Duration
	}{
		{401, "", `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`, ErrUnauthorized, "Incorrect API key provided", 0},
		{429, "3", `{"error":{"message":"Rate limit reached for whisper-1"}}`, ErrRateLimited, "Rate limit reached", 3 * time.Second},
		{500, "", `{"error":{"message":"Internal server error"}}`, ErrServer, "Internal server error", 0},
		{400, "", `{"detail":"Invalid language code"}`, ErrStatus, "Invalid language code", 0},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			o := server(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			s, _ := engine(t, o).NewStream(context.Background(), stt.StreamOptions{})
			defer s.Close()
			feed(t, s, ramp(16000))
			_, err := s.Finish(context.Background())
			var ae *APIError
			if !errors.Is(err, tc.sentinel) || !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.RetryAfter != tc.retry {
				t.Fatalf("err %v (%+v), want %v", err, ae, tc.sentinel)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), fmt.Sprint(tc.status)) {
				t.Fatalf("error %q lacks %q", err, tc.msg)
			}
		})
	}
}

// stallServer reads the upload, then answers nothing until the client
// goes away.
func stallServer(t *testing.T) Options {
	return server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
}

func TestStallTimesOut(t *testing.T) {
	o := stallServer(t)
	o.FirstByteTimeout = 150 * time.Millisecond
	s, _ := engine(t, o).NewStream(context.Background(), stt.StreamOptions{})
	defer s.Close()
	feed(t, s, ramp(16000))
	start := time.Now()
	_, err := s.Finish(context.Background())
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestCancel(t *testing.T) {
	t.Run("Finish ctx", func(t *testing.T) {
		s, _ := engine(t, stallServer(t)).NewStream(context.Background(), stt.StreamOptions{})
		defer s.Close()
		feed(t, s, ramp(16000))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := s.Finish(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want DeadlineExceeded", err)
		}
	})
	t.Run("stream ctx during Finish", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s, _ := engine(t, stallServer(t)).NewStream(ctx, stt.StreamOptions{})
		defer s.Close()
		feed(t, s, ramp(16000))
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		if _, err := s.Finish(context.Background()); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want Canceled", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("took %v", d)
		}
	})
	t.Run("stream ctx before Write", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		s, _ := engine(t, stallServer(t)).NewStream(ctx, stt.StreamOptions{})
		defer s.Close()
		cancel()
		if err := s.Write(ramp(10)); !errors.Is(err, context.Canceled) {
			t.Fatalf("Write: %v", err)
		}
		if _, err := engine(t, stallServer(t)).NewStream(ctx, stt.StreamOptions{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("NewStream: %v", err)
		}
	})
}

func TestNewOptions(t *testing.T) {
	for _, o := range []Options{{BaseURL: "localhost:8000"}, {BaseURL: "ws://x/v1"}, {MaxDuration: -1}} {
		if _, err := New(o); !errors.Is(err, ErrInvalidOption) {
			t.Fatalf("New(%+v): %v", o, err)
		}
	}
	e, err := New(Options{BaseURL: "https://api.groq.com/openai/v1/", Model: "whisper-large-v3"})
	if err != nil || e.endpoint != "https://api.groq.com/openai/v1/audio/transcriptions" || e.Name() != "openai:whisper-large-v3" {
		t.Fatalf("%+v %v", e, err)
	}
	for in, want := range map[string]string{"en-US": "en", "zh_Hans": "zh", "DE": "de", "": "", "yue": "yue"} {
		if got := isoLanguage(in); got != want {
			t.Fatalf("%q: %q", in, got)
		}
	}
}
