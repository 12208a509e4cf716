package sphinx

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/duplex-ai/duplex/internal/testtier"
	"github.com/duplex-ai/duplex/stt"
)

// crossings counts the upward zero crossings of pcm.
func crossings(pcm []int16) int {
	n := 0
	for i := 1; i < len(pcm); i++ {
		if pcm[i-1] < 0 && pcm[i] >= 0 {
			n++
		}
	}
	return n
}

func TestWarpScalesFrequencies(t *testing.T) {
	pcm := make([]int16, stt.SampleRate) // 1 s of 1 kHz
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/stt.SampleRate))
	}
	for _, f := range []float64{0.88, 1.12} {
		w := Warp(pcm, f)
		if want := int(float64(len(pcm)) / f); len(w) != want {
			t.Errorf("factor %v: %d samples, want %d", f, len(w), want)
		}
		// Per second of the warped audio: 1000·f crossings.
		got := float64(crossings(w)) * stt.SampleRate / float64(len(w))
		if math.Abs(got-1000*f) > 5 {
			t.Errorf("factor %v: %.0f Hz, want %.0f", f, got, 1000*f)
		}
	}
	if w := Warp(pcm, 1); &w[0] != &pcm[0] {
		t.Error("factor 1 copied the audio")
	}
	// A tone above the new Nyquist is filtered out, not folded back.
	hi := make([]int16, stt.SampleRate/4)
	for i := range hi {
		hi[i] = int16(8000 * math.Sin(2*math.Pi*7500*float64(i)/stt.SampleRate))
	}
	var e float64
	for _, x := range Warp(hi, 1.12)[200 : len(hi)/2] {
		e += float64(x) * float64(x)
	}
	if rms := math.Sqrt(e / float64(len(hi)/2-200)); rms > 800 {
		t.Errorf("7.5 kHz warped by 1.12 kept RMS %.0f of 5657: folded back", rms)
	}
}

func TestBestWarp(t *testing.T) {
	score := make([]float64, len(WarpFactors))
	frames := make([]int, len(WarpFactors))
	for i := range WarpFactors {
		score[i], frames[i] = -40*float64(100+i), 100+i
	}
	score[1] = -30 * float64(frames[1])
	if got := bestWarp(score, frames); got != WarpFactors[1] {
		t.Errorf("bestWarp = %v, want %v", got, WarpFactors[1])
	}
	if got := bestWarp(make([]float64, len(WarpFactors)), make([]int, len(WarpFactors))); got != 1 {
		t.Errorf("nothing scored: %v, want 1", got)
	}
}

// TestCallWarp: with Options.CallWarp a call's finished utterances are
// scored in the background until enough frames are, then the call's later
// utterances are decoded at the chosen factor; a call without an
// adaptation is never warped.
func TestCallWarp(t *testing.T) {
	testtier.Slow(t, "pocketsphinx decodes")
	requireTools(t, true)
	e := newTestEngine(t, Options{PoolSize: 1, CallWarp: true, warpFrames: 100})
	var call stt.Adaptation
	decode := func(a *stt.Adaptation) (stt.Result, float64) {
		s, err := e.NewStream(t.Context(), stt.StreamOptions{Adaptation: a})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		writeAll(t, s, speak(t, "en-us+f2", "what is the date today"))
		r, err := s.Finish(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return r, s.(*stream).warp
	}
	if _, w := decode(&call); w != 0 {
		t.Fatalf("the call's first utterance was warped by %v", w)
	}
	e.warpWG.Wait()
	want := loadCall(&call).ws.factor()
	if !slices.Contains(WarpFactors, want) {
		t.Fatalf("after %d+ frames the call's warp is %v", 100, want)
	}
	r, w := decode(&call)
	if want != 1 && w != want {
		t.Errorf("the next utterance was decoded at warp %v, want %v", w, want)
	}
	if !strings.Contains(r.Text, "date") {
		t.Errorf("warped by %v: %q", w, r.Text)
	}
	if _, w := decode(nil); w != 0 {
		t.Errorf("an utterance without a call was warped by %v", w)
	}
	t.Logf("en-us+f2: warp %v, %q", want, r.Text)
}
