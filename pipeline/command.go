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
	// CmdInstructions replaces the system prompt with Text (a client
	// protocol's session instructions).
	CmdInstructions CommandKind = "instructions"
	// CmdReply never reaches the pipeline: the codec answered the message
	// itself (Reply, sent back through its Encode as a Reply event) or
	// ignores it (Reply nil).
	CmdReply CommandKind = "reply"
	// CmdHangup: the client asks the server to end the call; the session
	// closes it.
	CmdHangup CommandKind = "hangup"
)

// Command is one validated client command.
type Command struct {
	Kind CommandKind
	// Text of CmdInputText.
	Text string
	// Mode of CmdSessionUpdate.
	Mode Mode
	// Reply, when set on any command, is the codec's own answer to the
	// message: the session emits it as a Reply event before passing the
	// command on (unless the kind is CmdReply).
	Reply any
}
