package pipeline

// CommandKind names a client command. The values are the command names of
// the events protocol.
type CommandKind string

// Command kinds.
const (
	// CmdInputText is a typed user turn.
	CmdInputText CommandKind = "input.text"
	// CmdResponseCancel stops the reply in progress.
	CmdResponseCancel CommandKind = "response.cancel"
	// CmdSessionUpdate changes the conversation mode.
	CmdSessionUpdate CommandKind = "session.update"
	// CmdInputAudioStart and CmdInputAudioStop bracket push-to-talk: the
	// audio between them is one user turn, whatever the VAD says.
	CmdInputAudioStart CommandKind = "input.audio.start"
	CmdInputAudioStop  CommandKind = "input.audio.stop"
)

// Command is one validated client command.
type Command struct {
	Kind CommandKind
	// Text of CmdInputText.
	Text string
	// Mode of CmdSessionUpdate.
	Mode Mode
}
