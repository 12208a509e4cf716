package dialogue

import (
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/pipeline"
)

// checkHeard: heard is a prefix of the story whose words started before
// played, and the next word had not (10 ms of fake speech per byte).
func checkHeard(t *testing.T, heard string, played time.Duration) {
	t.Helper()
	if heard == "" || !strings.HasPrefix(story, heard) {
		t.Fatalf("heard %q: want a non-empty prefix of the story", heard)
	}
	f := strings.Fields(heard)
	if got := time.Duration(len(heard)-len(f[len(f)-1])) * ttsPerByte; got > played+ttsPerByte*8 {
		t.Errorf("heard %d bytes but only %v played", len(heard), played)
	}
	if rest := strings.TrimPrefix(story, heard); rest != "" {
		next := strings.Fields(rest)[0]
		if reach := time.Duration(len(heard)+len(next)+2) * ttsPerByte; reach < played-ttsPerByte*8 {
			t.Errorf("%v played but heard stops at %q, before %q", played, heard, next)
		}
	}
}

// TestCallEndRecordsReply: the call ends while the story plays; the reply
// is recorded as interrupted with the call's close reason and the text
// heard at the playback position, like a barge-in.
func TestCallEndRecordsReply(t *testing.T) {
	for _, reason := range []string{"client_hangup", "server_shutdown", "ice_failed"} {
		t.Run(reason, func(t *testing.T) {
			h := newHarness(t, nil)
			h.say("tell me a story", 20)
			h.waitPlaying("speaking", isState(events.StateSpeaking))
			h.tick(150) // 3 s of the story
			played := h.out.Played(1)
			h.stop(pipeline.Ended{Reason: reason})
			ev := h.waitFor("reply.interrupted", isType(events.TypeReplyInterrupted))
			if ev.TurnID != 1 || ev.Reason != reason || !strings.HasPrefix(story, ev.Text) || len(ev.Text) < len(ev.Heard) {
				t.Fatalf("reply.interrupted %+v, want turn 1, reason %s and the planned text", ev, reason)
			}
			checkHeard(t, ev.Heard, played)
			h.none("reply.done", isType(events.TypeReplyDone))
			if n := h.seenCount(isType(events.TypeReplyInterrupted)); n != 1 {
				t.Errorf("%d reply.interrupted events, want 1", n)
			}
		})
	}
}

// TestCallEndWithoutCause: a context ended without pipeline.Ended still
// records the reply, under a generic reason.
func TestCallEndWithoutCause(t *testing.T) {
	h := newHarness(t, nil)
	h.say("tell me a story", 20)
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.tick(100)
	h.stop(nil)
	ev := h.waitFor("reply.interrupted", isType(events.TypeReplyInterrupted))
	if ev.Reason != reasonEnded || ev.Heard == "" {
		t.Fatalf("reply.interrupted %+v", ev)
	}
}

// TestCallEndRecordsUserPartial: the call ends while the user speaks (no
// end of turn yet): their words so far are a partial transcript.
func TestCallEndRecordsUserPartial(t *testing.T) {
	h := newHarness(t, nil)
	h.stt.mu.Lock()
	h.stt.partial = "what is the"
	h.stt.mu.Unlock()
	h.speech(fdStart + 10)
	h.waitFor("user_speaking", isState(events.StateUserSpeaking))
	h.streamOpen(1)
	h.stop(pipeline.Ended{Reason: "client_hangup"})
	ev := h.waitFor("transcript.final", isType(events.TypeTranscriptFinal))
	if !ev.Partial || ev.Text != "what is the" || ev.TurnID != 1 {
		t.Fatalf("transcript.final %+v, want partial turn 1 \"what is the\"", ev)
	}
	h.none("a reply", isType(events.TypeReplyInterrupted))
}

// TestCallEndDuringBargeIn: the user starts talking over the story (it
// pauses) and the call ends before their turn does: the story is recorded
// as heard up to the pause, then the user's partial turn.
func TestCallEndDuringBargeIn(t *testing.T) {
	h := newHarness(t, nil)
	h.say("tell me a story", 20)
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.tick(120)
	h.stt.mu.Lock()
	h.stt.partial = "wait"
	h.stt.mu.Unlock()
	h.speech(fdStart + 2)
	h.tick(1)
	h.speech(5)
	h.streamOpen(2)
	played := h.out.Played(1)
	h.stop(pipeline.Ended{Reason: "max_duration"})
	ev := h.waitFor("reply.interrupted", isType(events.TypeReplyInterrupted))
	if ev.Reason != "max_duration" {
		t.Fatalf("reply.interrupted %+v", ev)
	}
	checkHeard(t, ev.Heard, played)
	u := h.waitFor("transcript.final", isType(events.TypeTranscriptFinal))
	if !u.Partial || u.Text != "wait" || u.TurnID != 2 {
		t.Fatalf("transcript.final %+v, want partial turn 2 \"wait\"", u)
	}
}

// streamOpen waits until the call's nth STT stream has opened and audio
// reached it, so its partial is readable.
func (h *harness) streamOpen(nth int) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.stt.mu.Lock()
		n, streams := h.stt.written, h.stt.streams
		h.stt.mu.Unlock()
		if streams >= nth && n > 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatal("the STT stream never got audio")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCallEndWhileRecognising: the user's turn has ended but its
// transcript has not come back when the call ends: it is recorded as a
// partial turn too, not dropped.
func TestCallEndWhileRecognising(t *testing.T) {
	h := newHarness(t, nil)
	h.stt.mu.Lock()
	h.stt.partial, h.stt.stall = "what time", true
	h.stt.mu.Unlock()
	h.speech(20)
	h.streamOpen(1)
	h.silence(fdEnd)
	h.waitFor("thinking", isState(events.StateThinking))
	h.stop(pipeline.Ended{Reason: "client_hangup"})
	ev := h.waitFor("transcript.final", isType(events.TypeTranscriptFinal))
	if !ev.Partial || ev.Text != "what time" || ev.TurnID != 1 {
		t.Fatalf("transcript.final %+v, want partial turn 1 \"what time\"", ev)
	}
}
