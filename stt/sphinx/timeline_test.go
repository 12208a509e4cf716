package sphinx

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/stt"
)

// TestTimeline (STT_TIMELINE=1; about a minute) plays real recordings and
// espeak-ng questions into streams in real time, 20 ms a frame, one call
// per corpus (one Adaptation), ends each turn 120 ms after the last loud
// frame as the endpoint does, and logs when each pass starts and ends
// relative to the end of speech, and each result (paired runs compare
// them); STT_TIMELINE_LIVELOOP=1 (or a mode: later, always) pairs each
// utterance with a stream of Options.LiveLoop (1: always);
// STT_TIMELINE_CARRY=1 makes the one-shot arm the older default
// (LiveLoopOff, Options.CarryHistory). Findings:
// docs/stt-latency.md.
func TestTimeline(t *testing.T) {
	real, synth, fest := measureCorpus(t, "STT_TIMELINE", []string{"what time is it", "what is seventy seven plus fifteen", "hello there",
		"what is one hundred divided by five", "what can you do", "what is the date today"},
		[]string{"what time is it", "what is twelve times seven", "hello there", "tell me a story"})
	// STT_TIMELINE_LIVELOOP=1: each utterance is played twice, one-shot
	// loop and Options.LiveLoop (order alternating), a call per arm.
	first, carry := "oneshot", os.Getenv("STT_TIMELINE_CARRY") != ""
	if carry {
		first = "oneshot-carried"
	}
	arms := []struct {
		name string
		e    *Engine
	}{{first, newTestEngine(t, Options{LiveLoop: LiveLoopOff, CarryHistory: carry})}}
	if v := os.Getenv("STT_TIMELINE_LIVELOOP"); v != "" {
		mode := LiveLoopAlways
		if v != "1" {
			var err error
			if mode, err = ParseLiveLoop(v); err != nil {
				t.Fatal(err)
			}
		}
		arms = append(arms, struct {
			name string
			e    *Engine
		}{"liveloop-" + mode.String(), newTestEngine(t, Options{LiveLoop: mode})})
	}
	for _, a := range arms {
		if err := a.e.Warm(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	for _, call := range []struct {
		name string
		utts []namedPCM
	}{{"librivox", append(real, real...)}, {"espeak-ng", synth}, {"festival", fest}} {
		adapt := make([]*stt.Adaptation, len(arms))
		sum := make([][]time.Duration, len(arms))
		for i := range adapt {
			adapt[i] = &stt.Adaptation{}
		}
		for n, u := range call.utts {
			for k := range arms {
				i := (k + n) % len(arms)
				took := playTimeline(t, arms[i].e, adapt[i], arms[i].name+" "+call.name, u)
				sum[i] = append(sum[i], took)
			}
		}
		for i, a := range arms {
			t.Logf("%s %s: finish ms %v", a.name, call.name, sum[i])
		}
	}
}

// playTimeline plays u into a stream of e in real time, ends the turn 120
// ms after its last loud frame, and logs the passes and the result.
func playTimeline(t *testing.T, e *Engine, adapt *stt.Adaptation, label string, u namedPCM) time.Duration {
	t.Helper()
	st, err := e.NewStream(t.Context(), stt.StreamOptions{Adaptation: adapt})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*stream)
	var mu sync.Mutex
	var evs []string
	var eos time.Time // when the last loud frame was written
	s.trace = func(ev string) {
		mu.Lock()
		if eos.IsZero() {
			evs = append(evs, ev+" (in speech)")
		} else {
			evs = append(evs, fmt.Sprintf("%s %+d", ev, time.Since(eos).Milliseconds()))
		}
		mu.Unlock()
	}
	last := 0
	for off := 0; off+frameSamples <= len(u.pcm); off += frameSamples {
		if frameRMS(u.pcm[off:off+frameSamples]) >= quietRMS {
			last = off + frameSamples
		}
	}
	end := min(len(u.pcm), last+120*stt.SampleRate/1000)
	tick := time.NewTicker(20 * time.Millisecond)
	for off := 0; off < end; off += frameSamples {
		<-tick.C
		if err := s.Write(u.pcm[off:min(off+frameSamples, end)]); err != nil {
			t.Fatal(err)
		}
		if off+frameSamples == last {
			mu.Lock()
			eos = time.Now()
			mu.Unlock()
		}
	}
	tick.Stop()
	t0 := time.Now()
	r, err := s.Finish(t.Context())
	took := time.Since(t0)
	_ = s.Close()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	t.Logf("%s %s: %d ms speech, finish %d ms; %s", label, u.name, last*1000/stt.SampleRate,
		took.Milliseconds(), strings.Join(evs, ", "))
	mu.Unlock()
	t.Logf("RESULT %s %s | %q understood=%v conf=%.3f", label, u.name, r.Text, !r.NotUnderstood, r.Confidence)
	return took
}

// festival renders text with festival's slt voice, 300 ms of silence each
// side.
func festival(t *testing.T, text string) []int16 {
	t.Helper()
	f := filepath.Join(t.TempDir(), "x.wav")
	cmd := exec.Command("text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", f)
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("text2wave %q: %v %s", text, err, out)
	}
	return soxPCM(t, f)
}
