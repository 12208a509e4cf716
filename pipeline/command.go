package pipeline

import (
	"time"

	"github.com/duplex-ai/duplex/media"
)

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
	// CmdConfigure applies a client protocol's session settings: the set
	// fields of Instructions (the system prompt) and Turn (turn detection).
	CmdConfigure CommandKind = "configure"
	// CmdReply never reaches the pipeline: the codec answered the message
	// itself (Reply, sent back through its Encode as a Reply event) or
	// ignores it (Reply nil).
	CmdReply CommandKind = "reply"
	// CmdInputAudioCommit ends the user's spoken turn now, whatever the
	// VAD says (a client that commits its own turns).
	CmdInputAudioCommit CommandKind = "input.audio.commit"
	// CmdInputAudioClear drops the user's turn being spoken, unheard.
	CmdInputAudioClear CommandKind = "input.audio.clear"
	// CmdResponseCreate answers the committed turn when the client
	// commits its own turns (ClientTurns): replies wait for it.
	CmdResponseCreate CommandKind = "response.create"
	// CmdInputImage gives the next turn a still from the client (Image).
	CmdInputImage CommandKind = "input.image"
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
	// Instructions, when set, replace the system prompt (CmdConfigure).
	Instructions *string
	// Turn, when set, tunes turn detection (CmdConfigure).
	Turn *TurnSettings
	// ClientTurns, when set, switches client-committed turns on or off
	// (CmdConfigure): on, the VAD still hears speech start but only
	// CmdInputAudioCommit ends a turn, speech does not barge in, and a
	// spoken turn's reply waits for CmdResponseCreate.
	ClientTurns *bool
	// Image is a still from the client (CmdInputImage, or with
	// CmdInputText): the next turn's picture instead of the camera's.
	Image *media.Snapshot
	// Reply, when set on any command, is the codec's own answer to the
	// message: the session emits it as a Reply event before passing the
	// command on (unless the kind is CmdReply).
	Reply any
}

// TurnSettings tune a call's turn detection; zero fields keep the
// server's setting.
type TurnSettings struct {
	// Threshold is the speech probability (0 … 1) at which a frame counts
	// as speech.
	Threshold float64
	// PrefixPadding is the audio before the detected onset given to STT.
	PrefixPadding time.Duration
	// Silence is how much silence ends the user's turn.
	Silence time.Duration
}
