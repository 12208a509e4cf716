package vad

import (
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// probeClassifier checks every probability its classifier returns.
type probeClassifier struct {
	c   Classifier
	t   *testing.T
	min float64 // lowest probability seen
}

func (p *probeClassifier) Prob(frame []int16) float64 {
	v := p.c.Prob(frame)
	if !(v >= 0 && v <= 1) { // NaN fails both
		p.t.Fatalf("probability %v outside [0,1]", v)
	}
	p.min = min(p.min, v)
	return v
}

func (p *probeClassifier) Reset() { p.c.Reset() }

// probeReporter is a probeClassifier over a classifier that reports its
// background, and passes the report on.
type probeReporter struct {
	*probeClassifier
	bg BackgroundReporter
}

func (p probeReporter) Fluctuating() bool { return p.bg.Fluctuating() }

// FuzzDetector feeds arbitrary PCM in arbitrary chunk sizes through a frame
// classifier (spectral or energy, at every supported rate and frame length)
// and the turn detector, and checks that nothing panics, every probability
// lies in [0,1], and events alternate start/end with sane fields. With a
// consistent clock (each chunk stamped where the previous one ended) it
// also checks that events are well-ordered in time: At ≤ DecidedAt, each
// start after the previous end was decided, each decision made MinSpeech or
// MinSilence (or MaxUtterance) after the boundary it reports, within a
// frame (a start may come later where StartThreshold exceeds the frame
// threshold or StartEvidence is on, an end up to MinResume later). The
// spectral classifier's background report reaches the detector, so the
// rules for steady and fluctuating backgrounds are both exercised. With
// cfg ≥ 36 the `at` of each chunk is arbitrary (even backwards).
func FuzzDetector(f *testing.F) {
	f.Add([]byte{}, uint16(320), int64(0), uint8(0))
	f.Add(make([]byte, 4000), uint16(1), int64(-5), uint8(1))
	loud := make([]byte, 16000)
	for i := range loud {
		loud[i] = byte(i * 37)
	}
	f.Add(loud, uint16(777), int64(1e12), uint8(2))
	f.Add(loud, uint16(320), int64(0), uint8(40))
	f.Add(loud[:6000], uint16(160), int64(3e9), uint8(9+18))
	// Two vowels in noise at 8 kHz: a short turn, and a long one cut by
	// MaxUtterance when it is 200 ms (even at0).
	voice := append(synth(8000, 700*time.Millisecond, 100*time.Millisecond, 250*time.Millisecond, 30, 3000, 1),
		synth(8000, 900*time.Millisecond, 100*time.Millisecond, 600*time.Millisecond, 30, 3000, 2)...)
	vb := make([]byte, 2*len(voice))
	for i, v := range voice {
		binary.LittleEndian.PutUint16(vb[2*i:], uint16(v))
	}
	f.Add(vb, uint16(159), int64(0), uint8(3))
	f.Add(vb, uint16(1000), int64(7e9+1), uint8(3+9))
	f.Add(vb, uint16(2000), int64(1), uint8(6))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16, at0 int64, cfg uint8) {
		rates := []int{8000, 16000, 48000}
		fds := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond}
		rate, fd := rates[int(cfg)%3], fds[int(cfg/3)%3]
		energy := cfg/9%2 == 1
		consistent := cfg < 36
		opt := Options{SampleRate: rate, FrameDuration: fd,
			Sensitivity: float64(int(cfg/18%2)*20 - 10), MinLevel: []float64{0, -120}[cfg/18%2]}
		var c Classifier
		var err error
		if energy {
			c, err = NewEnergyVAD(opt, -60)
		} else {
			c, err = NewClassifier(opt)
		}
		if err != nil {
			t.Fatal(err)
		}
		probe := &probeClassifier{c: c, t: t, min: 1}
		var dc Classifier = probe
		if bg, ok := c.(BackgroundReporter); ok {
			dc = probeReporter{probe, bg}
		}
		topt := TurnOptions{SampleRate: rate, FrameDuration: fd, MaxUtterance: []time.Duration{200 * time.Millisecond, 2 * time.Second}[at0&1]}
		if at0&2 != 0 {
			// Every run that lasts MinSpeech starts a turn, and short runs
			// do not add up (StartEvidence off): the start decision's
			// timing is checked exactly (and a frame is speech at Threshold
			// in a fluctuating background too, else a run could start
			// below it and become sure only later).
			topt.StartThreshold = DefaultThreshold
			topt.FluctuatingThreshold = DefaultThreshold
			topt.StartEvidence = -1
		}
		d, err := NewDetector(dc, topt)
		if err != nil {
			t.Fatal(err)
		}
		topt = d.Options()
		data = data[:min(len(data), 1<<16)] // longer input only costs time
		pcm := make([]int16, len(data)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
		n := int(chunk)%2000 + 1
		at0 %= 1 << 50 // keep media times far from overflow
		at := time.Duration(at0)
		const slack = time.Microsecond // float sample times across chunks
		open := false
		var last Event
		for off := 0; off < len(pcm); off += n {
			for _, e := range d.Push(pcm[off:min(off+n, len(pcm))], at) {
				switch e.Type {
				case SpeechStarted:
					if open {
						t.Fatal("two starts without an end")
					}
					open = true
					if pre, _ := d.PreRoll(); len(pre) == 0 {
						t.Fatal("start without pre-roll")
					}
				case SpeechEnded:
					if !open {
						t.Fatal("end without a start")
					}
					open = false
					if e.Duration < 0 {
						t.Fatalf("negative duration %v", e.Duration)
					}
				default:
					t.Fatalf("bad event %v", e.Type)
				}
				if consistent {
					checkEventTiming(t, topt, last, e, slack)
				}
				last = e
			}
			if p := d.LastProb(); !(p >= 0 && p <= 1) {
				t.Fatalf("LastProb %v", p)
			}
			if consistent {
				at = time.Duration(at0) + time.Duration(float64(min(off+n, len(pcm)))*float64(time.Second)/float64(rate))
			} else {
				at += time.Duration(int(at0%7)) * time.Millisecond // arbitrary, possibly inconsistent clock
			}
		}
		if math.IsNaN(probe.min) {
			t.Fatal("NaN probability")
		}
		d.Reset()
	})
}

// checkEventTiming checks e against the options and the event before it
// (zero for the first) on a consistent clock.
func checkEventTiming(t *testing.T, o TurnOptions, prev, e Event, slack time.Duration) {
	t.Helper()
	if e.At > e.DecidedAt+slack {
		t.Fatalf("%v at %v decided earlier, at %v", e.Type, e.At, e.DecidedAt)
	}
	if prev.Type != 0 && e.DecidedAt+slack < prev.DecidedAt {
		t.Fatalf("%v decided at %v, before the previous %v (%v)", e.Type, e.DecidedAt, prev.Type, prev.DecidedAt)
	}
	lag := e.DecidedAt - e.At
	switch {
	case e.Type == SpeechStarted:
		if prev.Type == SpeechEnded && e.At+slack < prev.DecidedAt {
			t.Fatalf("start at %v before the previous end was decided (%v)", e.At, prev.DecidedAt)
		}
		// Where StartThreshold applies, the run (of frames at or above
		// FluctuatingThreshold, or Threshold) may become sure enough only
		// after MinSpeech, and StartEvidence may add up runs from up to
		// EvidenceWindow back; otherwise the decision comes as soon as
		// the run has lasted MinSpeech.
		late := o.StartThreshold > o.FluctuatingThreshold || o.StartEvidence > 0
		if lag+slack < o.MinSpeech || !late && lag >= o.MinSpeech+o.FrameDuration+slack {
			t.Fatalf("start decided %v after its onset, MinSpeech %v", lag, o.MinSpeech)
		}
	case e.Capped:
		if lag != 0 || e.Duration+slack < o.MaxUtterance || e.Duration >= o.MaxUtterance+o.FrameDuration+slack {
			t.Fatalf("capped end %+v, MaxUtterance %v", e, o.MaxUtterance)
		}
	default:
		// A run of speech pending (MinResume) when MinSilence runs out
		// holds the decision until it counts or breaks off.
		if lag+slack < o.MinSilence || lag >= o.MinSilence+max(o.MinResume, 0)+o.FrameDuration+slack {
			t.Fatalf("end decided %v after the last speech, MinSilence %v, MinResume %v", lag, o.MinSilence, o.MinResume)
		}
	}
	if e.Type == SpeechEnded {
		if prev.Type != SpeechStarted {
			t.Fatalf("end after %v", prev.Type)
		}
		if d := e.At - prev.At; d < e.Duration-slack || d > e.Duration+slack {
			t.Fatalf("end at %v, start at %v, duration %v", e.At, prev.At, e.Duration)
		}
	}
}
