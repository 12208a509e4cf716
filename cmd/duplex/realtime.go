package main

import (
	"fmt"
	"os"

	"github.com/rs/zerolog"

	rtbrain "github.com/duplex-ai/duplex/brain/realtime"
	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/tools"
	"github.com/duplex-ai/duplex/tts/espeak"
)

// buildRealtime is -pipeline realtime: Duplex's turn-taking around a
// speech-to-speech model; espeak-ng speaks the apologies when the model
// cannot be reached.
func buildRealtime(cfg *config, reg *tools.Registry, newDetector func() dialogue.Detector, metrics *dialogue.Metrics, log zerolog.Logger) (*dialogue.Assistant, func(), error) {
	fallback, err := espeak.New(espeak.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("-pipeline realtime: the fallback voice: %w", err)
	}
	b, err := rtbrain.New(rtbrain.Config{
		URL: cfg.realtimeURL, Model: cfg.realtimeModel, APIKey: apiKey(os.Getenv),
		Instructions: cfg.systemPrompt, Voice: cfg.voice, Language: cfg.language,
		TranscriptionModel: cfg.realtimeTranscribe, Turns: cfg.realtimeTurns, Timeout: cfg.realtimeTimeout,
		Fallback: fallback, Log: log,
		Tools: reg, ToolOptions: tools.Options{Timeout: cfg.toolTimeout},
	})
	if err != nil {
		_ = fallback.Close()
		return nil, nil, fmt.Errorf("-pipeline realtime: %w", err)
	}
	a, err := dialogue.NewAssistant(dialogue.Options{
		Brain:                    b,
		NewDetector:              newDetector,
		Mode:                     pipeline.Mode(cfg.mode),
		MinInterruption:          cfg.minInterruption,
		EchoCancel:               dialogue.EchoMode(cfg.echoCancel),
		FalseInterruptionTimeout: cfg.falseInterruption,
		Memory:                   cfg.memory,
		Language:                 cfg.language,
		SystemPrompt:             cfg.systemPrompt,
		Metrics:                  metrics,
	})
	if err != nil {
		_ = fallback.Close()
		return nil, nil, err
	}
	return a, func() { _ = fallback.Close() }, nil
}
