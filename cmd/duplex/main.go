// Command duplex is the Duplex server: a real-time voice and video AI
// assistant over WebRTC. See README.md for flags and set-up.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/signaling"
	"github.com/duplex-ai/duplex/vad"
	"github.com/duplex-ai/duplex/web"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "duplex:", err)
		os.Exit(2)
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log, nil); err != nil {
		log.Error().Err(err).Msg("server stopped")
		os.Exit(1)
	}
}

func newLogger(cfg *config) zerolog.Logger {
	level, err := zerolog.ParseLevel(cfg.logLevel)
	if err != nil || level == zerolog.NoLevel {
		level = zerolog.InfoLevel
	}
	var log zerolog.Logger
	if cfg.logFormat == "json" {
		log = zerolog.New(os.Stderr)
	} else {
		log = zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.TimeOnly})
	}
	return log.Level(level).With().Timestamp().Logger()
}

// run serves until ctx ends, then drains calls. ready, if not nil, receives
// the bound address once the listener is up.
func run(ctx context.Context, cfg *config, log zerolog.Logger, ready chan<- string) error {
	ice, err := signaling.ICEServersFromURLs(cfg.iceServers)
	if err != nil {
		return err
	}
	newDetector, err := detectorFactory(cfg)
	if err != nil {
		return err
	}
	var (
		pipeline   session.Pipeline
		collectors []prometheus.Collector
	)
	switch cfg.pipeline {
	case "echo":
		pipeline = dialogue.Echo{Delay: cfg.echoDelay}
		if cfg.echoDelay <= 0 {
			pipeline = dialogue.Echo{NewDetector: newDetector}
		}
	case "assistant":
		eng, err := buildEngines(ctx, cfg)
		if err != nil {
			return err
		}
		defer eng.Close()
		metrics := dialogue.NewMetrics()
		collectors = append(collectors, metrics.TurnLatency, metrics.StageSeconds, metrics.Turns, metrics.Interruptions, metrics.Errors)
		a, err := dialogue.NewAssistant(dialogue.Options{
			STT: eng.stt, LLM: eng.llm, TTS: eng.tts,
			NewDetector:              newDetector,
			Mode:                     cfg.mode,
			MinInterruption:          cfg.minInterruption,
			FalseInterruptionTimeout: cfg.falseInterruption,
			Memory:                   cfg.memory,
			Voice:                    cfg.voice,
			Language:                 cfg.language,
			SystemPrompt:             cfg.systemPrompt,
			Metrics:                  metrics,
		})
		if err != nil {
			return err
		}
		pipeline = a
		log.Info().Str("stt", eng.stt.Name()).Str("llm", eng.llm.Name()).Str("tts", eng.tts.Name()).Str("mode", cfg.mode).Msg("assistant pipeline")
	}
	mgr, err := session.NewManager(session.Config{
		Pipeline:    pipeline,
		MaxCalls:    cfg.maxCalls,
		ICEServers:  ice,
		PublicIPs:   cfg.publicIPs,
		UDPPortMin:  uint16(cfg.udpPortMin),
		UDPPortMax:  uint16(cfg.udpPortMax),
		UDPMuxPort:  cfg.udpMuxPort,
		DTLSTimeout: cfg.dtlsTimeout,
		Log:         log,
	})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           signaling.New(mgr, signaling.Options{Web: web.Handler(), Log: log, Collectors: collectors}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		_ = mgr.Close(session.ReasonServerShutdown)
		return err
	}
	log.Info().Str("addr", ln.Addr().String()).Str("pipeline", pipeline.Name()).Int("max_calls", cfg.maxCalls).Msg("duplex listening")
	if ready != nil {
		ready <- ln.Addr().String()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err = <-served:
	case <-ctx.Done():
		log.Info().Int("active_calls", mgr.Active()).Msg("shutting down: draining calls")
		sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownGrace)
		err = srv.Shutdown(sctx)
		cancel()
		<-served
	}
	_ = mgr.Close(session.ReasonServerShutdown)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info().Msg("stopped")
	return err
}

// detectorFactory builds the per-call VAD from the -vad-* flags.
func detectorFactory(cfg *config) (func() dialogue.Detector, error) {
	return dialogue.VADFactory(vad.TurnOptions{MinSpeech: cfg.vadMinSpeech, MinSilence: cfg.vadMinSilence, Threshold: cfg.vadThreshold})
}
