package vad

import (
	"testing"
	"time"
)

// voiced is a classifier for which a frame is speech when its mean
// absolute sample exceeds 100.
type voiced struct{}

func (voiced) Prob(frame []int16) float64 {
	var s int
	for _, v := range frame {
		s += max(int(v), -int(v))
	}
	if s > 100*len(frame) {
		return 1
	}
	return 0
}
func (voiced) Reset() {}

// pitchEnd runs 600 ms of a 150 Hz tone, then 400 ms gliding to f1, then
// silence, through a detector with opt, and returns its one end event.
func pitchEnd(t *testing.T, opt EndpointOptions, f1 float64) Event {
	t.Helper()
	pcm := append(glide(fs, 0.6, 150, 150), glide(fs, 0.4, 150, f1)...)
	pcm = append(pcm, make([]int16, fs*3/2)...)
	opt.Base = 300 * ms // above the floor, whatever the cue
	d, err := NewDetector(voiced{}, TurnOptions{Endpointing: &opt})
	if err != nil {
		t.Fatal(err)
	}
	var ends []Event
	for _, e := range run(t, d, pcm, 0) {
		if e.Type == SpeechEnded {
			ends = append(ends, e)
		}
	}
	if len(ends) != 1 || ends[0].At != 1000*ms {
		t.Fatalf("%+v, glide to %v Hz: ends %+v, want one at 1 s", opt, f1, ends)
	}
	return ends[0]
}

// On media time, the pitch cue moves the end of a turn whose energy is
// level: a falling final contour ends Fall sooner than the energy cue
// would, a rising one waits Level plus PitchRise; without a pitch option
// the contour changes nothing.
func TestEndpointPitchContourMovesTheEnd(t *testing.T) {
	off := pitchEnd(t, EndpointOptions{}, 100)
	if r := pitchEnd(t, EndpointOptions{}, 220); r.Wait != off.Wait {
		t.Fatalf("pitch off: rising waits %v, falling %v, want the same", r.Wait, off.Wait)
	}
	opt := EndpointOptions{Pitch: true, PitchRise: 300 * ms}
	fall, rise := pitchEnd(t, opt, 100), pitchEnd(t, opt, 220)
	if want := off.Wait - DefaultEndpointFall - DefaultEndpointLevel; fall.Wait != want {
		t.Errorf("falling: waits %v, want %v (the energy cue's %v less Fall and Level)", fall.Wait, want, off.Wait)
	}
	if want := off.Wait + 300*ms; rise.Wait != want {
		t.Errorf("rising: waits %v, want %v", rise.Wait, want)
	}
	for _, e := range []Event{fall, rise} {
		// The decision falls on the first frame end at or after the wait.
		if d := e.DecidedAt - e.At; d < e.Wait || d >= e.Wait+20*ms {
			t.Errorf("decided %v after the end, wait %v", d, e.Wait)
		}
	}
}

// A falling contour spares a long turn the long-turn wait only with
// PitchSparesLong; a level one waits it.
func TestEndpointPitchSparesLongTurn(t *testing.T) {
	long := func(opt EndpointOptions, f1 float64) time.Duration {
		pcm := append(glide(fs, 3.2, 150, 150), glide(fs, 0.4, 150, f1)...)
		pcm = append(pcm, make([]int16, fs)...)
		d, err := NewDetector(voiced{}, TurnOptions{Endpointing: &opt})
		if err != nil {
			t.Fatal(err)
		}
		d.SetHint(HintComplete)
		for _, e := range run(t, d, pcm, 0) {
			if e.Type == SpeechEnded {
				return e.Wait
			}
		}
		t.Fatal("no end")
		return 0
	}
	if w := long(EndpointOptions{Pitch: true}, 100); w != DefaultEndpointLong {
		t.Errorf("falling, not spared: waits %v, want LongWait %v", w, DefaultEndpointLong)
	}
	if w := long(EndpointOptions{Pitch: true, PitchSparesLong: true}, 100); w >= DefaultEndpointLong {
		t.Errorf("falling, spared: waits %v, want under LongWait %v", w, DefaultEndpointLong)
	}
	if w := long(EndpointOptions{Pitch: true, PitchSparesLong: true}, 150); w != DefaultEndpointLong {
		t.Errorf("level, spared: waits %v, want LongWait %v", w, DefaultEndpointLong)
	}
}

// The per-frame decision with the pitch cue on, in a pattern of 800 ms
// runs and 300 ms pauses: the contour read once per pause is averaged
// over the frames.
func BenchmarkEndpointDecisionPitch(b *testing.B) {
	e := newEndpointer(EndpointOptions{Pitch: true, PitchRise: 300 * ms, PitchSparesLong: true}, fs)
	e.opt, _ = e.opt.withDefaults()
	speech := glide(fs, 0.8, 180, 120)
	b.ReportAllocs()
	var w time.Duration
	var silence time.Duration
	for i := 0; b.Loop(); i++ {
		k := i % 55 // 40 frames of speech, 15 of silence
		if k < 40 {
			e.note(speech[k*320:(k+1)*320], true)
			silence = 0
		} else {
			e.note(speech[:320], false)
			silence += 20 * ms
		}
		w += e.wait(false, false, 2*time.Second, silence)
	}
	_ = w
}
