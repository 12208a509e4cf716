package sphinx

import (
	"testing"

	"github.com/duplex-ai/duplex/stt"
)

// TestAdaptationIsPerCall: a call's utterances share its cepstral mean
// (stt.Adaptation), and another call's utterance decoded in between on the
// same pooled decoder changes nothing for it.
func TestAdaptationIsPerCall(t *testing.T) {
	requireTools(t, true)
	e := newTestEngine(t, Options{PoolSize: 1})
	story := speak(t, "en-us+f4", "tell me a story")
	other := speak(t, "en+m5", "what is ninety nine plus one")
	stop := speak(t, "en-us+m3", "stop")
	decode := func(pcm []int16, a *stt.Adaptation) stt.Result {
		t.Helper()
		s, err := e.NewStream(t.Context(), stt.StreamOptions{Language: "en", Adaptation: a})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		writeAll(t, s, pcm)
		r, err := s.Finish(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	var alone stt.Adaptation
	decode(story, &alone)
	mean, ok := alone.Load().([]float32)
	if !ok || len(mean) != 13 {
		t.Fatalf("after one utterance the call's adaptation holds %T %v", alone.Load(), alone.Load())
	}
	want := decode(stop, &alone)

	var a, b stt.Adaptation
	decode(story, &a)
	decode(other, &b)
	decode(story, &b)
	if got := decode(stop, &a); got != want {
		t.Errorf("with another call in between: %+v, alone: %+v", got, want)
	}
	// Deterministic: the same call again gives the same result.
	var c stt.Adaptation
	decode(story, &c)
	if got := decode(stop, &c); got != want {
		t.Errorf("the same call again: %+v, first time: %+v", got, want)
	}
	t.Logf("stop after a story in the same call: %+v", want)
}
