package sphinx

import (
	"math"
	"testing"

	"github.com/duplex-ai/duplex/stt"

	"github.com/duplex-ai/duplex/internal/testtier"
)

// TestAdaptationIsPerCall: a call's utterances share its cepstral mean
// (stt.Adaptation), and another call's utterance decoded in between on the
// same pooled decoder changes nothing for it.
func TestAdaptationIsPerCall(t *testing.T) {
	testtier.Slow(t, "long pocketsphinx decodes")
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

	// The call's mean (what the next utterance starts from) depends on the
	// call's audio; the words too. Not to the last digit: the front end's
	// noise removal and Gaussian selection keep a little state from the
	// live pass, whose length depends on timing (run to run the mean moved
	// by up to 0.3; another call's mean differs by 5-25 in the same
	// coefficients).
	var alone stt.Adaptation
	decode(story, &alone)
	mean := loadCall(&alone).cmn
	if len(mean) != 13 {
		t.Fatalf("after one utterance the call's adaptation holds %T %v", alone.Load(), alone.Load())
	}
	want := decode(stop, &alone)
	wantMean := loadCall(&alone).cmn
	if near(wantMean, mean) {
		t.Error("the second utterance did not update the call's mean")
	}

	var a, b stt.Adaptation
	decode(story, &a)
	decode(other, &b)
	decode(story, &b)
	if got := decode(stop, &a); got.Text != want.Text || !near(loadCall(&a).cmn, wantMean) {
		t.Errorf("with another call in between: %q, mean %v; alone: %q, mean %v", got.Text, loadCall(&a).cmn, want.Text, wantMean)
	}
	var c stt.Adaptation
	decode(story, &c)
	if got := decode(stop, &c); got.Text != want.Text || !near(loadCall(&c).cmn, wantMean) {
		t.Errorf("the same call again: %q, mean %v; first time: %q, mean %v", got.Text, loadCall(&c).cmn, want.Text, wantMean)
	}
	t.Logf("stop after a story in the same call: %+v", want)
}

// near reports whether two cepstral means agree within 1.0 per coefficient.
func near(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1 {
			return false
		}
	}
	return true
}
