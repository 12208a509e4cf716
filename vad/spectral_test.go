package vad

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// synth makes d of white noise at noiseRMS with, between from and to, a
// vowel-like harmonic complex (150 Hz fundamental, formant-shaped) at speechRMS.
func synth(rate int, d, from, to time.Duration, noiseRMS, speechRMS float64, seed uint64) []int16 {
	r := rand.New(rand.NewPCG(seed, 7))
	n := int(int64(d) * int64(rate) / int64(time.Second))
	out := make([]int16, n)
	a, b := int(int64(from)*int64(rate)/int64(time.Second)), int(int64(to)*int64(rate)/int64(time.Second))
	for i := range out {
		v := r.NormFloat64() * noiseRMS
		if i >= a && i < b {
			t := float64(i) / float64(rate)
			var s float64
			for h := 1; h <= 25; h++ {
				f := 150 * float64(h)
				g := math.Exp(-math.Pow((f-700)/300, 2)) + 0.5*math.Exp(-math.Pow((f-1200)/400, 2)) + 0.1
				s += g * math.Sin(2*math.Pi*f*t)
			}
			v += s * speechRMS / 1.2
		}
		out[i] = int16(max(-32768, min(32767, v)))
	}
	return out
}

func TestClassifierOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		opt  Options
		want error
	}{
		{Options{SampleRate: 44100}, ErrSampleRate},
		{Options{FrameDuration: 15 * time.Millisecond}, ErrFrameDuration},
		{Options{Threshold: 1.5}, ErrOption},
		{Options{Sensitivity: 40}, ErrOption},
	} {
		if _, err := NewClassifier(tc.opt); !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.opt, err, tc.want)
		}
	}
	if _, err := NewEnergyVAD(Options{}, 3); !errors.Is(err, ErrOption) {
		t.Errorf("positive dBFS: %v", err)
	}
}

// speechFrames classifies audio in frames and reports the fraction called
// speech inside [from,to) and outside it (skipping the first 200 ms).
func speechFrames(t *testing.T, c Classifier, pcm []int16, rate int, fd, from, to time.Duration, thr float64) (in, out float64) {
	t.Helper()
	n := int(int64(rate) * int64(fd) / int64(time.Second))
	var ni, no, si, so int
	for i := 0; i+n <= len(pcm); i += n {
		at := time.Duration(i) * time.Second / time.Duration(rate)
		sp := c.Prob(pcm[i:i+n]) >= thr
		switch {
		case at >= from+40*time.Millisecond && at+fd <= to:
			ni++
			if sp {
				si++
			}
		case at >= 200*time.Millisecond && (at+fd <= from || at >= to+150*time.Millisecond):
			no++
			if sp {
				so++
			}
		}
	}
	return float64(si) / float64(ni), float64(so) / float64(no)
}

func TestSpectralVADSeparatesVoiceFromNoise(t *testing.T) {
	for _, rate := range []int{8000, 16000, 48000} {
		// 10 dB SNR: voice 1000 RMS over noise 316 RMS.
		pcm := synth(rate, 4*time.Second, 2*time.Second, 3*time.Second, 316, 1000, 1)
		for _, fd := range []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond} {
			v, err := NewClassifier(Options{SampleRate: rate, FrameDuration: fd})
			if err != nil {
				t.Fatal(err)
			}
			in, out := speechFrames(t, v, pcm, rate, fd, 2*time.Second, 3*time.Second, 0.5)
			if in < 0.95 || out > 0.1 {
				t.Errorf("%d Hz %v: speech frames %.2f in voice, %.2f in noise", rate, fd, in, out)
			}
		}
	}
}

func TestSpectralVADIgnoresLevelChangeOfNoise(t *testing.T) {
	// Noise 20 dB louder than the first 3 s: after the 3 s minimum window
	// the floor has caught up and frames are noise again (an isolated
	// frame may still score as speech; none may start a turn).
	v, _ := NewClassifier(Options{})
	d, err := NewDetector(v, TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := synth(16000, 3*time.Second, 0, 0, 100, 0, 2)
	b := synth(16000, 6*time.Second, 0, 0, 1000, 0, 3)
	pcm := append(a, b...)
	var late, n, starts int
	for i := 0; i+320 <= len(pcm); i += 320 {
		evs := d.Push(pcm[i:i+320], time.Duration(i)*time.Second/16000)
		if i >= (3+4)*16000 {
			n++
			if d.LastProb() >= 0.5 {
				late++
			}
			starts += len(evs)
		}
	}
	if late > 2 || starts > 0 {
		t.Errorf("4 s after a noise step: %d/%d frames speech, %d turn events", late, n, starts)
	}
}

// TestSpectralVADQuietOnNoiseFromTheStart: white noise from a stream's
// first sample is noise from the first frames on. The first hop's window is
// part silence; a floor that kept that low start called up to every frame
// of the first 3 s speech (noise seed 3 below).
func TestSpectralVADQuietOnNoiseFromTheStart(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		for _, rms := range []float64{100, 1000} {
			v, _ := NewClassifier(Options{})
			d, err := NewDetector(v, TurnOptions{})
			if err != nil {
				t.Fatal(err)
			}
			pcm := synth(16000, 4*time.Second, 0, 0, rms, 0, seed)
			var speech, events int
			for i := 0; i+320 <= len(pcm); i += 320 {
				events += len(d.Push(pcm[i:i+320], time.Duration(i)*time.Second/16000))
				if d.LastProb() >= 0.5 {
					speech++
				}
			}
			if speech > 4 || events > 0 {
				t.Errorf("noise seed %d at %v RMS: %d of 200 frames speech, %d turn events", seed, rms, speech, events)
			}
		}
	}
}

func TestEnergyVADThreshold(t *testing.T) {
	e, _ := NewEnergyVAD(Options{}, -40)
	quiet := make([]int16, 320)
	loud := make([]int16, 320)
	for i := range loud {
		loud[i] = 3000 * int16(1-2*(i%2))
		quiet[i] = 100 * int16(1-2*(i%2))
	}
	if e.IsSpeech(quiet) || !e.IsSpeech(loud) || e.Prob(nil) != 0 {
		t.Errorf("quiet %.2f loud %.2f", e.Prob(quiet), e.Prob(loud))
	}
}

func TestRealClassifierClickDoesNotStartTurn(t *testing.T) {
	// A 60 ms broadband burst 30 dB above a quiet floor, after the floor has
	// settled (its 3 s minimum window is full): no turn. The same burst
	// lasting 300 ms: a turn.
	for _, tc := range []struct {
		burst time.Duration
		want  int
	}{{60 * time.Millisecond, 0}, {300 * time.Millisecond, 1}} {
		c, _ := NewClassifier(Options{})
		d, _ := NewDetector(c, TurnOptions{})
		r := rand.New(rand.NewPCG(5, 6))
		pcm := make([]int16, 8*16000)
		for i := range pcm {
			g := 30.0
			if i >= 6*16000 && i < 6*16000+int(tc.burst*16000/time.Second) {
				g = 1000
			}
			pcm[i] = int16(r.NormFloat64() * g)
		}
		starts := 0
		for i := 0; i+320 <= len(pcm); i += 320 {
			for _, e := range d.Push(pcm[i:i+320], time.Duration(i)*time.Second/16000) {
				if e.Type == SpeechStarted {
					starts++
				}
			}
		}
		if starts != tc.want {
			t.Errorf("%v burst: %d starts, want %d", tc.burst, starts, tc.want)
		}
	}
}

func TestZeroAllocsSteadyState(t *testing.T) {
	pcm := synth(16000, 4*time.Second, time.Second, 2*time.Second, 300, 3000, 9)
	for _, rate := range []int{8000, 16000, 48000} {
		c, _ := NewClassifier(Options{SampleRate: rate})
		d, _ := NewDetector(c, TurnOptions{SampleRate: rate})
		n := rate / 50
		frame := make([]int16, n)
		i := 0
		var at time.Duration
		allocs := testing.AllocsPerRun(1000, func() {
			copy(frame, pcm[(i*320)%(len(pcm)-320):])
			d.Push(frame, at)
			d.PreRoll()
			at += 20 * time.Millisecond
			i++
		})
		if allocs != 0 {
			t.Errorf("%d Hz: %.1f allocs per frame", rate, allocs)
		}
	}
	e, _ := NewEnergyVAD(Options{}, 0)
	if a := testing.AllocsPerRun(100, func() { e.Prob(pcm[:320]) }); a != 0 {
		t.Errorf("EnergyVAD: %.1f allocs", a)
	}
}

func BenchmarkSpectralVAD(b *testing.B) {
	for _, rate := range []int{8000, 16000, 48000} {
		b.Run(map[int]string{8000: "8kHz", 16000: "16kHz", 48000: "48kHz"}[rate], func(b *testing.B) {
			v, _ := NewClassifier(Options{SampleRate: rate})
			pcm := synth(rate, time.Second, 300*time.Millisecond, 700*time.Millisecond, 300, 3000, 1)
			n := rate / 50
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				v.Prob(pcm[i*n : (i+1)*n])
				i = (i + 1) % 50
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
		})
	}
}

func BenchmarkEnergyVAD(b *testing.B) {
	e, _ := NewEnergyVAD(Options{}, 0)
	pcm := synth(16000, time.Second, 0, 0, 300, 0, 1)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e.Prob(pcm[i*320 : (i+1)*320])
		i = (i + 1) % 50
	}
}

func BenchmarkDetectorPush(b *testing.B) {
	c, _ := NewClassifier(Options{})
	d, _ := NewDetector(c, TurnOptions{})
	pcm := synth(16000, time.Second, 300*time.Millisecond, 700*time.Millisecond, 300, 3000, 1)
	b.ReportAllocs()
	i := 0
	var at time.Duration
	for b.Loop() {
		d.Push(pcm[i*320:(i+1)*320], at)
		at += 20 * time.Millisecond
		i = (i + 1) % 50
	}
}

// TestSustainHoldsWeakSpeechInSteadyNoise drives the hangover and hold
// logic with scripted raw scores: after a weak run of ≥ 100 ms in a steady
// background the next 100 ms stay speech; after a strong run only the
// decaying hangover does; in a fluctuating background and after a short
// run there is no hold.
func TestSustainHoldsWeakSpeechInSteadyNoise(t *testing.T) {
	cases := []struct {
		name        string
		spread      float64 // dB: ≥ fluctuatingDB is babble-like
		level, hops int     // the run: raw score and length in hops
		wantSpeech  int     // hops after the run still at or above the decision point
	}{
		{"weak run, steady", 0, 4, 12, specHoldHops},
		{"strong run, steady", 0, 10, 12, 8}, // 10·0.82^8 ≥ 2 > 10·0.82^9
		{"weak run, babble", 5, 4, 12, 3},    // 4·0.82^3 ≥ 2 > 4·0.82^4
		{"short weak run", 0, 4, 5, 0},
	}
	for _, c := range cases {
		v, err := NewClassifier(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !v.useModel {
			t.Skip("no learnt weights")
		}
		v.spread = c.spread
		for range c.hops {
			v.score = v.sustain(float64(c.level), false)
		}
		got := 0
		for i := range 30 {
			v.score = v.sustain(0, false)
			if v.score >= v.center {
				if got != i {
					t.Fatalf("%s: speech again at hop %d after %d", c.name, i, got)
				}
				got++
			}
		}
		if got != c.wantSpeech {
			t.Errorf("%s: %d hops of speech after the run, want %d", c.name, got, c.wantSpeech)
		}
	}
}
