// Package fakekit is what the in-repo model-server fakes (internal/fakeoai,
// internal/fakerealtime) share: their delays, their voice and their HTTP
// error bodies.
package fakekit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/duplex-ai/duplex/internal/dsp"
	"github.com/duplex-ai/duplex/tts"
)

// Sleep waits d (nothing when d ≤ 0); false when ctx ended first.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Synthesize voices text with e and resamples it to rate.
func Synthesize(ctx context.Context, e tts.Engine, text string, rate int) ([]int16, error) {
	if e == nil {
		return nil, errors.New("fake: no TTS")
	}
	st, err := e.Synthesize(ctx, text, tts.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var pcm []int16
	from := 0
	for {
		ch, err := st.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(ch.PCM) > 0 {
			from = ch.SampleRate
			pcm = append(pcm, ch.PCM...)
		}
	}
	if from == 0 {
		return nil, errors.New("fake: the synthesizer gave no audio")
	}
	return dsp.Resample(pcm, from, rate)
}

// WriteError answers with OpenAI's error body, {"error": {"message",
// "type", "code"}} (no code when code is "").
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	e := map[string]string{"type": "invalid_request_error", "message": msg}
	if code != "" {
		e["code"] = code
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}
