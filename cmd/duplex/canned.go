package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/tts"
	"github.com/duplex-ai/duplex/tts/espeak"
)

// cannedReplyText is what -pipeline canned says after every turn.
const cannedReplyText = "Sure. Here is a short answer to your question."

// buildCanned synthesizes the canned reply once with espeak-ng (-voice,
// -language) and returns the capacity pipeline.
func buildCanned(ctx context.Context, cfg *config, newDetector func() dialogue.Detector) (*dialogue.Canned, error) {
	e, err := espeak.New(espeak.Options{Voice: cfg.voice})
	if err != nil {
		return nil, fmt.Errorf("-pipeline canned: %w", err)
	}
	defer e.Close()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pcm, rate, err := dialogue.SynthesizeAll(sctx, e, cannedReplyText, tts.Options{Voice: cfg.voice, Language: cfg.language})
	if err != nil {
		return nil, fmt.Errorf("-pipeline canned: synthesizing the reply: %w", err)
	}
	return dialogue.NewCanned(dialogue.CannedOptions{Reply: pcm, ReplyRate: rate, NewDetector: newDetector, TTS: e.Name()})
}

// withPprof serves net/http/pprof under /debug/pprof/ in front of h (-pprof).
func withPprof(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/", h)
	return mux
}
