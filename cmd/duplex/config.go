package main

import (
	"flag"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/signaling"
	"github.com/duplex-ai/duplex/stt/sphinx"
	"github.com/duplex-ai/duplex/vad"
)

// stringList is a repeatable flag; from the environment it is comma-separated.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}

// lineList is a repeatable flag whose values may hold commas (a command
// line).
type lineList []string

func (s *lineList) String() string { return strings.Join(*s, "; ") }
func (s *lineList) Set(v string) error {
	if v = strings.TrimSpace(v); v != "" {
		*s = append(*s, v)
	}
	return nil
}

type config struct {
	mcpURLs       stringList
	mcpCmds       lineList
	toolsAllow    stringList
	toolTimeout   time.Duration
	localTools    bool
	addr          string
	logFormat     string
	logLevel      string
	pionLogLevel  string
	pipeline      string
	maxCalls      int
	publicIPs     stringList
	udpPortMin    uint
	udpPortMax    uint
	udpMuxPort    int
	tcpPort       int
	nodeID        string
	turnListen    string
	turnRelayIP   string
	iceServers    stringList
	echoDelay     time.Duration
	vadMinSpeech  time.Duration
	vadMinSilence time.Duration
	endpointing   string
	echoCancel    string
	preemptive    string
	preemptAtFlag string  // -preempt-at as given: auto or a fraction
	preemptAt     float64 // parsed: 0 for auto (per STT, preemptAt in main.go)
	ttsFirstWords int
	vadThreshold  float64
	vadStart      float64
	vadFluct      float64
	vadMinResume  time.Duration
	vadEvidence   time.Duration

	mode              string
	stt, llm, tts     string
	sttURL, sttModel  string
	sttPool           int
	sttLiveLoop       sphinx.LiveLoopMode
	sttCarryHistory   bool
	llmURL, llmModel  string
	ttsURL, ttsModel  string
	voice             string
	language          string
	systemPrompt      string
	memory            time.Duration
	minInterruption   time.Duration
	falseInterruption time.Duration
	dtlsTimeout       time.Duration
	shutdownGrace     time.Duration

	apiKeys        stringList
	tokenSecret    string
	tokenTTL       time.Duration
	corsOrigins    stringList
	smallWebRTC    string
	rateLimit      float64
	rateBurst      int
	trustedProxies stringList
	maxCallsPerIP  int
	maxVideoCalls  int
	videoNice      int
	idleTimeout    time.Duration
	resumeWindow   time.Duration
	maxDuration    time.Duration
	dataDir        string
	opusComplexity int
	pprof          bool

	realtimeURL, realtimeModel string
	realtimeTurns              string
	realtimeTranscribe         string
	realtimeTimeout            time.Duration
}

// envName maps a flag name to its environment variable: -udp-port-min → DUPLEX_UDP_PORT_MIN.
func envName(flagName string) string {
	return "DUPLEX_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig reads flags; every flag may also come from its DUPLEX_…
// environment variable. A flag given on the command line wins.
func parseConfig(args []string, getenv func(string) string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("duplex", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", ":8080", "HTTP listen address")
	fs.Var(&c.mcpURLs, "mcp", "URL of a Streamable HTTP MCP server whose tools the assistant may call; repeatable")
	fs.Var(&c.mcpCmds, "mcp-cmd", `command line of a stdio MCP server to start, e.g. "duplex mcp-demo"; repeatable`)
	fs.Var(&c.toolsAllow, "tools-allow", "names of the tools that run without asking; the cascade offers the others too and runs them after the user says yes (the speech-to-speech brain offers only these); none: all run without asking; repeatable")
	fs.BoolVar(&c.localTools, "local-tools", false, "with -llm local: run the time, date and arithmetic skills as tools (tool.started/tool.done), the same path as MCP tools")
	fs.DurationVar(&c.toolTimeout, "tool-timeout", 10*time.Second, "longest a tool call may run before it counts as failed")
	fs.StringVar(&c.logFormat, "log-format", "console", "log format: console or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.pionLogLevel, "pion-log-level", "error", "least severe of pion's own log lines to keep (trace, debug, info, warn, error); they carry the call id and never go below -log-level")
	fs.StringVar(&c.pipeline, "pipeline", "assistant", "what a call runs: assistant (VAD → STT → LLM → TTS), realtime (VAD + a speech-to-speech model over the OpenAI Realtime WebSocket), echo, or canned (VAD + one cached espeak reply per turn: the capacity benchmark)")
	fs.StringVar(&c.realtimeURL, "realtime-url", "wss://api.openai.com/v1/realtime", "-pipeline realtime: the Realtime WebSocket endpoint (the model goes in its query); key from DUPLEX_OPENAI_API_KEY or OPENAI_API_KEY")
	fs.StringVar(&c.realtimeModel, "realtime-model", "gpt-realtime", "-pipeline realtime: the speech-to-speech model")
	fs.StringVar(&c.realtimeTurns, "realtime-turns", "duplex", "-pipeline realtime: who ends the user's turn: duplex (Duplex's VAD; the model's is off), server (the model's server_vad) or semantic (its semantic_vad); Duplex's VAD drives barge-in in every mode")
	fs.StringVar(&c.realtimeTranscribe, "realtime-transcribe", "gpt-4o-mini-transcribe", "-pipeline realtime: the model's input transcription model (the words decide barge-in versus backchannel)")
	fs.DurationVar(&c.realtimeTimeout, "realtime-timeout", 15*time.Second, "-pipeline realtime: longest wait to connect, for a transcript and for a reply's first audio")
	fs.StringVar(&c.mode, "mode", "full-duplex", "conversation mode: full-duplex (barge-in) or half-duplex")
	fs.StringVar(&c.stt, "stt", "sphinx", "speech-to-text: sphinx (offline), openai (OpenAI-compatible /audio/transcriptions: the turn uploaded when it ends) or openai-realtime (the turn streamed as it is spoken into a Realtime transcription session, {-stt-url}/realtime?intent=transcription)")
	fs.StringVar(&c.sttURL, "stt-url", "https://api.openai.com/v1", "base URL of the OpenAI-compatible STT server (-stt openai-realtime: a ws(s):// URL is used as it is, else {url}/realtime)")
	fs.StringVar(&c.sttModel, "stt-model", "", "STT model (default whisper-1 for -stt openai, gpt-4o-transcribe for -stt openai-realtime)")
	fs.IntVar(&c.sttPool, "stt-pool", 4, "pocketsphinx decoders kept for concurrent utterances (-stt sphinx); a turn waits when all are busy")
	fs.Var(&c.sttLiveLoop, "stt-live-loop", "when pocketsphinx feeds the check's phone loop during the turn (-stt sphinx): off, later (a call's utterances after its first), always, or default (later: on those utterances the check decides as with off, only sooner)")
	fs.BoolVar(&c.sttCarryHistory, "stt-carry-history", false, "pocketsphinx's check on a call's later utterances depends on what its pooled decoders heard before, as it used to (-stt sphinx); default: a function of the audio and the call alone")
	fs.StringVar(&c.llm, "llm", "local", "language model: local (offline skills) or openai (OpenAI-compatible /chat/completions)")
	fs.StringVar(&c.llmURL, "llm-url", "https://api.openai.com/v1", "base URL of the OpenAI-compatible LLM server, e.g. http://localhost:11434/v1 for Ollama")
	fs.StringVar(&c.llmModel, "llm-model", "gpt-4o-mini", "LLM model for -llm openai")
	fs.StringVar(&c.tts, "tts", "espeak", "text-to-speech: espeak (offline) or openai (OpenAI-compatible /audio/speech)")
	fs.StringVar(&c.ttsURL, "tts-url", "https://api.openai.com/v1", "base URL of the OpenAI-compatible TTS server")
	fs.StringVar(&c.ttsModel, "tts-model", "tts-1", "TTS model for -tts openai")
	fs.StringVar(&c.voice, "voice", "", "TTS voice (espeak: en-us, en-us+f3, cmn…; openai: alloy…); empty = the backend's default")
	fs.StringVar(&c.language, "language", "en", "language hint for STT, LLM and TTS (en, zh…)")
	fs.StringVar(&c.systemPrompt, "system-prompt", "", "system prompt for -llm openai (empty = a short voice-assistant prompt)")
	fs.DurationVar(&c.memory, "memory", 5*time.Minute, "how far back the conversation is remembered")
	fs.DurationVar(&c.minInterruption, "min-interruption", 120*time.Millisecond, "speech over the assistant needed before it pauses (from the onset)")
	fs.DurationVar(&c.falseInterruption, "false-interruption-timeout", 1500*time.Millisecond, "a pause that brings no words within this resumes the reply")
	fs.IntVar(&c.maxCalls, "max-calls", 200, "maximum concurrent calls")
	fs.Var(&c.publicIPs, "public-ip", "public IP announced in ICE candidates (1:1 NAT); repeatable")
	fs.UintVar(&c.udpPortMin, "udp-port-min", 0, "lowest UDP port for ICE (0: any)")
	fs.UintVar(&c.udpPortMax, "udp-port-max", 0, "highest UDP port for ICE (0: any)")
	fs.IntVar(&c.udpMuxPort, "udp-mux-port", 0, "serve all calls on this one UDP port (0: off)")
	fs.StringVar(&c.nodeID, "node-id", defaultNodeID(), "this node's name in call URLs (/v1/calls/{node}.{id}) and resume credentials, for a proxy in front of many nodes; letters, digits, - and _ (default: the host name)")
	fs.IntVar(&c.tcpPort, "tcp-port", 0, "also offer passive ICE-TCP candidates on this one TCP port, for callers whose network blocks UDP (0: off)")
	fs.StringVar(&c.turnListen, "turn-listen", "", "run the built-in TURN server on this host:port, UDP and TCP (e.g. :3478), advertised with per-request credentials in /v1/config (empty: off)")
	fs.StringVar(&c.turnRelayIP, "turn-relay-ip", "", "address of the built-in TURN server's relays; default the first -public-ip, else the -turn-listen host")
	fs.Var(&c.iceServers, "ice-server", "STUN/TURN URL, turn:user:pass@host:port for credentials; repeatable")
	fs.DurationVar(&c.echoDelay, "echo-delay", 0, "echo pipeline: 0 plays each utterance back when it ends; > 0 plays everything back this much later")
	fs.DurationVar(&c.vadMinSpeech, "vad-min-speech", vad.DefaultMinSpeech, "speech needed to start a turn")
	fs.DurationVar(&c.vadMinSilence, "vad-min-silence", vad.DefaultMinSilence, "silence that ends a turn (-endpointing fixed)")
	fs.StringVar(&c.endpointing, "endpointing", "adaptive",
		"end of turn: adaptive (a wait of 120 ms-1.2 s from both live partials' words, the last run and the energy contour; see BENCHMARKS.md, turn-taking) or fixed (-vad-min-silence)")
	fs.StringVar(&c.echoCancel, "echo-cancel", "auto",
		"discount the assistant's own voice picked up by the caller's microphone before barge-in is decided: auto (full duplex), on, off")
	fs.StringVar(&c.preemptive, "preemptive", "on",
		"preemptive replies: on prepares the reply (STT, LLM, first TTS audio) once the pause reaches -preempt-at of the end-of-turn wait, and plays it only when the turn ends; off waits for the end of turn")
	fs.StringVar(&c.preemptAtFlag, "preempt-at", "auto",
		"-preemptive on: the fraction of the end-of-turn wait the pause must reach before the reply is prepared (0 < F ≤ 1; lower starts sooner and is dropped more often), or auto: 0.1 with -stt openai-realtime (its transcript comes a fixed delay after a commit), 0.6 otherwise")
	fs.IntVar(&c.ttsFirstWords, "tts-first-words", 0,
		"send a reply's first words to TTS before its first sentence ends: after this many whole words (0: whole sentences; each piece is spoken as its own utterance, so a cut costs prosody)")
	fs.Float64Var(&c.vadThreshold, "vad-threshold", vad.DefaultThreshold, "speech probability threshold of the VAD (0..1; in a fluctuating background -vad-fluctuating-threshold applies)")
	fs.Float64Var(&c.vadStart, "vad-start-threshold", 0,
		"in a fluctuating background, probability one frame must reach for speech to start a turn (vad-threshold..1; 0: the larger of 0.998 and vad-threshold)")
	fs.Float64Var(&c.vadFluct, "vad-fluctuating-threshold", 0,
		fmt.Sprintf("in a fluctuating background, the speech probability at or above which a frame counts as speech; under vad-threshold it keeps a turn going only in runs of vad-min-resume (0..vad-threshold; 0: the smaller of %g and vad-threshold)", vad.DefaultFluctuatingThreshold))
	fs.DurationVar(&c.vadMinResume, "vad-min-resume", vad.DefaultMinResume,
		"in a fluctuating background, how long speech after a gap must last to keep a turn going (20ms: every speech frame does)")
	fs.DurationVar(&c.vadEvidence, "vad-start-evidence", vad.DefaultStartEvidence,
		"in a fluctuating background, how much speech at or above 0.9 (or vad-threshold if higher), in one run or several within 1s, starts a turn (at most 1s; negative: off)")
	fs.DurationVar(&c.dtlsTimeout, "dtls-timeout", 10*time.Second, "DTLS handshake timeout")
	fs.DurationVar(&c.shutdownGrace, "shutdown-grace", 10*time.Second, "on SIGINT/SIGTERM, how long replies in progress may finish before their calls are ended")
	fs.Var(&c.apiKeys, "api-key", "API key required (Authorization: Bearer KEY) to create calls, mint tokens and read /v1/config; repeatable; none = open server")
	fs.StringVar(&c.tokenSecret, "token-secret", "", "HMAC secret of call tokens (POST /v1/tokens, `duplex token`); empty with -api-key = a random one per process")
	fs.DurationVar(&c.tokenTTL, "token-ttl", 10*time.Minute, "lifetime of tokens minted by POST /v1/tokens")
	fs.StringVar(&c.smallWebRTC, "smallwebrtc-path", "/api/offer", "path where Pipecat clients (SmallWebRTC transport, RTVI) post their offer")
	fs.Var(&c.corsOrigins, "cors-origin", "web origin allowed to call the API from a browser (https://app.example, or *); repeatable")
	fs.Float64Var(&c.rateLimit, "rate-limit", 10, "API requests per second per client address (0: no limit)")
	fs.IntVar(&c.rateBurst, "rate-burst", 0, "burst of -rate-limit (0: 4 × the rate)")
	fs.Var(&c.trustedProxies, "trusted-proxy", "CIDR of a reverse proxy whose X-Forwarded-For names the client; repeatable")
	fs.IntVar(&c.maxCallsPerIP, "max-calls-per-ip", 20, "maximum concurrent calls from one client address (0: no limit)")
	fs.IntVar(&c.maxVideoCalls, "max-video-calls", 8*runtime.NumCPU(), "maximum cameras decoded at once; calls beyond it are audio-only to the assistant (0: no limit, -1: decode none)")
	fs.IntVar(&c.videoNice, "video-nice", 10, "added to the nice value of the threads decoding cameras, so that audio gets the CPU first when it is short (0: unchanged)")
	fs.DurationVar(&c.resumeWindow, "resume-window", 30*time.Second, "keep a call whose network failed this long for an ICE restart or a resume (0: end it at once)")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", 5*time.Minute, "end a call after this long without caller speech or commands while the assistant is quiet (0: never)")
	fs.DurationVar(&c.maxDuration, "max-call-duration", 2*time.Hour, "end a call this long after it started (0: never)")
	fs.IntVar(&c.opusComplexity, "opus-complexity", 5, "libopus complexity 1..10 of the audio sent to callers (5: half the CPU of 10, same quality on speech)")
	fs.StringVar(&c.dataDir, "data-dir", "./data", "directory of call transcripts (JSON Lines, one file per call, 0600); empty: keep none")
	fs.BoolVar(&c.pprof, "pprof", false, "serve net/http/pprof at /debug/pprof/ on -addr (profiling; keep off on untrusted networks)")

	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", envName(f.Name), v, err)
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	// Repeatable flags given on the command line replace the environment's.
	lists := []*stringList{&c.publicIPs, &c.iceServers, &c.apiKeys, &c.corsOrigins, &c.trustedProxies}
	fromEnv := make([]stringList, len(lists))
	for i, l := range lists {
		fromEnv[i], *l = *l, nil
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for i, l := range lists {
		if *l == nil {
			*l = fromEnv[i]
		}
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	for _, ch := range []struct {
		name, val string
		ok        []string
	}{
		{"pipeline", c.pipeline, []string{"assistant", "realtime", "echo", "canned"}},
		{"realtime-turns", c.realtimeTurns, []string{"duplex", "server", "semantic"}},
		{"stt", c.stt, []string{"sphinx", "openai", "openai-realtime"}},
		{"llm", c.llm, []string{"local", "openai"}},
		{"tts", c.tts, []string{"espeak", "openai"}},
		{"mode", c.mode, []string{"full-duplex", "half-duplex", "full_duplex", "half_duplex"}},
		{"endpointing", c.endpointing, []string{"fixed", "adaptive"}},
		{"echo-cancel", c.echoCancel, []string{"auto", "on", "off"}},
		{"preemptive", c.preemptive, []string{"on", "off"}},
	} {
		if !slices.Contains(ch.ok, ch.val) {
			return nil, fmt.Errorf("-%s %q: want one of %s", ch.name, ch.val, strings.Join(ch.ok, ", "))
		}
	}
	c.mode = strings.ReplaceAll(c.mode, "-", "_")
	if c.udpPortMin > 65535 || c.udpPortMax > 65535 || c.udpPortMin > c.udpPortMax {
		return nil, fmt.Errorf("-udp-port-min %d / -udp-port-max %d: want 0 ≤ min ≤ max ≤ 65535", c.udpPortMin, c.udpPortMax)
	}
	for _, p := range c.trustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			return nil, fmt.Errorf("-trusted-proxy %q: want a CIDR such as 10.0.0.0/8: %w", p, err)
		}
	}
	if c.rateLimit < 0 || c.rateBurst < 0 || c.maxCallsPerIP < 0 || c.idleTimeout < 0 || c.maxDuration < 0 || c.resumeWindow < 0 {
		return nil, fmt.Errorf("-rate-limit, -rate-burst, -max-calls-per-ip, -idle-timeout, -max-call-duration and -resume-window must not be negative")
	}
	if c.ttsFirstWords < 0 {
		return nil, fmt.Errorf("-tts-first-words %d: want 0 (whole sentences) or more", c.ttsFirstWords)
	}
	at, err := parsePreemptAt(c.preemptAtFlag)
	if err != nil {
		return nil, err
	}
	c.preemptAt = at
	if c.realtimeTimeout <= 0 {
		return nil, fmt.Errorf("-realtime-timeout %s: want > 0", c.realtimeTimeout)
	}
	if c.toolTimeout <= 0 {
		return nil, fmt.Errorf("-tool-timeout %s: want > 0", c.toolTimeout)
	}
	if c.opusComplexity < 1 || c.opusComplexity > 10 {
		return nil, fmt.Errorf("-opus-complexity %d: want 1..10", c.opusComplexity)
	}
	if c.tokenTTL <= 0 || c.tokenTTL > signaling.MaxTokenTTL {
		return nil, fmt.Errorf("-token-ttl %s: want between 1s and %s", c.tokenTTL, signaling.MaxTokenTTL)
	}
	if c.logFormat != "console" && c.logFormat != "json" {
		return nil, fmt.Errorf("-log-format %q: want console or json", c.logFormat)
	}
	return c, nil
}

// parsePreemptAt reads -preempt-at: auto (0, chosen per STT) or a
// fraction of the end-of-turn wait in (0, 1].
func parsePreemptAt(s string) (float64, error) {
	if s == "auto" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0 && f <= 1) {
		return 0, fmt.Errorf("-preempt-at %q: want auto or a fraction 0 < F ≤ 1", s)
	}
	return f, nil
}
