package espeak

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/tts"
)

// benchTTFA starts conc syntheses of the two-sentence English text at once,
// b.N times, and reports the time to first audio (Synthesize → first chunk)
// and to the last chunk, mean and worst (p100) over all syntheses.
func benchTTFA(b *testing.B, opt Options, conc int) {
	e := newTestEngine(b, opt)
	// Warm up: load the voice, page in espeak-ng-data.
	if s, err := e.Synthesize(context.Background(), english, tts.Options{}); err == nil {
		for _, err := s.Next(); err == nil; _, err = s.Next() {
		}
		s.Close()
	}
	var ttfa, total []time.Duration
	var mu sync.Mutex
	b.ResetTimer()
	for b.Loop() {
		var wg sync.WaitGroup
		for range conc {
			wg.Go(func() {
				start := time.Now()
				s, err := e.Synthesize(context.Background(), english, tts.Options{})
				if err != nil {
					b.Error(err)
					return
				}
				defer s.Close()
				var first time.Duration
				for n := 0; ; n++ {
					_, err := s.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Error(err)
						return
					}
					if n == 0 {
						first = time.Since(start)
					}
				}
				mu.Lock()
				ttfa = append(ttfa, first)
				total = append(total, time.Since(start))
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	mean := func(ds []time.Duration) time.Duration {
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		return sum / time.Duration(max(len(ds), 1))
	}
	b.ReportMetric(ms(mean(ttfa)), "ttfa-mean-ms")
	b.ReportMetric(ms(slices.Max(ttfa)), "ttfa-max-ms")
	b.ReportMetric(ms(mean(total)), "total-mean-ms")
	b.ReportMetric(ms(slices.Max(total)), "total-max-ms")
}

func benchModes(b *testing.B, opt Options) {
	for _, conc := range []int{1, 20} {
		b.Run(fmt.Sprintf("conc=%d", conc), func(b *testing.B) { benchTTFA(b, opt, conc) })
	}
}

func BenchmarkTTFALibrary(b *testing.B) { benchModes(b, Options{Mode: ModeLibrary}) }

func BenchmarkTTFAProcess(b *testing.B) {
	for _, pool := range []int{2, 4, 20} {
		b.Run(fmt.Sprintf("pool=%d", pool), func(b *testing.B) {
			benchModes(b, Options{Mode: ModeProcess, PoolSize: pool})
		})
	}
}

func BenchmarkTTFAAuto(b *testing.B) {
	for _, pool := range []int{2, 4} {
		b.Run(fmt.Sprintf("pool=%d", pool), func(b *testing.B) {
			benchModes(b, Options{Mode: ModeAuto, PoolSize: pool})
		})
	}
}
