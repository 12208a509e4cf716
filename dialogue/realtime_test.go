package dialogue

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	rtbrain "github.com/duplex-ai/duplex/brain/realtime"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/fakerealtime"
	"github.com/duplex-ai/duplex/pipeline"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/tts/espeak"

	"github.com/duplex-ai/duplex/internal/testtier"
)

// realtimeHarness is the engine with the speech-to-speech brain against
// the fake Realtime server (espeak-ng voice, replies paced in real time).
func realtimeHarness(t *testing.T, fo fakerealtime.Options, mut func(*rtbrain.Config)) (*harness, *fakerealtime.Server) {
	t.Helper()
	voice, err := espeak.New(espeak.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fo.TTS = voice
	fake := fakerealtime.Start(fo)
	t.Cleanup(fake.Close) // after the call has ended (cleanups run last first)
	h := newHarness(t, func(o *Options) {
		cfg := rtbrain.Config{URL: fake.URL(), Model: "fake-realtime", APIKey: fo.APIKey, Instructions: "Be brief.", Voice: "alloy",
			Timeout: 10 * time.Second, Fallback: voice, Clock: o.Clock}
		if mut != nil {
			mut(&cfg)
		}
		b, err := rtbrain.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		o.Brain = b
	})
	return h, fake
}

func waitFake(t *testing.T, fake *fakerealtime.Server, what string, cond func([]wire.Event) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fake.Wait(ctx, cond); err != nil {
		t.Fatalf("the fake never saw %s; got %d events", what, len(fake.Received()))
	}
}

// TestRealtimeBrainTurn: a spoken turn reaches the model as audio and a
// commit; its transcript and the model's spoken reply come back as the
// cascade's events; the reply audio plays.
func TestRealtimeBrainTurn(t *testing.T) {
	h, fake := realtimeHarness(t, fakerealtime.Options{APIKey: "sk-test"}, nil)
	fake.SetTranscript("what time is it")
	h.speech(20)
	h.silence(fdEnd)
	final := h.waitFor("user transcript", isType(events.TypeTranscriptFinal))
	if final.Text != "what time is it" {
		t.Fatalf("user transcript %q", final.Text)
	}
	done := h.waitPlaying("reply.done", isType(events.TypeReplyDone))
	if done.Text != "You said: what time is it." {
		t.Fatalf("reply text %q", done.Text)
	}
	if n := h.rec.count(); n < 25 { // "You said: what time is it." is over a second of speech
		t.Fatalf("%d audio frames played", n)
	}
	evs := fake.Received()
	if evs[0].EventType() != wire.TypeSessionUpdate {
		t.Fatalf("first event %s, want session.update", evs[0].EventType())
	}
	su := evs[0].(*wire.SessionUpdate).Session
	if su.Instructions == nil || *su.Instructions != "Be brief." || su.Audio.Output.Voice != "alloy" || !su.Audio.Input.TurnDetection.IsNull() || su.Audio.Input.Format.Rate != 24000 {
		t.Fatalf("session.update %+v", su)
	}
	for _, typ := range []string{wire.TypeInputAudioBufferAppend, wire.TypeInputAudioBufferCommit, wire.TypeResponseCreate} {
		if fakerealtime.Count(evs, typ) == 0 {
			t.Fatalf("no %s sent", typ)
		}
	}
}

// TestRealtimeBrainBargeIn: speech over the reply pauses it; once the
// words say it is an interruption the model gets response.cancel and a
// truncate at the audio that was played.
func TestRealtimeBrainBargeIn(t *testing.T) {
	h, fake := realtimeHarness(t, fakerealtime.Options{Reply: func(string) string { return story }}, nil)
	fake.SetTranscript("tell me a story")
	h.speech(20)
	h.silence(fdEnd)
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	for h.rec.count() < 40 { // 800 ms heard
		h.tick(1)
		time.Sleep(time.Millisecond) // the fake sends audio in real time
	}
	fake.SetTranscript("stop")
	// 3 s over the story: the brain has no live partials, so the reply
	// stays paused while the caller speaks, past the false-interruption
	// timeout.
	h.speech(fdStart + 2)
	h.tick(1)
	paused := h.rec.count()
	for range 15 {
		h.speech(10)
		h.clock.fire(1500 * time.Millisecond)
		h.tick(2)
		if n := h.rec.count(); n != paused {
			t.Fatalf("the story went on over the caller: %d → %d frames", paused, n)
		}
	}
	h.silence(fdEnd)
	ev := h.waitFor("reply.interrupted", isType(events.TypeReplyInterrupted))
	played := time.Duration(h.rec.count()) * 20 * time.Millisecond
	waitFake(t, fake, "a truncate", func(evs []wire.Event) bool { return fakerealtime.Count(evs, wire.TypeConversationItemTruncate) > 0 })
	evs := fake.Received()
	if fakerealtime.Count(evs, wire.TypeResponseCancel) != 1 {
		t.Fatalf("%d response.cancel, want 1", fakerealtime.Count(evs, wire.TypeResponseCancel))
	}
	tr := fake.Truncations()
	if len(tr) != 1 || tr[0].Rejected {
		t.Fatalf("truncations %+v", tr)
	}
	if d := time.Duration(tr[0].AudioEndMs)*time.Millisecond - played; d < -40*time.Millisecond || d > 40*time.Millisecond {
		t.Fatalf("audio_end_ms %d, played %v", tr[0].AudioEndMs, played)
	}
	if ev.Heard == "" || len(ev.Heard) >= len(story) {
		t.Fatalf("heard %q", ev.Heard)
	}
	// The interruption is the next turn.
	final := h.waitFor("second transcript", isType(events.TypeTranscriptFinal))
	if final.Text != "stop" {
		t.Fatalf("second turn %q", final.Text)
	}
	defer func() {
		if t.Failed() {
			for _, ev := range fake.Received() {
				if ev.EventType() != wire.TypeInputAudioBufferAppend {
					t.Log(ev.EventType())
				}
			}
		}
	}()
	h.waitPlaying("second reply", isType(events.TypeReplyDelta))
}

// turn speaks one user turn the fake hears as words.
func (h *harness) rtTurn(fake *fakerealtime.Server, words string) {
	fake.SetTranscript(words)
	h.speech(20)
	h.silence(fdEnd)
}

// apology waits for an error event naming want and the spoken apology
// after it.
func (h *harness) apology(want string) {
	h.t.Helper()
	ev := h.waitFor("error", isType(events.TypeError))
	if !strings.Contains(ev.Message, want) {
		h.t.Fatalf("error %q, want it to say %q", ev.Message, want)
	}
	h.spokenApology()
}

func (h *harness) spokenApology() {
	h.t.Helper()
	done := h.waitPlaying("apology", isType(events.TypeReplyDone))
	if !strings.HasPrefix(done.Text, "Sorry") {
		h.t.Fatalf("reply %q after the error, want an apology", done.Text)
	}
	h.waitFor("listening", isState(events.StateListening))
}

// answered waits for the model's reply to words.
func (h *harness) answered(words string) {
	h.t.Helper()
	done := h.waitPlaying("reply", isType(events.TypeReplyDone))
	if want := "You said: " + words + "."; done.Text != want {
		h.t.Fatalf("reply %q, want %q; saw %s", done.Text, want, h.trace())
	}
}

// TestRealtimeFaultRefused: nothing listens at the URL.
func TestRealtimeFaultRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h, _ := realtimeHarness(t, fakerealtime.Options{}, func(c *rtbrain.Config) { c.URL = "ws://" + addr + "/v1/realtime" })
	h.speech(20)
	h.silence(fdEnd)
	h.apology("connect")
	h.speech(20) // the call goes on
	h.silence(fdEnd)
	h.apology("connect")
}

// TestRealtimeFault401: a wrong key.
func TestRealtimeFault401(t *testing.T) {
	h, fake := realtimeHarness(t, fakerealtime.Options{APIKey: "sk-right"}, func(c *rtbrain.Config) { c.APIKey = "sk-wrong" })
	h.rtTurn(fake, "hello")
	h.apology("401")
}

// TestRealtimeFault429: a 429 with Retry-After is an apology; no dial
// happens before the wait is over, and after it the call works.
func TestRealtimeFault429(t *testing.T) {
	testtier.Slow(t, "a conversation with the fake model in real time")
	h, fake := realtimeHarness(t, fakerealtime.Options{}, nil)
	fake.SetFault(fakerealtime.Fault{Status: 429, RetryAfter: "30"})
	h.rtTurn(fake, "hello")
	h.apology("retry after 30s")
	h.rtTurn(fake, "hello again")
	h.apology("retry after 30s")
	if _, up := fake.Conns(); up != 1 {
		t.Fatalf("%d upgrades, want 1: Retry-After not honoured", up)
	}
	h.clock.advance(31 * time.Second)
	h.rtTurn(fake, "and now")
	h.answered("and now")
}

// TestRealtimeFaultErrorEvent: the model answers with an error event.
func TestRealtimeFaultErrorEvent(t *testing.T) {
	testtier.Slow(t, "a conversation with the fake model in real time")
	h, fake := realtimeHarness(t, fakerealtime.Options{}, nil)
	fake.SetFault(fakerealtime.Fault{ResponseError: true})
	h.rtTurn(fake, "hello")
	h.apology("server had an error")
	h.rtTurn(fake, "hello again")
	h.answered("hello again")
}

// TestRealtimeFaultDrop: the socket drops mid-reply; the next turn
// reconnects and re-sends the conversation as text before its audio.
func TestRealtimeFaultDrop(t *testing.T) {
	testtier.Slow(t, "a conversation with the fake model in real time")
	h, fake := realtimeHarness(t, fakerealtime.Options{}, nil)
	h.rtTurn(fake, "first words")
	h.answered("first words")
	fake.SetFault(fakerealtime.Fault{DropAfter: 300 * time.Millisecond})
	h.rtTurn(fake, "tell me more")
	h.apology("model:")
	h.rtTurn(fake, "are you there")
	h.answered("are you there")
	if c, _ := fake.Conns(); c != 2 {
		t.Fatalf("%d sockets, want 2", c)
	}
	// On the second socket: session.update, the conversation so far as
	// text items, then the new turn's audio.
	evs := fake.Received()
	second := 0
	for i, ev := range evs {
		if ev.EventType() == wire.TypeSessionUpdate {
			second = i
		}
	}
	var resent []string
	for _, ev := range evs[second+1:] {
		ci, ok := ev.(*wire.ConversationItemCreate)
		if !ok {
			break // the turn's audio
		}
		resent = append(resent, ci.Item.Role+": "+ci.Item.Content[0].Text)
	}
	want := "user: first words|assistant: You said: first words.|user: tell me more"
	if strings.Join(resent, "|") != want {
		t.Fatalf("re-sent %q, want %q", strings.Join(resent, "|"), want)
	}
}

// TestRealtimeFaultSessionLimit: the provider ends the session mid-reply
// (session_expired, then the socket closes); the call goes on on a new one.
func TestRealtimeFaultSessionLimit(t *testing.T) {
	testtier.Slow(t, "a conversation with the fake model in real time")
	h, fake := realtimeHarness(t, fakerealtime.Options{SessionLimit: 3 * time.Second, Reply: func(u string) string {
		if u == "tell me a story" {
			return story
		}
		return "You said: " + u + "."
	}}, nil)
	h.rtTurn(fake, "tell me a story")
	h.apology("session")
	h.rtTurn(fake, "are you there")
	h.answered("are you there")
}

// TestRealtimeFaultTimeout: a model that never answers times out; the
// response is cancelled and the next turn is answered.
func TestRealtimeFaultTimeout(t *testing.T) {
	testtier.Slow(t, "a conversation with the fake model in real time")
	h, fake := realtimeHarness(t, fakerealtime.Options{}, nil)
	fake.SetFault(fakerealtime.Fault{Silent: true})
	h.rtTurn(fake, "hello")
	waitFake(t, fake, "response.create", func(evs []wire.Event) bool { return fakerealtime.Count(evs, wire.TypeResponseCreate) == 1 })
	ev := h.waitFiring("timeout error", 10*time.Second, isType(events.TypeError))
	if !strings.Contains(ev.Message, "no reply within 10s") {
		t.Fatalf("error %q", ev.Message)
	}
	h.spokenApology()
	if n := fakerealtime.Count(fake.Received(), wire.TypeResponseCancel); n != 1 {
		t.Fatalf("%d response.cancel after the timeout, want 1", n)
	}
	h.rtTurn(fake, "hello again")
	h.answered("hello again")
}

// TestRealtimeServerTurns: with -realtime-turns server|semantic the
// model's VAD ends the turn (Duplex sends no commit) and Duplex still
// creates the response.
func TestRealtimeServerTurns(t *testing.T) {
	testtier.Slow(t, "a conversation with the fake model in real time")
	for _, mode := range []struct{ turns, vad string }{{rtbrain.TurnsServer, wire.TurnServerVAD}, {rtbrain.TurnsSemantic, wire.TurnSemanticVAD}} {
		t.Run(mode.turns, func(t *testing.T) {
			h, fake := realtimeHarness(t, fakerealtime.Options{}, func(c *rtbrain.Config) { c.Turns = mode.turns })
			h.rtTurn(fake, "what time is it")
			h.answered("what time is it")
			h.rtTurn(fake, "and the date")
			h.answered("and the date")
			evs := fake.Received()
			su := evs[0].(*wire.SessionUpdate).Session.Audio.Input.TurnDetection.Value
			if su == nil || su.Type != mode.vad || su.CreateResponse == nil || *su.CreateResponse {
				t.Fatalf("turn_detection %+v, want %s without create_response", su, mode.vad)
			}
			if n := fakerealtime.Count(evs, wire.TypeInputAudioBufferCommit); n != 0 {
				t.Fatalf("%d commits sent: the model's VAD should commit", n)
			}
			if n := fakerealtime.Count(evs, wire.TypeResponseCreate); n != 2 {
				t.Fatalf("%d response.create, want 2", n)
			}
		})
	}
}

// TestRealtimeBackchannel: "mm-hmm" over the reply does not interrupt it
// (no response.cancel); the model forgets that turn at the next one
// (conversation.item.delete), as Duplex's memory does.
func TestRealtimeBackchannel(t *testing.T) {
	testtier.Slow(t, "a conversation with the fake model in real time")
	h, fake := realtimeHarness(t, fakerealtime.Options{Reply: func(u string) string {
		if u == "tell me a story" {
			return story
		}
		return "You said: " + u + "."
	}}, nil)
	h.rtTurn(fake, "tell me a story")
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.rtTurn(fake, "mm-hmm")
	h.waitFor("user speaking", isState(events.StateUserSpeaking))
	h.waitPlaying("the reply resumed", isState(events.StateSpeaking))
	h.none("an interruption", isType(events.TypeReplyInterrupted))
	evs := fake.Received()
	if n := fakerealtime.Count(evs, wire.TypeResponseCancel); n != 0 {
		t.Fatalf("%d response.cancel for a backchannel", n)
	}
	h.rtTurn(fake, "what time is it")
	h.answered("what time is it")
	evs = fake.Received()
	var commits, deletes []string
	for _, ev := range evs {
		switch ev.EventType() {
		case wire.TypeInputAudioBufferCommit:
			commits = append(commits, "commit")
		case wire.TypeConversationItemDelete:
			deletes = append(deletes, ev.(*wire.ConversationItemDelete).ItemID)
		}
	}
	if len(commits) != 3 || len(deletes) != 1 {
		t.Fatalf("%d commits, deletes %v: want 3 and the backchannel's item", len(commits), deletes)
	}
}

// TestRealtimeTextAndPushToTalk: a typed turn goes to the model as an
// input_text item (the first on a new socket, so the socket opens for
// it); a push-to-talk turn is committed when the button is released; a
// cancel command cancels the model's response.
func TestRealtimeTextAndPushToTalk(t *testing.T) {
	testtier.Slow(t, "a conversation with the fake model in real time")
	h, fake := realtimeHarness(t, fakerealtime.Options{}, nil)
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputText, Text: "hello there"}
	h.answered("hello there")
	fake.SetTranscript("what time is it")
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputAudioStart}
	h.speech(20)
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputAudioStop}
	h.answered("what time is it")
	evs := fake.Received()
	var items []string
	for _, ev := range evs {
		if ci, ok := ev.(*wire.ConversationItemCreate); ok {
			items = append(items, ci.Item.Content[0].Type+": "+ci.Item.Content[0].Text)
		}
	}
	if strings.Join(items, "|") != "input_text: hello there" {
		t.Fatalf("items created %q: want the typed turn once", items)
	}
	if n := fakerealtime.Count(evs, wire.TypeInputAudioBufferCommit); n != 1 {
		t.Fatalf("%d commits, want the push-to-talk turn's", n)
	}
	fake.SetTranscript("tell me more")
	h.cmds <- pipeline.Command{Kind: pipeline.CmdInputText, Text: "tell me more"}
	h.waitFor("the reply starting", isType(events.TypeReplyDelta))
	h.cmds <- pipeline.Command{Kind: pipeline.CmdResponseCancel}
	waitFake(t, fake, "response.cancel", func(evs []wire.Event) bool { return fakerealtime.Count(evs, wire.TypeResponseCancel) == 1 })
}
