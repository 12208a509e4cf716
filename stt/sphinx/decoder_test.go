package sphinx

import (
	"math"
	"os"
	"testing"

	"github.com/duplex-ai/duplex/internal/testtier"
)

// TestFullPassIndependentOfHistory checks that a whole-utterance pass hears
// the same words with the same score on a decoder that has already decoded
// other speech live (as every pooled decoder has) as on a fresh one, both
// starting from the same cepstral mean. sphinxbase's live CMN otherwise
// starts from a mean carried over from whatever the decoder heard: without
// setting it the second decoder heard "what i eat" where the first heard
// "what i".
func TestFullPassIndependentOfHistory(t *testing.T) {
	testtier.Slow(t, "long pocketsphinx decodes")
	requireTools(t, true)
	o := Options{}.withDefaults()
	fresh, used := newTestDecoder(t, o), newTestDecoder(t, o)

	before := speak(t, "en-us+m3", "please tell me a joke about the weather")
	if err := used.startLive(searchLM); err != nil {
		t.Fatal(err)
	}
	for off := 0; off+frameSamples <= len(before); off += frameSamples {
		if err := used.process(before[off : off+frameSamples]); err != nil {
			t.Fatal(err)
		}
	}
	if err := used.end(); err != nil {
		t.Fatal(err)
	}

	pcm := speak(t, "en-us", "what time is it")
	full := func(d *decoder, search string) (string, int32) {
		t.Helper()
		if err := d.start(search, primeFor(nil, pcm)); err != nil {
			t.Fatal(err)
		}
		if err := d.processFull(pcm, d.cmnInit); err != nil {
			t.Fatal(err)
		}
		if err := d.end(); err != nil {
			t.Fatal(err)
		}
		return d.hyp()
	}
	for _, search := range []string{searchGrammar, searchLM} {
		wantHyp, wantScore := full(fresh, search)
		gotHyp, gotScore := full(used, search)
		// The acoustic model's Gaussian selection keeps a little state from
		// frame to frame (a fresh and a used decoder differ by ~0.05%); the
		// CMN carried over from a live utterance moved the scores by 3-18%.
		if gotHyp != wantHyp || math.Abs(float64(gotScore-wantScore)) > 0.005*math.Abs(float64(wantScore)) {
			t.Errorf("%s pass after a live utterance: %q (score %d); on a fresh decoder: %q (score %d)",
				search, gotHyp, gotScore, wantHyp, wantScore)
		}
	}
}

// BenchmarkStartPrimed: what a pass's start costs under
// Options.HistoryFree, the noise level learnt from half a second of quiet.
func BenchmarkStartPrimed(b *testing.B) {
	if _, err := os.Stat(DefaultHMM); err != nil {
		b.Skip("pocketsphinx-en-us model missing")
	}
	d, err := newDecoder(Options{HistoryFree: true}.withDefaults())
	if err != nil {
		b.Fatal(err)
	}
	defer d.free()
	prime := make([]int16, primeSamples)
	for i := range prime {
		prime[i] = int16(i*7919%61) - 30
	}
	for b.Loop() {
		if err := d.start(searchGrammar, prime); err != nil {
			b.Fatal(err)
		}
		if err := d.end(); err != nil {
			b.Fatal(err)
		}
	}
}
