package browser

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	rtbrain "github.com/duplex-ai/duplex/brain/realtime"
	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/internal/fakerealtime"
	wire "github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/tts/espeak"
	"github.com/duplex-ai/duplex/vad"
)

const rtStory = "Once upon a time there was a small robot. It liked to sing songs in the rain. One day it met a cat who could dance. They became friends and travelled far away. They crossed rivers and mountains, and every night the robot sang while the cat danced under the stars."

// realtimeCall starts the fake Realtime model (voiced by espeak-ng, the
// caller's words transcribed as heard), an assistant on the
// speech-to-speech brain against it, and Chromium calling it with a red
// camera and phrase on its microphone, looping every gap.
func realtimeCall(t *testing.T, opt fakerealtime.Options, heard, phrase string, gap time.Duration) (*fakerealtime.Server, *browser) {
	t.Helper()
	voice, err := espeak.New(espeak.Options{})
	if err != nil {
		t.Fatalf("espeak-ng: %v", err)
	}
	t.Cleanup(func() { _ = voice.Close() })
	opt.TTS = voice
	fake := fakerealtime.Start(opt)
	t.Cleanup(fake.Close)
	fake.SetTranscript(heard)
	b, err := rtbrain.New(rtbrain.Config{URL: fake.URL(), Model: "fake-realtime", Timeout: 10 * time.Second, Fallback: voice})
	if err != nil {
		t.Fatal(err)
	}
	det, err := dialogue.VADFactory(vad.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := dialogue.NewAssistant(dialogue.Options{Brain: b, NewDetector: det, Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, a)
	br := newBrowser(t, browserOptions{
		audio: speechWAV(t, phrase, 500*time.Millisecond, gap),
		video: solidY4M(t, yuvRed, 4),
	})
	br.open(srv.URL)
	br.startCall(a.Name())
	return fake, br
}

// TestRealtimeCall: Chromium calls the assistant with the speech-to-speech
// brain against the fake Realtime model. The page shows the user's words
// and the model's reply; the camera still reaches the model as
// input_image; the looping microphone speaks again over the long reply,
// which stops, and the model gets response.cancel and a truncate whose
// audio_end_ms is the audio Chromium received (its inbound-rtp packets,
// ±40 ms).
func TestRealtimeCall(t *testing.T) {
	// Only the first turn is answered aloud: every later one (the looped
	// phrase) gets a response with no audio, so all audio the browser
	// receives is the story's.
	var replies atomic.Int32
	// The microphone loops: the phrase comes back 4 s after it ends,
	// while the ~15 s story is playing.
	fake, br := realtimeCall(t, fakerealtime.Options{Reply: func(string) string {
		if replies.Add(1) == 1 {
			return rtStory
		}
		return ""
	}}, "tell me a story", "Tell me a story.", 4*time.Second)

	// The first reply, cut off by the looped phrase.
	const cut = `(() => {
		const t = duplex.transcript;
		const a = t.find((e) => e.role === 'assistant' && e.interrupted);
		const u = a && t.find((e) => e.role === 'user' && e.turnId === a.turnId && e.final);
		return a && u ? {user: u.text, heard: a.heard || '', text: a.text || ''} : null;
	})()`
	br.waitJS(45*time.Second, "an interrupted reply", cut)
	got := eval[struct{ User, Heard, Text string }](br, cut)
	t.Logf("user %q, heard %q", got.User, got.Heard)
	if got.User != "tell me a story" || got.Heard == "" || !strings.HasPrefix(rtStory, got.Heard) {
		t.Errorf("page transcript: user %q, heard %q: want the user's words and a heard prefix of the story", got.User, got.Heard)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fake.Wait(ctx, func(evs []wire.Event) bool { return fakerealtime.Count(evs, wire.TypeConversationItemTruncate) > 0 }); err != nil {
		t.Fatalf("no conversation.item.truncate reached the model")
	}
	if n := fakerealtime.Count(fake.Received(), wire.TypeResponseCancel); n != 1 {
		t.Errorf("%d response.cancel, want 1", n)
	}
	tr := fake.Truncations()
	if len(tr) != 1 || tr[0].Rejected || tr[0].AudioEndMs <= 0 {
		t.Fatalf("truncations %+v: want one accepted", tr)
	}
	// The browser's side: Opus packets of 20 ms, counted once the audio
	// has stopped (nothing is sent after the cut).
	time.Sleep(time.Second)
	st := br.inboundAudio()
	receivedMS := st.Packets * 20
	t.Logf("audio_end_ms %d, Chromium received %.0f packets (%.0f ms), %.0f samples", tr[0].AudioEndMs, st.Packets, receivedMS, st.Samples)
	if d := float64(tr[0].AudioEndMs) - receivedMS; d < -40 || d > 40 {
		t.Errorf("audio_end_ms %d, Chromium received %.0f ms of audio: want them within 40 ms", tr[0].AudioEndMs, receivedMS)
	}
	// Chromium's fake camera is 640×480; it may send it scaled, never
	// reshaped.
	if imgs := fake.Images(); len(imgs) == 0 || imgs[0].Width > 1200 || imgs[0].Height > 800 || imgs[0].Width*3 != imgs[0].Height*4 {
		t.Errorf("input_image parts %+v: want the 4:3 camera still", imgs)
	}
	br.expectNoPageErrors()
}

// TestRealtimeModelLooks: with Chromium's camera on, the model is offered
// the look tool; when it calls it, it gets the camera's latest picture
// after the call's output and answers from it in the same reply, which
// the page shows.
func TestRealtimeModelLooks(t *testing.T) {
	const seen = "I can see a red picture."
	fake, br := realtimeCall(t, fakerealtime.Options{
		ToolCall: func(user string) (string, string) {
			if strings.Contains(user, "see") {
				return rtbrain.LookTool, "{}"
			}
			return "", ""
		},
		ToolReply: func(string) string { return seen },
	}, "what do you see", "What do you see?", 20*time.Second)
	const answered = `(() => {
		const a = duplex.transcript.find((e) => e.role === 'assistant' && e.final && !e.interrupted);
		return a ? a.text : null;
	})()`
	br.waitJS(30*time.Second, "the answer that looked", answered)
	if got := eval[string](br, answered); got != seen {
		t.Errorf("page shows the reply %q, want %q", got, seen)
	}
	evs := fake.Received()
	offered, outputs := false, 0
	for _, ev := range evs {
		switch e := ev.(type) {
		case *wire.SessionUpdate:
			offered = offered || strings.Contains(string(e.Session.Tools), `"name":"look"`)
		case *wire.ConversationItemCreate:
			if e.Item.Type == wire.ItemFunctionCallOutput && strings.Contains(e.Item.Output, `"ok":true`) {
				outputs++
			}
		}
	}
	imgs := fake.Images()
	t.Logf("images %+v, response.create %d", imgs, fakerealtime.Count(evs, wire.TypeResponseCreate))
	if !offered || outputs != 1 {
		t.Errorf("look offered %v, %d function_call_output: want the tool offered and one output", offered, outputs)
	}
	// The turn's still, then the picture the model asked for.
	if len(imgs) != 2 || imgs[1].Width*3 != imgs[1].Height*4 {
		t.Errorf("input_image parts %+v: want the turn's still and the look's 4:3 picture", imgs)
	}
	br.expectNoPageErrors()
}
