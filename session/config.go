package session

import (
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/transcript"
)

// Config configures a Manager. Zero values take the documented defaults.
type Config struct {
	// Pipeline runs on every call. Required.
	Pipeline pipeline.Pipeline
	// Protocols maps a data channel label to the codec of the client
	// protocol it carries, one per call; default: the events protocol on
	// the "events" channel.
	Protocols map[string]func() pipeline.Protocol
	// Clock times the call's limits (connect, idle, duration, command rate,
	// drain) and is given to the pipeline; default the wall clock.
	Clock clock.Clock
	// MaxCalls caps concurrent calls; default 200.
	MaxCalls int
	// MaxCallsPerIP caps concurrent calls from one client address (as given
	// to CreateWith); 0 means no cap.
	MaxCallsPerIP int
	// MaxVideoCalls caps the cameras decoded at once (each 720p 30 fps
	// camera costs 2–5 % of a core, BENCHMARKS.md "Video decode"), so a
	// server full of cameras cannot starve audio: a call over the cap is
	// audio-only to the assistant (its video is read and dropped). 0 means
	// no cap; negative decodes no camera.
	MaxVideoCalls int
	// VideoNice is added to the nice value of each thread decoding a
	// camera (Linux), so that when the CPU is short the audio path runs
	// first and video decoding waits; 0 leaves it unchanged.
	VideoNice int
	// IdleTimeout ends a call when the caller sent no audio above
	// ActivityLevel and no command for this long while the assistant was
	// not thinking or speaking; default 5 min, negative disables.
	IdleTimeout time.Duration
	// ActivityLevel is the RMS level (dBFS) above which a caller frame
	// counts as activity for IdleTimeout; default -50.
	ActivityLevel float64
	// MaxDuration ends a call this long after it was created; default 2 h,
	// negative disables.
	MaxDuration time.Duration
	// CommandRate and CommandBurst limit client messages on the events
	// channel (token bucket per call); defaults 20/s and 40. Messages over
	// the rate are dropped with an error event.
	CommandRate  float64
	CommandBurst int
	// OpusComplexity is the libopus complexity (1..10) of the audio sent to
	// callers; default 5: half the CPU of 10 for the same waveform SNR on
	// speech (media.BenchmarkOpusEncodeSpeech, TestOpusComplexityQuality).
	OpusComplexity int
	// Transcripts, when set, records every call's conversation.
	Transcripts *transcript.Store
	// ICEServers are STUN/TURN servers used for gathering and given to clients.
	ICEServers []webrtc.ICEServer
	// PublicIPs are announced instead of the host addresses (1:1 NAT).
	PublicIPs []string
	// UDPPortMin/UDPPortMax bound the ephemeral UDP ports used for ICE.
	UDPPortMin, UDPPortMax uint16
	// UDPMuxPort, when non-zero, serves every call on this one UDP port.
	UDPMuxPort int
	// TCPPort, when non-zero, also offers passive ICE-TCP candidates for
	// every call on this one TCP port (clients whose network blocks UDP).
	TCPPort int
	// DTLSTimeout bounds the DTLS handshake; default 10 s (pion has none).
	DTLSTimeout time.Duration
	// ConnectTimeout ends a call that has not connected this long after the
	// answer; default 30 s.
	ConnectTimeout time.Duration
	// SCTPMaxMessageSize caps data channel messages; default 64 KiB.
	SCTPMaxMessageSize uint32
	// GatherTimeout bounds ICE candidate gathering before the answer is
	// returned; default 3 s.
	GatherTimeout time.Duration
	// ICEDisconnectedTimeout, ICEFailedTimeout, ICEKeepalive tune ICE;
	// defaults 5 s, 10 s, 2 s.
	ICEDisconnectedTimeout, ICEFailedTimeout, ICEKeepalive time.Duration
	// ResumeWindow keeps a call whose transport failed (ICE failed) for
	// this long, waiting for an ICE restart or a resume; then it ends with
	// ReasonResumeExpired. Zero: the call ends at once with ReasonICEFailed.
	ResumeWindow time.Duration
	// IncludeLoopback gathers loopback candidates (tests, single-host setups).
	IncludeLoopback bool
	// Net replaces the OS network (pion vnet in tests).
	Net transport.Net
	// FrameQueue is the per-call buffer of caller frames; default 50 (1 s).
	FrameQueue int
	// EventQueue is the per-call buffer of outgoing events; default 1024
	// (a story's reply deltas come in bursts, and a codec that misses a
	// state event misleads its client).
	EventQueue int
	// Log is the base logger; every call line adds call_id.
	Log zerolog.Logger
	// PionLogLevel is the least severe of pion's own log lines that reach
	// Log ("trace" … "error"); default "error", pion's own default: its info
	// lines repeat the call's state lines and its teardown warnings are routine.
	PionLogLevel string
}

func (c *Config) setDefaults() {
	if c.PionLogLevel == "" {
		c.PionLogLevel = "error"
	}
	if c.Protocols == nil {
		c.Protocols = map[string]func() pipeline.Protocol{events.Label: events.NewCodec}
	}
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	if c.MaxCalls <= 0 {
		c.MaxCalls = 200
	}
	if c.DTLSTimeout <= 0 {
		c.DTLSTimeout = 10 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 30 * time.Second
	}
	if c.SCTPMaxMessageSize == 0 {
		c.SCTPMaxMessageSize = 64 << 10
	}
	if c.GatherTimeout <= 0 {
		c.GatherTimeout = 3 * time.Second
	}
	if c.ICEDisconnectedTimeout <= 0 {
		c.ICEDisconnectedTimeout = 5 * time.Second
	}
	if c.ICEFailedTimeout <= 0 {
		c.ICEFailedTimeout = 10 * time.Second
	}
	if c.ICEKeepalive <= 0 {
		c.ICEKeepalive = 2 * time.Second
	}
	if c.FrameQueue <= 0 {
		c.FrameQueue = 50
	}
	if c.EventQueue <= 0 {
		c.EventQueue = 1024
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 5 * time.Minute
	}
	if c.ActivityLevel == 0 {
		c.ActivityLevel = -50
	}
	if c.MaxDuration == 0 {
		c.MaxDuration = 2 * time.Hour
	}
	if c.OpusComplexity <= 0 {
		c.OpusComplexity = 5
	}
	if c.CommandRate <= 0 {
		c.CommandRate = 20
	}
	if c.CommandBurst <= 0 {
		c.CommandBurst = 40
	}
}
