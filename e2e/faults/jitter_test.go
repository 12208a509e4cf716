package faults

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/internal/callbot"
)

// voicedMS is the audio above -45 dBFS (RMS per 20 ms frame) in a 48 kHz
// timeline, in ms: the measure callbot uses for Result.AudioReceivedMS.
func voicedMS(pcm []int16) float64 {
	const n = 960
	var ms float64
	for i := 0; i+n <= len(pcm); i += n {
		var e float64
		for _, v := range pcm[i : i+n] {
			e += float64(v) * float64(v)
		}
		if 20*math.Log10(max(math.Sqrt(e/n), 1)/32768) > -45 {
			ms += 20
		}
	}
	return ms
}

// TestJitter: every packet, both ways, is held 0–80 ms (uniform, seeded)
// in a first-in first-out queue, so packets bunch up as on a congested
// path. Every turn is detected once and answered; the server's receiver
// loses and conceals nothing; each reply leaves the server as one
// continuous run of packets and reaches the caller whole.
func TestJitter(t *testing.T) {
	const jitter = 80 * time.Millisecond
	turns, rate, longest := speakAll(t, echoTurns)
	s := seed(t, 1)
	b := newBed(t, bedOptions{pipeline: echoPipeline(t), seed: s, jitter: jitter})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res := b.call(ctx, callbot.Options{
		Turns: turns, AudioRate: rate,
		Lead: 500 * time.Millisecond, Tail: longest + 2*time.Second, TurnTimeout: turnTimeout,
	})
	b.close()
	logResult(t, res)
	st := b.link.stats()
	packets, lost, concealed := b.audioTrackStats()
	lengths, seqBreaks := runs(st.down)
	c := countTurns(res, len(turns))
	sent := voicedMS(res.Sent)
	t.Logf("jitter 0–%v (seed %d, largest delay drawn %v): server receiver %.0f packets, %.0f lost, %.0f concealed; %v; reply runs %v; voiced audio sent %.0f ms, received %.0f ms",
		jitter, s, st.maxDelay, packets, lost, concealed, c, lengths, sent, res.AudioReceivedMS)

	if st.maxDelay < jitter/2 {
		t.Fatalf("the largest delay drawn was %v: jitter not applied", st.maxDelay)
	}
	if c.successes() != c.sent || c.detected != c.sent {
		t.Fatalf("%v; want every turn answered once", c)
	}
	if !res.OK {
		t.Fatalf("callbot errors %v", res.Errors)
	}
	if lost != 0 || concealed != 0 {
		t.Fatalf("the server lost %.0f packets and concealed %.0f frames of the caller's audio", lost, concealed)
	}
	// One run per reply: the server wrote each reply without a break.
	if len(lengths) != len(turns) || seqBreaks != 0 {
		t.Fatalf("reply audio in runs %v with %d sequence breaks, want %d runs", lengths, seqBreaks, len(turns))
	}
	// The caller heard the replies whole: as much voiced audio as it spoke
	// (the echo plays every utterance back once).
	if r := res.AudioReceivedMS / sent; r < 0.9 || r > 1.1 {
		t.Fatalf("received %.0f ms of voiced audio for %.0f ms sent (ratio %.2f)", res.AudioReceivedMS, sent, r)
	}
}
