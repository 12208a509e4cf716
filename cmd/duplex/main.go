// Command duplex is the Duplex server: a real-time voice and video AI
// assistant over WebRTC. See README.md for flags and set-up.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/dialogue"
	llmlocal "github.com/duplex-ai/duplex/llm/local"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/signaling"
	"github.com/duplex-ai/duplex/tools"
	"github.com/duplex-ai/duplex/transcript"
	"github.com/duplex-ai/duplex/vad"
	"github.com/duplex-ai/duplex/web"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "token" {
		if err := tokenCmd(os.Args[2:], os.Getenv, os.Stdout, time.Now()); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				os.Exit(0)
			}
			fmt.Fprintln(os.Stderr, "duplex token:", err)
			os.Exit(2)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "mcp-demo" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := mcpDemoCmd(ctx, os.Args[2:], os.Stderr)
		stop()
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "duplex mcp-demo:", err)
			os.Exit(2)
		}
		return
	}
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
		pl         pipeline.Pipeline
		collectors []prometheus.Collector
	)
	switch cfg.pipeline {
	case "echo":
		pl = dialogue.Echo{Delay: cfg.echoDelay}
		if cfg.echoDelay <= 0 {
			pl = dialogue.Echo{NewDetector: newDetector}
		}
	case "assistant":
		eng, err := buildEngines(ctx, cfg)
		if err != nil {
			return err
		}
		defer eng.Close()
		var local tools.Provider
		if le, ok := eng.llm.(*llmlocal.Engine); ok && cfg.localTools {
			local = le.Tools()
		}
		reg, closeTools, err := buildTools(ctx, cfg, local)
		if err != nil {
			return err
		}
		defer closeTools()
		if reg != nil {
			for _, t := range reg.Tools() {
				log.Info().Str("tool", t.Name).Msg("tool offered to the LLM")
			}
		}
		metrics := dialogue.NewMetrics()
		collectors = append(collectors, metrics.TurnLatency, metrics.StageSeconds, metrics.Turns, metrics.Interruptions, metrics.Errors)
		a, err := dialogue.NewAssistant(dialogue.Options{
			STT: eng.stt, LLM: eng.llm, TTS: eng.tts,
			NewDetector:              newDetector,
			FixedSilence:             cfg.vadMinSilence,
			PreemptAt:                preemptAt(cfg.preemptive, cfg.stt, cfg.preemptAt),
			Mode:                     pipeline.Mode(cfg.mode),
			MinInterruption:          cfg.minInterruption,
			EchoCancel:               dialogue.EchoMode(cfg.echoCancel),
			FalseInterruptionTimeout: cfg.falseInterruption,
			Memory:                   cfg.memory,
			Voice:                    cfg.voice,
			Language:                 cfg.language,
			SystemPrompt:             cfg.systemPrompt,
			Metrics:                  metrics,
			Tools:                    reg,
			ToolTimeout:              cfg.toolTimeout,
			FirstPieceMinChars:       firstPieceMinChars(cfg.tts),
			FirstPieceWords:          cfg.ttsFirstWords,
		})
		if err != nil {
			return err
		}
		pl = a
		log.Info().Str("stt", eng.stt.Name()).Str("llm", eng.llm.Name()).Str("tts", eng.tts.Name()).Str("mode", cfg.mode).Msg("assistant pipeline")
	case "realtime":
		metrics := dialogue.NewMetrics()
		collectors = append(collectors, metrics.TurnLatency, metrics.StageSeconds, metrics.Turns, metrics.Interruptions, metrics.Errors)
		reg, closeTools, err := buildTools(ctx, cfg, nil)
		if err != nil {
			return err
		}
		defer closeTools()
		if reg != nil {
			for _, t := range reg.Tools() {
				log.Info().Str("tool", t.Name).Msg("tool offered to the model")
			}
		}
		a, closeFn, err := buildRealtime(cfg, reg, newDetector, metrics, log)
		if err != nil {
			return err
		}
		defer closeFn()
		pl = a
		log.Info().Str("url", cfg.realtimeURL).Str("model", cfg.realtimeModel).Str("turns", cfg.realtimeTurns).Str("mode", cfg.mode).Msg("realtime pipeline")
	case "canned":
		c, err := buildCanned(ctx, cfg, newDetector)
		if err != nil {
			return err
		}
		pl = c
		log.Info().Dur("reply", c.ReplyDuration()).Msg("canned pipeline")
	}
	var store *transcript.Store
	if cfg.dataDir != "" {
		if store, err = transcript.NewStore(cfg.dataDir); err != nil {
			return fmt.Errorf("-data-dir: %w", err)
		}
	}
	mgr, err := session.NewManager(session.Config{
		Pipeline:       pl,
		MaxCalls:       cfg.maxCalls,
		MaxCallsPerIP:  cfg.maxCallsPerIP,
		MaxVideoCalls:  cfg.maxVideoCalls,
		VideoNice:      cfg.videoNice,
		IdleTimeout:    orNever(cfg.idleTimeout),
		ResumeWindow:   cfg.resumeWindow,
		MaxDuration:    orNever(cfg.maxDuration),
		ICEServers:     ice,
		PublicIPs:      cfg.publicIPs,
		UDPPortMin:     uint16(cfg.udpPortMin),
		UDPPortMax:     uint16(cfg.udpPortMax),
		UDPMuxPort:     cfg.udpMuxPort,
		TCPPort:        cfg.tcpPort,
		DTLSTimeout:    cfg.dtlsTimeout,
		Transcripts:    store,
		OpusComplexity: cfg.opusComplexity,
		Log:            log,
		PionLogLevel:   cfg.pionLogLevel,
	})
	if err != nil {
		return err
	}
	sopt, err := signalingOptions(cfg, log)
	if err != nil {
		_ = mgr.Close(session.ReasonServerShutdown)
		return err
	}
	sopt.Collectors, sopt.Transcripts = collectors, store
	if cfg.turnListen != "" {
		ts, topt, err := startTURN(cfg, sopt.TokenSecret)
		if err != nil {
			_ = mgr.Close(session.ReasonServerShutdown)
			return err
		}
		defer ts.Close()
		sopt.TURN = topt
		log.Info().Str("listen", cfg.turnListen).Int("port", ts.Port()).Msg("TURN server listening (UDP and TCP)")
	}
	var handler http.Handler = signaling.New(mgr, sopt)
	if cfg.pprof {
		handler = withPprof(handler)
	}
	srv := &http.Server{
		Handler:           handler,
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
	log.Info().Str("addr", ln.Addr().String()).Str("pipeline", pl.Name()).Int("max_calls", cfg.maxCalls).
		Bool("auth", len(cfg.apiKeys) > 0).Str("data_dir", cfg.dataDir).Msg("duplex listening")
	if ready != nil {
		ready <- ln.Addr().String()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err = <-served:
		_ = mgr.Close(session.ReasonServerShutdown)
	case <-ctx.Done():
		// New calls get 503 while live ones are told and their replies
		// finish; then the listener closes.
		log.Info().Int("active_calls", mgr.Active()).Dur("grace", cfg.shutdownGrace).Msg("shutting down: draining calls")
		dctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownGrace)
		mgr.Drain(dctx)
		cancel()
		_ = mgr.Close(session.ReasonServerShutdown)
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
		<-served
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info().Msg("stopped")
	return err
}

// tokenCmd is `duplex token [-token-secret S] [-ttl D]`: it prints a call
// token that a server started with the same -token-secret (and an
// -api-key) accepts until it expires. The secret may come from
// DUPLEX_TOKEN_SECRET.
func tokenCmd(args []string, getenv func(string) string, w io.Writer, now time.Time) error {
	fs := flag.NewFlagSet("duplex token", flag.ContinueOnError)
	secret := fs.String("token-secret", getenv("DUPLEX_TOKEN_SECRET"), "HMAC secret shared with the server (env DUPLEX_TOKEN_SECRET)")
	ttl := fs.Duration("ttl", 10*time.Minute, "lifetime of the token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *secret == "" {
		return errors.New("-token-secret (or DUPLEX_TOKEN_SECRET) is required")
	}
	if *ttl <= 0 || *ttl > signaling.MaxTokenTTL {
		return fmt.Errorf("-ttl %s: want between 1s and %s", *ttl, signaling.MaxTokenTTL)
	}
	tok, err := signaling.MintToken([]byte(*secret), now.Add(*ttl))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, tok)
	return err
}

// orNever maps the flags' 0 (never) to session.Config's negative.
func orNever(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// signalingOptions builds the HTTP front's security options from flags.
func signalingOptions(cfg *config, log zerolog.Logger) (signaling.Options, error) {
	o := signaling.Options{
		Web: web.Handler(), Log: log,
		APIKeys: cfg.apiKeys, TokenTTL: cfg.tokenTTL, CORSOrigins: cfg.corsOrigins,
		RateLimit: cfg.rateLimit, RateBurst: cfg.rateBurst, NodeID: cfg.nodeID,
		SmallWebRTCPath: cfg.smallWebRTC,
	}
	if !strings.HasPrefix(cfg.smallWebRTC, "/") || strings.ContainsAny(cfg.smallWebRTC, " {}") {
		return o, fmt.Errorf("-smallwebrtc-path %q: want an absolute URL path such as /api/offer", cfg.smallWebRTC)
	}
	if cfg.nodeID != "" && !signaling.ValidNodeID(cfg.nodeID) {
		return o, fmt.Errorf("-node-id %q: use letters, digits, - and _ (at most 63)", cfg.nodeID)
	}
	for _, p := range cfg.trustedProxies {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			return o, fmt.Errorf("-trusted-proxy %q: %w", p, err)
		}
		o.TrustedProxies = append(o.TrustedProxies, pfx)
	}
	switch {
	case cfg.tokenSecret != "":
		o.TokenSecret = []byte(cfg.tokenSecret)
	case len(cfg.apiKeys) > 0:
		o.TokenSecret = make([]byte, 32)
		if _, err := rand.Read(o.TokenSecret); err != nil {
			return o, err
		}
	}
	return o, nil
}

// detectorFactory builds the per-call VAD from the -vad-* flags.
func detectorFactory(cfg *config) (func() dialogue.Detector, error) {
	opt := vad.TurnOptions{MinSpeech: cfg.vadMinSpeech, MinSilence: cfg.vadMinSilence,
		Threshold: cfg.vadThreshold, StartThreshold: cfg.vadStart, FluctuatingThreshold: cfg.vadFluct, MinResume: cfg.vadMinResume,
		StartEvidence: cfg.vadEvidence}
	if cfg.endpointing == "adaptive" {
		opt.Endpointing = &vad.EndpointOptions{}
	}
	return dialogue.VADFactory(opt)
}

// streamPreemptAt is -preempt-at auto's bar with -stt openai-realtime:
// its transcript comes a fixed delay after a commit, so an earlier commit
// moves the reply most; a kept speculation costs only its commit, a
// dropped one a replay of the turn (BENCHMARKS.md, model servers' delays).
const streamPreemptAt = 0.1

// preemptAt maps -preemptive and -preempt-at (0: auto) to
// dialogue.Options.PreemptAt: auto is streamPreemptAt for the streaming
// transcription STT and dialogue.DefaultPreemptAt for the others: with
// -stt openai a lower bar measured little gain for many more uploads; with
// sphinx each speculation is a final decode on the server's own CPU.
func preemptAt(preemptive, stt string, at float64) float64 {
	switch {
	case preemptive == "off":
		return -1
	case at > 0:
		return at
	case stt == "openai-realtime":
		return streamPreemptAt
	}
	return dialogue.DefaultPreemptAt
}

// firstPieceMinChars: with a TTS server (first audio hundreds of ms after
// each request) a first sentence of 10 or more characters is sent alone,
// as Pipecat sends each sentence; espeak-ng keeps its pieces.
func firstPieceMinChars(ttsName string) int {
	if ttsName == "openai" {
		return 10
	}
	return 0
}
