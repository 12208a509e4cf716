package dialogue

import (
	"image"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
)

func isError(prefix string) func(events.Event) bool {
	return func(ev events.Event) bool {
		return ev.Type == events.TypeError && strings.HasPrefix(ev.Message, prefix)
	}
}

func TestClientCommittedTurns(t *testing.T) {
	h := newHarness(t, nil)
	on := true
	h.cmds <- pipeline.Command{Kind: pipeline.CmdConfigure, ClientTurns: &on}
	// Nothing spoken: commit and response.create are refused.
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputAudioCommit}
	h.waitFor("empty commit error", isError("input audio commit"))
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCreate}
	h.waitFor("nothing to answer", isError("response.create"))

	// The VAD's silence does not end the turn.
	h.llm.reply = "It is noon."
	h.stt.say("what time is it")
	h.speech(20)
	h.silence(3 * fdEnd)
	h.waitFor("user_speaking", isState(events.StateUserSpeaking))
	h.none("end of turn before the commit", isState(events.StateThinking))
	// The commit ends it; the reply waits for response.create.
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputAudioCommit}
	if fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal)); fin.Text != "what time is it" {
		t.Fatalf("%+v", fin)
	}
	h.waitFor("listening while held", isState(events.StateListening))
	if n := len(h.llm.requests()); n != 0 {
		t.Fatalf("%d LLM requests before response.create", n)
	}
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCreate}
	if done := h.waitPlaying("reply", isType(events.TypeReplyDone)); done.Text != "It is noon." {
		t.Fatalf("%+v", done)
	}
	if reqs := h.llm.requests(); len(reqs) != 1 || lastUser(reqs[0]) != "what time is it" {
		t.Fatalf("%+v", reqs)
	}

	// Speech over a reply does not barge in: the client cancels.
	h.llm.reply = story
	h.stt.say("tell me a story", "hmm")
	h.speech(20)
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputAudioCommit}
	h.waitFor("transcript 2", isType(events.TypeTranscriptFinal))
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCreate}
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.speech(40)
	h.tick(5)
	h.none("an interruption by speech", isType(events.TypeReplyInterrupted))
	// Clearing drops that speech; the reply goes on.
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputAudioClear}
	h.silence(2)
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputAudioCommit}
	h.waitFor("commit after clear", isError("input audio commit"))
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCancel}
	h.waitFor("cancelled", isType(events.TypeReplyInterrupted))

	// Server turns again: the VAD ends turns and replies start by themselves.
	off := false
	h.cmds <- pipeline.Command{Kind: pipeline.CmdConfigure, ClientTurns: &off}
	h.llm.reply = "Hello."
	h.stt.texts = nil
	h.say("hello", 20)
	if done := h.waitPlaying("server-turn reply", isType(events.TypeReplyDone)); done.Text != "Hello." {
		t.Fatalf("%+v", done)
	}
}

// A response.create that arrives before the committed turn's transcript
// is answered when the transcript comes.
func TestClientResponseBeforeTranscript(t *testing.T) {
	h := newHarness(t, nil)
	on := true
	h.cmds <- pipeline.Command{Kind: pipeline.CmdConfigure, ClientTurns: &on}
	h.llm.reply = "Yes."
	h.stt.mu.Lock()
	h.stt.stall = true
	h.stt.mu.Unlock()
	h.speech(20)
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputAudioCommit}
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCreate} // pending: Finish stalls
	h.waitFor("thinking", isState(events.StateThinking))
	// The stalled Finish gives up at the STT timeout: an error, and the
	// pending response.create is not left waiting for ever.
	h.waitFiring("response.create fails", time.Minute, isError("response.create"))
	h.waitFor("stt timeout", isError("stt"))
	h.stt.mu.Lock()
	h.stt.stall = false
	h.stt.mu.Unlock()
	if n := h.nothingHeard.Load(); n != 1 {
		t.Fatalf("%d NothingHeard for a committed turn that failed, want 1", n)
	}
	h.waitPlaying("apology", isType(events.TypeReplyDone))
	if n := len(h.llm.requests()); n != 0 {
		t.Fatalf("%d LLM requests for a turn that failed", n)
	}
	// Next turn: the response.create before its transcript starts the reply.
	h.stt.say("are you there")
	h.speech(20)
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputAudioCommit}
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCreate}
	if done := h.waitPlaying("reply", isType(events.TypeReplyDone)); done.Text != "Yes." {
		t.Fatalf("%+v", done)
	}
}

func TestClientStillReachesTheBrain(t *testing.T) {
	h := newHarness(t, nil)
	h.llm.reply = "A red square."
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputImage, Image: &media.Snapshot{Image: img, Captured: h.clock.Now()}}
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputText, Text: "what do you see"}
	h.waitPlaying("reply", isType(events.TypeReplyDone))
	reqs := h.llm.requests()
	if len(reqs) != 1 || reqs[0].Image == nil || len(reqs[0].Image.JPEG) == 0 || reqs[0].Image.Decoded.Bounds().Dx() != 64 {
		t.Fatalf("%+v", reqs)
	}
	// Used once: the next turn has no picture (no camera).
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputText, Text: "and now"}
	h.waitPlaying("reply 2", isType(events.TypeReplyDone))
	if reqs := h.llm.requests(); len(reqs) != 2 || reqs[1].Image != nil {
		t.Fatalf("second turn image %+v", reqs[1].Image)
	}
}

// A committed turn heard as no words is NothingHeard, and its
// response.create fails.
func TestClientCommitHeardNothing(t *testing.T) {
	h := newHarness(t, nil)
	on := true
	h.cmds <- pipeline.Command{Kind: pipeline.CmdConfigure, ClientTurns: &on}
	h.speech(20) // the fake recogniser has no words scripted
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputAudioCommit}
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCreate}
	h.waitFor("response.create fails", isError("response.create"))
	if n := h.nothingHeard.Load(); n != 1 {
		t.Fatalf("%d NothingHeard, want 1", n)
	}
	h.none("a transcript", isType(events.TypeTranscriptFinal))
}

// A turn the client never commits ends after clientTurnMax of audio.
func TestClientTurnCapped(t *testing.T) {
	h := newHarness(t, nil)
	on := true
	h.cmds <- pipeline.Command{Kind: pipeline.CmdConfigure, ClientTurns: &on}
	h.stt.say("a very long speech")
	h.speech(20)
	h.silence(int(clientTurnMax/media.FrameDuration) - 30)
	h.none("the end of the turn before the cap", isState(events.StateThinking))
	h.silence(20)
	if fin := h.waitFor("transcript at the cap", isType(events.TypeTranscriptFinal)); fin.Text != "a very long speech" {
		t.Fatalf("%+v", fin)
	}
	if n := len(h.llm.requests()); n != 0 {
		t.Fatalf("%d LLM requests: the reply must still wait for response.create", n)
	}
}
