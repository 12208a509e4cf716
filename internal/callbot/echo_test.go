package callbot

import (
	"math"
	"testing"
	"time"
)

func TestEchoLineDelaysAndAttenuates(t *testing.T) {
	e := newEchoLine(EchoPath{GainDB: -20, Delay: 100 * time.Millisecond})
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	pkt := make([]int16, frameSamples)
	for i := range pkt {
		pkt[i] = 10000
	}
	e.played(pkt, t0)
	e.played(pkt, t0.Add(5*time.Millisecond)) // jitter: plays right after the first
	frame := make([]int16, frameSamples)
	var got []float64
	for k := 1; k <= 10; k++ {
		clear(frame)
		e.pickUp(frame, t0.Add(time.Duration(k)*20*time.Millisecond))
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
	pkt := make([]int16, frameSamples)
	for i := range pkt {
		pkt[i] = 10000
	}
	e.played(pkt, t0)
	frame := make([]int16, frameSamples)
	var level []float64
	for k := 1; k <= 20; k++ {
		clear(frame)
		e.pickUp(frame, t0.Add(time.Duration(k)*20*time.Millisecond))
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
