package callbot

import (
	"math"
	"testing"
	"time"
)

// picked plays packets of a constant 10000 arriving at the given offsets
// from t0 and returns what the microphone picks up in n 20 ms frames.
func picked(e *echoLine, t0 time.Time, arrivals []time.Duration, n int) [][]int16 {
	pkt := make([]int16, frameSamples)
	for i := range pkt {
		pkt[i] = 10000
	}
	for _, a := range arrivals {
		e.played(pkt, t0.Add(a))
	}
	var out [][]int16
	for k := 1; k <= n; k++ {
		frame := make([]int16, frameSamples)
		e.pickUp(frame, t0.Add(time.Duration(k)*20*time.Millisecond))
		out = append(out, frame)
	}
	return out
}

func TestEchoLineDelaysAndAttenuates(t *testing.T) {
	e := newEchoLine(EchoPath{GainDB: -20, Delay: 100 * time.Millisecond})
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	// The second packet arrives 5 ms after the first: it plays right after it.
	var got []float64
	for _, frame := range picked(e, t0, []time.Duration{0, 5 * time.Millisecond}, 10) {
		var s float64
		for _, v := range frame {
			s += float64(v)
		}
		got = append(got, s/frameSamples)
	}
	// 40 ms of audio at −20 dB (1000), 100 ms after its arrival: frames
	// ending at 120 and 140 ms hold it, nothing before or after.
	want := []float64{0, 0, 0, 0, 0, 1000, 1000, 0, 0, 0}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1 {
			t.Fatalf("frame means %v, want %v", got, want)
		}
	}
}

func TestEchoLineRoomTail(t *testing.T) {
	e := newEchoLine(EchoPath{GainDB: 0, Delay: 0, RT60: 300 * time.Millisecond})
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	var level []float64
	for _, frame := range picked(e, t0, []time.Duration{0}, 20) {
		var s float64
		for _, v := range frame {
			s += float64(v) * float64(v)
		}
		level = append(level, 10*math.Log10(s/frameSamples+1))
	}
	// The tail decays by 60 dB in 300 ms: 200 ms after the sound it is
	// 30–50 dB down, and never louder than the sound itself.
	if level[10] > level[0]-30 || level[10] < level[0]-50 {
		t.Fatalf("levels %v: want the 220 ms frame 30–50 dB under the first", level)
	}
}
