package session

// CloseReason says why a call ended. It is logged with every call end and
// counted in metrics.
type CloseReason string

// Close reasons.
const (
	// ReasonClientHangup: the client sent DELETE on the call URL.
	ReasonClientHangup CloseReason = "client_hangup"
	// ReasonICEFailed: ICE connectivity failed or timed out after a disconnect.
	ReasonICEFailed CloseReason = "ice_failed"
	// ReasonPeerClosed: the peer connection closed from the remote side (DTLS close_notify).
	ReasonPeerClosed CloseReason = "peer_closed"
	// ReasonServerShutdown: the server is draining calls on SIGINT/SIGTERM.
	ReasonServerShutdown CloseReason = "server_shutdown"
	// ReasonPipelineError: the call's pipeline stopped with an error.
	ReasonPipelineError CloseReason = "pipeline_error"
	// ReasonSetupFailed: the call could not be negotiated.
	ReasonSetupFailed CloseReason = "setup_failed"
	// ReasonConnectTimeout: ICE and DTLS did not connect in time after the answer.
	ReasonConnectTimeout CloseReason = "connect_timeout"
	// ReasonIdleTimeout: no caller audio above the activity level and no
	// client command for Config.IdleTimeout, while the assistant was quiet.
	ReasonIdleTimeout CloseReason = "idle_timeout"
	// ReasonResumeExpired: the call's transport died and no ICE restart or
	// resume brought it back within Config.ResumeWindow.
	ReasonResumeExpired CloseReason = "resume_expired"
	// ReasonMaxDuration: the call reached Config.MaxDuration.
	ReasonMaxDuration CloseReason = "max_duration"
)
