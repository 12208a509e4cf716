package dialogue

import (
	"testing"
	"time"

	"github.com/duplex-ai/duplex/events"
)

// noLivePartials makes the harness's STT one without live partials.
func noLivePartials(o *Options) { o.STT.(*fakeSTT).noLive = true }

// TestLongBargeInWithoutPartials: over a reply, 3 s of speech on a stream
// that has no words before the speech ends never resumes the reply (the
// false-interruption timer waits for the end of speech); the words then
// interrupt it.
func TestLongBargeInWithoutPartials(t *testing.T) {
	h := newHarness(t, noLivePartials)
	h.say("tell me a story", 20)
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.tick(10)
	h.stt.say("go forward ten meters")
	h.speech(fdStart + 2) // paused
	h.tick(1)
	played := h.out.Played(1)
	for range 15 { // 3 s in all, the timeout passed twice over
		h.speech(10)
		if n := h.clock.fire(3 * time.Second); n != 0 {
			t.Fatalf("%d timers fired while the caller speaks", n)
		}
		h.tick(2)
		if p := h.out.Played(1); p != played {
			t.Fatalf("the reply went on over the caller: %v → %v", played, p)
		}
	}
	h.silence(fdEnd)
	ev := h.waitFor("reply.interrupted", isType(events.TypeReplyInterrupted))
	if ev.TurnID != 1 {
		t.Fatalf("interrupted %+v", ev)
	}
	fin := h.waitFor("the barge-in's transcript", isType(events.TypeTranscriptFinal))
	if fin.TurnID != 2 || fin.Text != "go forward ten meters" {
		t.Fatalf("transcript %+v", fin)
	}
}

// TestNoiseEndedResumes: speech over a reply that ends and brings no
// transcript within the timeout (counted from its end) resumes the reply,
// with and without live partials.
func TestNoiseEndedResumes(t *testing.T) {
	for _, live := range []bool{true, false} {
		t.Run(map[bool]string{true: "live partials", false: "no live partials"}[live], func(t *testing.T) {
			h := newHarness(t, func(o *Options) { o.STT.(*fakeSTT).noLive = !live })
			const answer = "A short answer for you. With two sentences."
			h.llm.reply = answer
			h.say("hello", 20)
			h.waitPlaying("speaking", isState(events.StateSpeaking))
			hold := make(chan struct{})
			h.stt.mu.Lock()
			h.stt.hold = hold // the noise's transcript is late
			h.stt.mu.Unlock()
			h.speech(fdStart + 2)
			h.tick(1)
			played := h.out.Played(1)
			h.clock.advance(time.Second) // the noise lasts a while
			h.silence(fdEnd)
			h.waitFor("thinking", isState(events.StateThinking))
			h.tick(5)
			if h.out.Played(1) != played {
				t.Fatal("not paused")
			}
			if !live {
				// The timer started at the end of speech, not at the pause.
				if n := h.clock.fire(1499 * time.Millisecond); n != 0 {
					t.Fatalf("%d timers fired before the timeout", n)
				}
			}
			if n := h.clock.fire(1500 * time.Millisecond); n != 1 {
				t.Fatalf("%d timers fired", n)
			}
			h.waitFor("speaking again", isState(events.StateSpeaking))
			done := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
			if done.Text != answer {
				t.Fatalf("reply.done %q", done.Text)
			}
			close(hold)
			h.waitFor("listening", isState(events.StateListening))
			h.none("interruption", isType(events.TypeReplyInterrupted))
		})
	}
}

// TestReplyHeldOverSentenceRest: the turn ended at a pause inside a
// sentence and the caller says the rest (2 s) before the reply's first
// audio. Without live partials the reply stays silent while they speak;
// the rest's words then cut it, unheard.
func TestReplyHeldOverSentenceRest(t *testing.T) {
	h := newHarness(t, noLivePartials)
	h.llm.reply = "A short answer for you."
	h.say("the birch canoe", 20)
	h.waitFor("first transcript", isType(events.TypeTranscriptFinal))
	h.stt.say("slid on the smooth planks")
	h.speech(fdStart + 2)
	for range 10 {
		h.speech(10)
		h.clock.fire(1500 * time.Millisecond)
		h.tick(2)
		if p := h.out.Played(1); p != 0 {
			t.Fatalf("the reply played %v over the caller", p)
		}
	}
	h.silence(fdEnd)
	cut := h.waitFor("reply.interrupted", isType(events.TypeReplyInterrupted))
	if cut.TurnID != 1 || cut.Heard != "" {
		t.Fatalf("interrupted %+v, want turn 1's, unheard", cut)
	}
	fin := h.waitFor("the rest's transcript", isType(events.TypeTranscriptFinal))
	if fin.TurnID != 2 || fin.Text != "slid on the smooth planks" {
		t.Fatalf("transcript %+v", fin)
	}
	done := h.waitPlaying("reply to the rest", isType(events.TypeReplyDone))
	if done.TurnID != 2 {
		t.Fatalf("reply.done %+v", done)
	}
	h.none("reply.done of the first turn", func(ev events.Event) bool { return ev.Type == events.TypeReplyDone && ev.TurnID == 1 })
}
