// Package livepartials decodes audio through a streaming recogniser in
// media time and collects the live partials it reports, for the offline
// evaluations (cmd/turn-eval, cmd/vad-eval).
package livepartials

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/vad/eval"
)

// Stream is what stt/sphinx's stream offers besides stt.Stream: partials
// tagged by pass, and how much of the written audio it has taken up.
type Stream interface {
	OnPartial(func(src stt.PartialSource, text string, samples int))
	Consumed() int
}

// Decode writes pcm to a new stream of eng in 20 ms writes, each taken up
// before the next (media time, however fast the machine), and returns the
// partials of the first pass and of the streaming general-LM pass, placed
// at the sample they cover. With drainLM it then waits (up to 3 s) until
// the LM pass, which may lag, has reported nothing for 150 ms.
func Decode(eng stt.Engine, pcm []int16, drainLM bool) (first, lm []eval.TimedPartial, err error) {
	st, err := eng.NewStream(context.Background(), stt.StreamOptions{})
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	ps, ok := st.(Stream)
	if !ok {
		return nil, nil, fmt.Errorf("the recogniser's stream does not report its partials")
	}
	var (
		mu     sync.Mutex // the passes call back from their goroutines
		lastLM time.Time
	)
	ps.OnPartial(func(src stt.PartialSource, text string, samples int) {
		mu.Lock()
		defer mu.Unlock()
		if src == stt.PartialLM {
			lm = append(lm, eval.TimedPartial{Samples: samples, Text: text})
			lastLM = time.Now()
		} else {
			first = append(first, eval.TimedPartial{Samples: samples, Text: text})
		}
	})
	for off := 0; off+eval.FrameLen <= len(pcm); off += eval.FrameLen {
		if err := st.Write(pcm[off : off+eval.FrameLen]); err != nil {
			return nil, nil, err
		}
		deadline := time.Now().Add(30 * time.Second)
		for ps.Consumed() < off+eval.FrameLen {
			if time.Now().After(deadline) {
				return nil, nil, fmt.Errorf("the recogniser took up %d of %d samples", ps.Consumed(), off+eval.FrameLen)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	if drainLM && len(pcm) > stt.SampleRate {
		for quiet := time.Now().Add(3 * time.Second); time.Now().Before(quiet); time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			l := lastLM
			mu.Unlock()
			if !l.IsZero() && time.Since(l) > 150*time.Millisecond {
				break
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// Copied: a pass may still call back until the deferred Close.
	return append([]eval.TimedPartial(nil), first...), append([]eval.TimedPartial(nil), lm...), nil
}
