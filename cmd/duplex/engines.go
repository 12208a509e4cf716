package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/llm"
	llmlocal "github.com/duplex-ai/duplex/llm/local"
	llmopenai "github.com/duplex-ai/duplex/llm/openai"
	"github.com/duplex-ai/duplex/stt"
	sttopenai "github.com/duplex-ai/duplex/stt/openai"
	sttopenairt "github.com/duplex-ai/duplex/stt/openairt"
	"github.com/duplex-ai/duplex/stt/sphinx"
	"github.com/duplex-ai/duplex/tts"
	"github.com/duplex-ai/duplex/tts/espeak"
	ttsopenai "github.com/duplex-ai/duplex/tts/openai"
)

// engines are the speech and language backends chosen by flags.
type engines struct {
	stt   stt.Engine
	llm   llm.Engine
	tts   tts.Engine
	close []func() error
}

func (e *engines) Close() {
	for _, c := range e.close {
		_ = c()
	}
}

// apiKey is the key for OpenAI-compatible servers: DUPLEX_OPENAI_API_KEY,
// else OPENAI_API_KEY.
func apiKey(getenv func(string) string) string {
	if k := getenv("DUPLEX_OPENAI_API_KEY"); k != "" {
		return k
	}
	return getenv("OPENAI_API_KEY")
}

func buildEngines(ctx context.Context, cfg *config) (*engines, error) {
	key := apiKey(os.Getenv)
	e := &engines{}
	ok := false
	defer func() {
		if !ok {
			e.Close()
		}
	}()
	switch cfg.stt {
	case "sphinx":
		s, err := sphinx.NewEngine(sphinx.Options{PoolSize: cfg.sttPool, LiveLoop: cfg.sttLiveLoop, CarryHistory: cfg.sttCarryHistory})
		if err != nil {
			return nil, fmt.Errorf("-stt sphinx: %w", err)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = s.Warm(wctx)
		cancel()
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("-stt sphinx: %w", err)
		}
		e.stt = s
		e.close = append(e.close, s.Close)
	case "openai":
		s, err := sttopenai.New(sttopenai.Options{BaseURL: cfg.sttURL, APIKey: key, Model: cfg.sttModel, Language: cfg.language})
		if err != nil {
			return nil, fmt.Errorf("-stt openai: %w", err)
		}
		e.stt = s
	case "openai-realtime":
		s, err := sttopenairt.New(sttopenairt.Options{URL: realtimeSTTURL(cfg.sttURL), APIKey: key, Model: cfg.sttModel, Language: cfg.language})
		if err != nil {
			return nil, fmt.Errorf("-stt openai-realtime: %w", err)
		}
		e.stt = s
		e.close = append(e.close, s.Close)
	}
	switch cfg.llm {
	case "local":
		e.llm = llmlocal.New(llmlocal.Options{})
	case "openai":
		l, err := llmopenai.New(llmopenai.Options{BaseURL: cfg.llmURL, APIKey: key, Model: cfg.llmModel, SystemPrompt: cfg.systemPrompt})
		if err != nil {
			return nil, fmt.Errorf("-llm openai: %w", err)
		}
		e.llm = l
	}
	switch cfg.tts {
	case "espeak":
		t, err := espeak.New(espeak.Options{Voice: cfg.voice})
		if err != nil {
			return nil, fmt.Errorf("-tts espeak: %w", err)
		}
		e.tts = t
		e.close = append(e.close, t.Close)
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = t.Warm(wctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("-tts espeak: %w", err)
		}
	case "openai":
		t, err := ttsopenai.New(ttsopenai.Options{BaseURL: cfg.ttsURL, APIKey: key, Model: cfg.ttsModel, Voice: cfg.voice})
		if err != nil {
			return nil, fmt.Errorf("-tts openai: %w", err)
		}
		e.tts = t
		e.close = append(e.close, t.Close)
	}
	ok = true
	return e, nil
}

// realtimeSTTURL is -stt openai-realtime's endpoint: a ws(s) URL as it is,
// else the API root's /realtime.
func realtimeSTTURL(u string) string {
	if strings.HasPrefix(u, "ws://") || strings.HasPrefix(u, "wss://") {
		return u
	}
	return strings.TrimRight(u, "/") + "/realtime"
}
