// Package fakeoai is an OpenAI-compatible model server for benchmarks and
// tests, with the delays of a hosted model: POST /v1/audio/transcriptions
// (a multipart WAV upload answered {"text": …} TranscribeDelay after the
// upload ended), /v1/chat/completions (stream: chat.completion.chunk
// server-sent events, the first token FirstTokenDelay after the request,
// then one word every TokenInterval, then [DONE]) and /v1/audio/speech
// (response_format pcm: raw 24 kHz s16le, its first bytes FirstAudioDelay
// after the request, voiced by a real synthesizer). It listens on
// loopback only.
package fakeoai

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/internal/fakekit"
	"github.com/duplex-ai/duplex/internal/wav"
	"github.com/duplex-ai/duplex/tts"
)

// SpeechRate is the rate of response_format "pcm" (OpenAI: 24 kHz s16le).
const SpeechRate = 24000

// Options configure the server. Zero delays answer at once.
type Options struct {
	// TTS voices /audio/speech (espeak-ng in benchmarks); nil answers it
	// with 404.
	TTS tts.Engine
	// TranscribeDelay runs from the end of the upload to the transcript.
	TranscribeDelay time.Duration
	// FirstTokenDelay runs from the chat request to its first token;
	// TokenInterval between later tokens (a word each; default 15 ms,
	// about 65 tokens/s).
	FirstTokenDelay time.Duration
	TokenInterval   time.Duration
	// FirstAudioDelay runs from the speech request to its first audio
	// (or the synthesis time, if longer); the rest follows at once.
	FirstAudioDelay time.Duration
	// Transcribe hears an upload (16-bit PCM at rate); default "".
	Transcribe func(pcm []int16, rate int) string
	// Reply makes the answer to the last user message; default
	// "You said: <words>."
	Reply func(user string) string
}

// Stats counts the requests served.
type Stats struct {
	Transcriptions, Chats, Speeches int
	// UploadedAudio is the audio of all transcription uploads.
	UploadedAudio time.Duration
}

// Server is a running fake.
type Server struct {
	opt Options
	hs  *httptest.Server

	mu    sync.Mutex
	stats Stats
}

// Start serves on a loopback port until Close.
func Start(opt Options) *Server {
	if opt.TokenInterval == 0 {
		opt.TokenInterval = 15 * time.Millisecond
	}
	s := &Server{opt: opt}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/audio/transcriptions", s.transcribe)
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /v1/audio/speech", s.speech)
	s.hs = httptest.NewServer(mux)
	return s
}

// URL is the API root to give a client as its base URL (".../v1").
func (s *Server) URL() string { return s.hs.URL + "/v1" }

// Close stops the server and waits for its handlers.
func (s *Server) Close() { s.hs.Close() }

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Server) transcribe(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		fakekit.WriteError(w, http.StatusBadRequest, "", "want multipart/form-data: "+err.Error())
		return
	}
	var audio []byte
	fields := map[string]string{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fakekit.WriteError(w, http.StatusBadRequest, "", "reading the upload: "+err.Error())
			return
		}
		b, err := io.ReadAll(io.LimitReader(p, 64<<20))
		if err != nil {
			fakekit.WriteError(w, http.StatusBadRequest, "", "reading the upload: "+err.Error())
			return
		}
		if p.FormName() == "file" {
			audio = b
		} else {
			fields[p.FormName()] = string(b)
		}
	}
	// The upload has ended here.
	if audio == nil || fields["model"] == "" {
		fakekit.WriteError(w, http.StatusBadRequest, "", "file and model are required")
		return
	}
	pcm, rate, err := wav.Read(bytes.NewReader(audio))
	if err != nil {
		fakekit.WriteError(w, http.StatusBadRequest, "", "audio: "+err.Error())
		return
	}
	s.mu.Lock()
	s.stats.Transcriptions++
	s.stats.UploadedAudio += time.Duration(len(pcm)) * time.Second / time.Duration(rate)
	s.mu.Unlock()
	if !fakekit.Sleep(r.Context(), s.opt.TranscribeDelay) {
		return
	}
	text := ""
	if s.opt.Transcribe != nil {
		text = s.opt.Transcribe(pcm, rate)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"text": text})
}

type chatRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

// lastUser returns the text of the last user message (string content or
// its text parts).
func (c *chatRequest) lastUser() string {
	for i := len(c.Messages) - 1; i >= 0; i-- {
		m := c.Messages[i]
		if m.Role != "user" {
			continue
		}
		var s string
		if json.Unmarshal(m.Content, &s) == nil {
			return s
		}
		var parts []struct {
			Type, Text string
		}
		if json.Unmarshal(m.Content, &parts) == nil {
			var b strings.Builder
			for _, p := range parts {
				if p.Type == "text" {
					b.WriteString(p.Text)
				}
			}
			return b.String()
		}
		return ""
	}
	return ""
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req chatRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&req); err != nil {
		fakekit.WriteError(w, http.StatusBadRequest, "", "body: "+err.Error())
		return
	}
	if req.Model == "" || len(req.Messages) == 0 {
		fakekit.WriteError(w, http.StatusBadRequest, "", "model and messages are required")
		return
	}
	s.mu.Lock()
	s.stats.Chats++
	s.mu.Unlock()
	user := req.lastUser()
	reply := "You said: " + user + "."
	if s.opt.Reply != nil {
		reply = s.opt.Reply(user)
	}
	if !fakekit.Sleep(r.Context(), s.opt.FirstTokenDelay-time.Since(start)) {
		return
	}
	id := fmt.Sprintf("chatcmpl-fake%d", start.UnixNano())
	chunk := func(delta map[string]any, finish any) []byte {
		b, _ := json.Marshal(map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": start.Unix(), "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
		})
		return b
	}
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": id, "object": "chat.completion", "created": start.Unix(), "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": reply}, "finish_reason": "stop"}},
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	send := func(b []byte) bool {
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		if fl != nil {
			fl.Flush()
		}
		return true
	}
	if !send(chunk(map[string]any{"role": "assistant", "content": ""}, nil)) {
		return
	}
	for i, word := range strings.SplitAfter(reply, " ") {
		if i > 0 && !fakekit.Sleep(r.Context(), s.opt.TokenInterval) {
			return
		}
		if !send(chunk(map[string]any{"content": word}, nil)) {
			return
		}
	}
	if send(chunk(map[string]any{}, "stop")) {
		send([]byte("[DONE]"))
	}
}

func (s *Server) speech(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req struct {
		Model, Input, Voice string
		ResponseFormat      string `json:"response_format"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		fakekit.WriteError(w, http.StatusBadRequest, "", "body: "+err.Error())
		return
	}
	switch {
	case s.opt.TTS == nil:
		fakekit.WriteError(w, http.StatusNotFound, "", "no speech model")
		return
	case req.Model == "" || strings.TrimSpace(req.Input) == "":
		fakekit.WriteError(w, http.StatusBadRequest, "", "model and input are required")
		return
	case req.ResponseFormat != "pcm":
		fakekit.WriteError(w, http.StatusBadRequest, "", "this fake speaks response_format pcm only")
		return
	}
	s.mu.Lock()
	s.stats.Speeches++
	s.mu.Unlock()
	pcm, err := fakekit.Synthesize(r.Context(), s.opt.TTS, req.Input, SpeechRate)
	if err != nil {
		fakekit.WriteError(w, http.StatusInternalServerError, "", err.Error())
		return
	}
	if !fakekit.Sleep(r.Context(), s.opt.FirstAudioDelay-time.Since(start)) {
		return
	}
	w.Header().Set("Content-Type", "audio/pcm")
	fl, _ := w.(http.Flusher)
	const chunk = SpeechRate / 10 // 100 ms
	buf := make([]byte, 2*chunk)
	for off := 0; off < len(pcm); off += chunk {
		part := pcm[off:min(off+chunk, len(pcm))]
		for i, v := range part {
			binary.LittleEndian.PutUint16(buf[2*i:], uint16(v))
		}
		if _, err := w.Write(buf[:2*len(part)]); err != nil {
			return
		}
		if fl != nil {
			fl.Flush()
		}
	}
}
