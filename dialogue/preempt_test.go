package dialogue

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/llm"
	dmedia "github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/tools"
)

// tentDetector is the fake detector with a tentative end of turn: silence
// of frac of fdEnd frames.
type tentDetector struct{ fakeDetector }

func (d *tentDetector) Tentative(frac float64) bool {
	return d.active && d.silence > 0 && float64(d.silence) >= frac*fdEnd
}

// specFrames is the silence after which the default bar (60 % of fdEnd)
// starts a speculation.
const specFrames = 6

func newPreemptHarness(t *testing.T) *harness {
	h := newHarness(t, func(o *Options) {
		o.NewDetector = func() Detector { return &tentDetector{} }
	})
	h.tts.eof = make(chan struct{}, 64)
	return h
}

// waitRequests waits until the LLM was asked n times (the speculation's
// reply started); a sync point, not a timing assertion.
func (h *harness) waitRequests(n int) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(h.llm.requests()) < n {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d LLM requests, want %d; saw %s", len(h.llm.requests()), n, h.trace())
		}
		time.Sleep(time.Millisecond)
	}
}

// waitAudioHeld waits until the speculative reply's first piece of audio
// went into its gate.
func (h *harness) waitAudioHeld() {
	h.t.Helper()
	select {
	case <-h.tts.eof:
	case <-time.After(10 * time.Second):
		h.t.Fatal("the speculative reply made no audio")
	}
}

// TestPreemptiveReplyCommitted: the reply is prepared during the pause and
// held; nothing is shown or played before the turn commits, and its first
// audio is queued by the commit itself.
func TestPreemptiveReplyCommitted(t *testing.T) {
	h := newPreemptHarness(t)
	h.llm.reply = "It is three o'clock."
	h.stt.say("what time is it")
	h.speech(20)
	h.silence(specFrames)
	h.waitRequests(1)
	h.waitAudioHeld()
	h.tick(10)
	if n := h.rec.count(); n != 0 || h.out.Queued() != 0 {
		t.Fatalf("%d frames sent, %v queued before the turn ended", n, h.out.Queued())
	}
	h.none("anything of the reply before the commit", func(ev events.Event) bool {
		return ev.Type == events.TypeTranscriptFinal || ev.Type == events.TypeReplyDelta || ev.Type == events.TypeTurnMetrics
	})
	h.silence(fdEnd - specFrames) // the turn commits
	fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal))
	if fin.Text != "what time is it" || fin.TurnID != 1 {
		t.Fatalf("transcript %+v", fin)
	}
	h.silence(1) // the engine is done with the commit frame
	if q := h.out.Queued(); q == 0 && h.out.Played(1) == 0 {
		t.Fatal("no reply audio queued at the commit")
	}
	h.tick(2) // the second tick is taken once the first one's frame is out
	if p := h.out.Played(1); p == 0 {
		t.Fatal("no reply audio sent in the first frame after the commit")
	}
	m := h.waitPlaying("metrics", isType(events.TypeTurnMetrics))
	if m.Metrics == nil || !m.Metrics.Speculative || m.Metrics.DiscardedSpeculations != 0 || m.Metrics.LatencyMS != m.Metrics.EndpointMS {
		t.Fatalf("metrics %+v, want speculative and no wait after the end of turn", m.Metrics)
	}
	done := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if done.Text != "It is three o'clock." {
		t.Fatalf("reply.done %q", done.Text)
	}
	if n := len(h.llm.requests()); n != 1 {
		t.Fatalf("%d LLM requests, want the speculative one only", n)
	}
	// The next turn's history has the committed turn once.
	h.say("and the date", 20)
	h.waitPlaying("second reply.done", func(ev events.Event) bool { return ev.Type == events.TypeReplyDone && ev.TurnID == 2 })
	reqs := h.llm.requests()
	hist := reqs[len(reqs)-1].History
	if len(hist) != 3 || hist[0].Text != "what time is it" || hist[1].Text != "It is three o'clock." || hist[2].Text != "and the date" {
		t.Fatalf("history %+v", hist)
	}
}

// TestPreemptiveReplyCancelled: the user pauses long enough for a
// speculation, then goes on: the speculation leaves no event, no history
// entry and no audio; the turn is answered once, on all of its words, and
// its metrics count the discarded speculation.
func TestPreemptiveReplyCancelled(t *testing.T) {
	h := newPreemptHarness(t)
	h.llm.reply = "Eighty-four."
	h.stt.say("what is twelve", "what is twelve times seven")
	h.speech(20)
	h.silence(specFrames)
	h.waitRequests(1)
	h.waitAudioHeld()
	h.stt.mu.Lock()
	written := h.stt.written
	h.stt.mu.Unlock()
	h.speech(15) // the user goes on
	h.tick(10)
	if n := h.rec.count(); n != 0 {
		t.Fatalf("%d frames of the dropped speculation sent", n)
	}
	h.silence(fdEnd)
	fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal))
	if fin.Text != "what is twelve times seven" || fin.TurnID != 1 {
		t.Fatalf("transcript %+v (the dropped speculation took a turn?)", fin)
	}
	h.stt.mu.Lock()
	streams, replayed := h.stt.streams, h.stt.written
	h.stt.mu.Unlock()
	if streams != 2 || replayed < written+15*dmedia.FrameSamples {
		t.Fatalf("%d STT streams, %d samples in the last (first: %d): want a new stream with all the audio", streams, replayed, written)
	}
	m := h.waitPlaying("metrics", isType(events.TypeTurnMetrics))
	if m.Metrics == nil || m.Metrics.DiscardedSpeculations != 1 {
		t.Fatalf("metrics %+v, want one discarded speculation", m.Metrics)
	}
	h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	for _, ev := range h.seen {
		if ev.TurnID > 1 || strings.Contains(ev.Text, "what is twelve") && ev.Text != "what is twelve times seven" {
			t.Fatalf("a trace of the dropped speculation: %+v", ev)
		}
		if ev.Type == events.TypeReplyDelta && ev.TurnID != 1 {
			t.Fatalf("delta %+v", ev)
		}
	}
	// Deltas: one reply's worth, not two.
	if d := h.deltas(); d != "Eighty-four." {
		t.Fatalf("deltas %q", d)
	}
	h.say("and then", 20)
	h.waitPlaying("second reply", func(ev events.Event) bool { return ev.Type == events.TypeReplyDone && ev.TurnID == 2 })
	reqs := h.llm.requests()
	hist := reqs[len(reqs)-1].History
	var users []string
	for _, m := range hist {
		if m.Role == llm.RoleUser {
			users = append(users, m.Text)
		}
	}
	if strings.Join(users, "|") != "what is twelve times seven|and then" {
		t.Fatalf("history's user turns %q", users)
	}
}

// TestPreemptiveReplyErrorSilent: a brain that fails during the
// speculation says nothing and shows no error while the turn is open; the
// commit then handles the turn the ordinary way (one error, one apology).
func TestPreemptiveReplyErrorSilent(t *testing.T) {
	h := newPreemptHarness(t)
	h.llm.err = errors.New("model overloaded")
	h.stt.say("what time is it")
	h.speech(20)
	h.silence(specFrames)
	h.waitRequests(1)
	h.tick(10)
	if n := h.rec.count(); n != 0 {
		t.Fatalf("%d frames sent during the failed speculation", n)
	}
	h.none("an error or reply before the commit", func(ev events.Event) bool {
		return ev.Type == events.TypeError || ev.Type == events.TypeReplyDelta || ev.Type == events.TypeTranscriptFinal
	})
	h.silence(fdEnd - specFrames)
	h.waitFor("error after the commit", isType(events.TypeError))
	h.waitPlaying("apology", isType(events.TypeReplyDone))
	if n := h.seenCount(isType(events.TypeError)); n != 1 {
		t.Fatalf("%d error events, want 1", n)
	}
}

// TestPreemptiveReplyErrorThenGoOn: a failed speculation the user talks
// past leaves nothing at all.
func TestPreemptiveReplyErrorThenGoOn(t *testing.T) {
	h := newPreemptHarness(t)
	h.llm.err = errors.New("model overloaded")
	h.stt.say("what is twelve", "what is twelve times seven")
	h.speech(20)
	h.silence(specFrames)
	h.waitRequests(1)
	h.speech(10)
	h.llm.mu.Lock()
	h.llm.err = nil
	h.llm.mu.Unlock()
	h.silence(fdEnd)
	fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal))
	if fin.Text != "what is twelve times seven" {
		t.Fatalf("transcript %+v", fin)
	}
	h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	h.none("an error", isType(events.TypeError))
}

// TestNoPreemptionWithTools: a brain with tools may act in the world, so
// nothing starts before the turn commits.
func TestNoPreemptionWithTools(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.NewDetector = func() Detector { return &tentDetector{} }
		o.Tools = tools.NewRegistry()
	})
	h.llm.reply = "It is three o'clock."
	h.stt.say("what time is it")
	h.speech(20)
	h.silence(fdEnd - 1) // tentative for 4 frames, not ended
	if n := len(h.llm.requests()); n != 0 {
		t.Fatalf("%d LLM requests before the end of turn with tools", n)
	}
	h.silence(1)
	m := h.waitPlaying("metrics", isType(events.TypeTurnMetrics))
	if m.Metrics.Speculative {
		t.Fatalf("metrics %+v: speculative with tools", m.Metrics)
	}
}

// TestPreemptiveTranscriptAfterCommit: the turn commits before the
// speculation's transcript is back; the transcript then takes the
// ordinary path, once, and the turn counts as speculative.
func TestPreemptiveTranscriptAfterCommit(t *testing.T) {
	h := newPreemptHarness(t)
	h.llm.reply = "It is three o'clock."
	hold := make(chan struct{})
	h.stt.hold = hold
	h.stt.say("what time is it")
	h.speech(20)
	h.silence(fdEnd) // speculation at 6 frames, commit at 10
	h.waitFor("thinking", isState(events.StateThinking))
	h.none("a transcript before the recogniser answered", isType(events.TypeTranscriptFinal))
	hold <- struct{}{}
	fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal))
	if fin.Text != "what time is it" || fin.TurnID != 1 {
		t.Fatalf("transcript %+v", fin)
	}
	m := h.waitPlaying("metrics", isType(events.TypeTurnMetrics))
	if !m.Metrics.Speculative || m.Metrics.DiscardedSpeculations != 0 {
		t.Fatalf("metrics %+v", m.Metrics)
	}
	h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	h.stt.mu.Lock()
	streams := h.stt.streams
	h.stt.mu.Unlock()
	if n := len(h.llm.requests()); n != 1 || streams != 1 {
		t.Fatalf("%d LLM requests, %d STT streams: want one of each", n, streams)
	}
}

// TestPreemptDiscardKeepsHint: after a discarded speculation the new
// stream's partial is empty until it has caught up; the digit string's
// hint holds meanwhile, so the next pause does not end the turn as an
// unhinted one would (550 ms there against the 1.2 s a digit waits).
func TestPreemptDiscardKeepsHint(t *testing.T) {
	h := adaptiveHarness(t)
	hold := make(chan struct{})
	setPartial := func(p string) {
		h.stt.mu.Lock()
		h.stt.partial = p
		h.stt.hold = hold
		h.stt.mu.Unlock()
	}
	setPartial("my number is three")
	h.stt.say("my number is three seven one")
	h.speech(20)
	h.streamOpen(1)
	h.silence(37) // a speculation at 60 % of the 1.2 s wait
	setPartial("")
	h.speech(10) // the user goes on: discarded, a new stream catching up
	h.streamOpen(2)
	h.silence(31) // 620 ms: past an unhinted wait, inside the digits' (the last frame syncs)
	h.waitFor("user speaking", isState(events.StateUserSpeaking))
	h.none("the end of turn inside the digit string's pause", isState(events.StateThinking))
	setPartial("my number is three seven one")
	h.speech(10)
	h.silence(62)
	hold <- struct{}{}
	fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal))
	if fin.Text != "my number is three seven one" {
		t.Fatalf("transcript %q", fin.Text)
	}
}

// TestPreemptDiscardKeepsPushedHint: as above with a recogniser that
// pushes its partials. A digit string's second, longer pause speculates
// (the pace-scaled hold is 500 ms); the user goes on and the turn is
// replayed into a new stream, whose first partial reads a prefix of the
// turn ("good" for its first digit). Neither that nor a late partial of
// the abandoned stream replaces the digits' hint before the new stream
// covers the replayed audio, so the next pause waits the digit hold; the
// word's wait after that long run would end the turn within 700 ms.
func TestPreemptDiscardKeepsPushedHint(t *testing.T) {
	h := adaptiveHarness(t)
	hold := make(chan struct{})
	h.stt.mu.Lock()
	h.stt.push, h.stt.hold = true, hold
	h.stt.mu.Unlock()
	h.stt.say("three seven one")
	h.speech(20)
	h.streamOpen(1)
	h.stt.pushPartialAt(stt.PartialFirst, "three", 6400)
	h.stt.pushPartialAt(stt.PartialLM, "three", 6400)
	h.silence(6)
	h.speech(15)
	h.stt.pushPartialAt(stt.PartialFirst, "three seven", 11200)
	h.stt.pushPartialAt(stt.PartialLM, "three seven", 11200)
	h.stt.mu.Lock()
	old := h.stt.onPartial
	h.stt.mu.Unlock()
	h.silence(17) // a speculation at 60 % of the 500 ms hold
	h.speech(45)  // the user goes on: discarded, the turn replayed into a new stream
	h.streamOpen(2)
	old(stt.PartialLM, "they don't", 11200)
	h.stt.pushPartialAt(stt.PartialFirst, "good", 3200)
	h.silence(35) // 700 ms (the last frame syncs)
	h.waitFor("user speaking", isState(events.StateUserSpeaking))
	h.none("the end of turn inside the digit string's pause", isState(events.StateThinking))
	h.speech(10)
	h.silence(62)
	hold <- struct{}{}
	fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal))
	if fin.Text != "three seven one" {
		t.Fatalf("transcript %q", fin.Text)
	}
}

// TestPreemptOverReplyInFlight: a pause inside a question ends a turn; its
// reply is still thinking (no audio) when the rest of the question comes.
// The rest speculates; the commit cuts the unheard reply, releases the
// held one and leaves no trace of the cut reply in history.
func TestPreemptOverReplyInFlight(t *testing.T) {
	h := newPreemptHarness(t)
	h.llm.reply = "It is three o'clock."
	h.llm.stallFirst = 1
	h.stt.say("what is", "the time")
	h.speech(20)
	h.silence(fdEnd) // the first part ends a turn; its reply stalls
	h.waitFor("first transcript", func(ev events.Event) bool { return ev.Type == events.TypeTranscriptFinal && ev.TurnID == 1 })
	h.waitRequests(1)
	h.speech(20) // the rest, over the reply in flight
	h.silence(specFrames)
	h.waitRequests(2) // the rest's speculation
	h.waitAudioHeld()
	h.none("the rest's turn before its commit", func(ev events.Event) bool {
		return ev.TurnID == 2 || ev.Type == events.TypeReplyInterrupted
	})
	h.silence(fdEnd - specFrames)
	cut := h.waitFor("the first part's reply cut", isType(events.TypeReplyInterrupted))
	if cut.TurnID != 1 || cut.Heard != "" {
		t.Fatalf("interrupted %+v", cut)
	}
	fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal))
	if fin.Text != "the time" || fin.TurnID != 2 {
		t.Fatalf("transcript %+v", fin)
	}
	m := h.waitPlaying("metrics", isType(events.TypeTurnMetrics))
	if m.Metrics == nil || !m.Metrics.Speculative || m.TurnID != 2 {
		t.Fatalf("metrics %+v (turn %d), want the rest's, speculative", m.Metrics, m.TurnID)
	}
	done := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if done.TurnID != 2 || done.Text != "It is three o'clock." {
		t.Fatalf("reply.done %+v", done)
	}
	reqs := h.llm.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d LLM requests, want the first part's and the speculation's", len(reqs))
	}
	var hist []string
	for _, m := range reqs[1].History {
		hist = append(hist, string(m.Role)+":"+m.Text)
	}
	if strings.Join(hist, "|") != "user:what is|user:the time" {
		t.Fatalf("the speculation's history %q", hist)
	}
}

// TestPreemptBackchannelOverReplyInFlight: a backchannel said over a reply
// still thinking speculates its recognition but starts no reply; the
// commit leaves the reply it was said over alone.
func TestPreemptBackchannelOverReplyInFlight(t *testing.T) {
	h := newPreemptHarness(t)
	h.llm.stallFirst = 1
	h.stt.say("what time is it", "yeah")
	h.speech(20)
	h.silence(fdEnd)
	h.waitFor("first transcript", func(ev events.Event) bool { return ev.Type == events.TypeTranscriptFinal && ev.TurnID == 1 })
	h.waitRequests(1)
	h.speech(10)
	h.silence(fdEnd)
	h.waitFor("the backchannel's turn over", isState(events.StateThinking))
	h.tick(10)
	h.none("a new turn or a cut reply", func(ev events.Event) bool {
		return ev.TurnID == 2 || ev.Type == events.TypeReplyInterrupted
	})
	h.stt.mu.Lock()
	streams := h.stt.streams
	h.stt.mu.Unlock()
	if n := len(h.llm.requests()); n != 1 || streams != 2 {
		t.Fatalf("%d LLM requests, %d STT streams: want the first turn's reply only, and the backchannel heard", n, streams)
	}
}

// TestPreemptOverReplyHeardByCommit: the reply the rest was said over
// resumes (a false interruption) and is heard before the rest commits;
// the speculation was made without it, so the rest is answered the
// ordinary way, on a history that has what was heard.
func TestPreemptOverReplyHeardByCommit(t *testing.T) {
	h := newPreemptHarness(t)
	h.llm.reply = "It is three o'clock."
	h.llm.stallFirst, h.llm.hold = 1, make(chan struct{})
	h.stt.say("what is", "the time")
	h.speech(20)
	h.silence(fdEnd)
	h.waitFor("first transcript", func(ev events.Event) bool { return ev.Type == events.TypeTranscriptFinal && ev.TurnID == 1 })
	h.waitRequests(1)
	h.speech(20) // over the reply in flight: it is paused
	h.silence(specFrames)
	h.waitRequests(2)
	h.waitAudioHeld()
	h.clock.fire(1500 * time.Millisecond) // FalseInterruptionTimeout: no words yet, the reply resumes
	close(h.llm.hold)
	m := h.waitPlaying("the first reply heard", isType(events.TypeTurnMetrics))
	if m.TurnID != 1 {
		t.Fatalf("metrics of turn %d first", m.TurnID)
	}
	h.silence(fdEnd - specFrames)
	cut := h.waitPlaying("the first reply cut", isType(events.TypeReplyInterrupted))
	if cut.TurnID != 1 {
		t.Fatalf("interrupted %+v, want turn 1's", cut)
	}
	fin := h.waitFor("transcript", isType(events.TypeTranscriptFinal))
	if fin.Text != "the time" || fin.TurnID != 2 {
		t.Fatalf("transcript %+v", fin)
	}
	h.waitRequests(3) // the held speculation was dropped, the reply made again
	done := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if done.TurnID != 2 || done.Text != "It is three o'clock." {
		t.Fatalf("reply.done %+v", done)
	}
	if n := len(h.llm.requests()); n != 3 {
		t.Fatalf("%d LLM requests, want 3", n)
	}
}
