package dialogue

import (
	"context"
	"testing"
	"time"

	rtbrain "github.com/duplex-ai/duplex/brain/realtime"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/fakerealtime"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/tts/espeak"
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
			Timeout: 10 * time.Second, Fallback: voice}
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
	h.speech(20)
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
