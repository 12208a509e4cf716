package sphinx

import (
	"flag"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/stt"
)

var finishAB = flag.Bool("finish-ab", false, "run TestFinishAB: the final's wait after the end of turn, per latency change (real time, ~5 min)")

// TestFinishAB feeds the dialogue bench's questions (espeak-ng) and the
// librivox sentences in real time, asks for the transcript as the dialogue
// engine does with the default adaptive end of turn (Finish at 80 ms of
// quiet after the last loud frame, the turn committed at 120 ms) and
// reports how long after the commit the transcript came, with this
// package's latency changes switched on one by one. The variants take
// turns per utterance, so a loaded machine loads them alike.
// go test -run TestFinishAB -finish-ab -v ./stt/sphinx/
func TestFinishAB(t *testing.T) {
	if !*finishAB {
		t.Skip("-finish-ab not set")
	}
	requireTools(t, true)
	variants := []struct {
		name string
		ab   abSwitches
	}{
		{"before: speculation at 160 ms, passes one after the other, LM ended after the verdict", abSwitches{noAside: true, specAt: specQuiet, lateLMEnd: true}},
		{"+ grammar pass beside the phone loop", abSwitches{specAt: specQuiet, lateLMEnd: true}},
		{"+ LM ended beside the passes", abSwitches{specAt: specQuiet}},
		{"+ speculation at 60 ms (all on)", abSwitches{}},
	}
	type item struct {
		name string
		pcm  []int16
	}
	var items []item
	for _, q := range [][2]string{{"en-us", "what time is it"}, {"en-us+f2", "what is the date today"}, {"en-us+m3", "what is twelve times seven"}, {"en-us+f4", "hello there"}, {"en+m5", "what can you do"},
		{"en-us", "what is nine minus four"}, {"en-us+f2", "what day is it today"}, {"en-us+m3", "what is seventy seven plus fifteen"}, {"en-us+f4", "what is the time"}, {"en+m5", "what is one hundred divided by five"}} {
		items = append(items, item{"A " + q[1], speak(t, q[0], q[1])})
	}
	wavs, _ := filepath.Glob(testdataDir + "/librivox/*.wav")
	for _, f := range wavs {
		items = append(items, item{"R " + filepath.Base(f), append(soxPCM(t, f), make([]int16, stt.SampleRate*3/10)...)})
	}
	engines := make([]*Engine, len(variants))
	adapt := make([]*stt.Adaptation, len(variants)) // one call per variant
	for i, v := range variants {
		engines[i] = newTestEngine(t, Options{PoolSize: 1})
		engines[i].ab = v.ab
		adapt[i] = &stt.Adaptation{}
	}
	waits := make([][2][]float64, len(variants)) // [variant][A, R]
	for n, it := range items {
		lastLoud := 0
		for off := 0; off+frameSamples <= len(it.pcm); off += frameSamples {
			if frameRMS(it.pcm[off:off+frameSamples]) >= quietRMS {
				lastLoud = off + frameSamples
			}
		}
		finishAt := min(len(it.pcm), lastLoud+80*stt.SampleRate/1000)
		for k := range variants {
			i := (n + k) % len(variants)
			st, err := engines[i].NewStream(t.Context(), stt.StreamOptions{Adaptation: adapt[i]})
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			for off := 0; off < finishAt; off += frameSamples {
				if err := st.Write(it.pcm[off:min(off+frameSamples, finishAt)]); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Until(t0.Add(time.Duration(off/frameSamples+1) * 20 * time.Millisecond)))
			}
			commit := time.Now().Add(40 * time.Millisecond)
			res, err := st.Finish(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			wait := max(0, float64(time.Since(commit).Microseconds())/1000)
			s := st.(*stream)
			t.Logf("%-48s %d: %6.0f ms  spec %d aside %d %q", it.name, i, wait, s.speculated.Load(), s.passesAside.Load(), res.Text)
			_ = st.Close()
			c := 0 // A
			if it.name[0] == 'R' {
				c = 1
			}
			waits[i][c] = append(waits[i][c], wait)
		}
	}
	pct := func(v []float64, p float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		if len(v) == 0 {
			return 0
		}
		return v[max(0, int(float64(len(v))*p+0.999999)-1)]
	}
	for i, v := range variants {
		t.Logf("| %s | %.0f / %.0f | %.0f / %.0f |", v.name, pct(waits[i][0], .5), pct(waits[i][0], .95), pct(waits[i][1], .5), pct(waits[i][1], .95))
	}
}
