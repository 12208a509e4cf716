package vad

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// scripted is a Classifier whose verdict is written in the audio: a frame is
// speech iff its first sample is negative. Samples encode their own index, so
// pre-roll contents can be checked exactly.
type scripted struct{ resets int }

func (s *scripted) Prob(frame []int16) float64 {
	if len(frame) > 0 && frame[0] < 0 {
		return 1
	}
	return 0
}

func (s *scripted) Reset() { s.resets++ }

const fs = 16000

// script builds audio from (duration, speech?) segments; sample i holds
// i%30000+1, negated inside speech.
func script(segs ...any) []int16 {
	var out []int16
	for i := 0; i < len(segs); i += 2 {
		d := segs[i].(time.Duration)
		sp := segs[i+1].(bool)
		n := int(d * fs / time.Second)
		for range n {
			v := int16(len(out)%30000 + 1)
			if sp {
				v = -v
			}
			out = append(out, v)
		}
	}
	return out
}

func sampleIndex(v int16) int {
	if v < 0 {
		v = -v
	}
	return int(v) - 1
}

const ms = time.Millisecond

// run pushes pcm in 20 ms frames starting at media time base.
func run(t *testing.T, d *Detector, pcm []int16, base time.Duration) []Event {
	t.Helper()
	var evs []Event
	for i := 0; i+320 <= len(pcm); i += 320 {
		evs = append(evs, d.Push(pcm[i:i+320], base+time.Duration(i)*time.Second/fs)...)
	}
	return evs
}

func newScripted(t *testing.T, opt TurnOptions) *Detector {
	t.Helper()
	d, err := NewDetector(&scripted{}, opt)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDetectorStartEndHysteresis(t *testing.T) {
	tests := []struct {
		name string
		pcm  []int16
		want []Event
	}{
		{"60ms click does not start", script(500*ms, false, 60*ms, true, 1*time.Second, false), nil},
		{"80ms burst does not start", script(500*ms, false, 80*ms, true, 1*time.Second, false), nil},
		{"two 60ms bursts with a gap do not start", script(500*ms, false, 60*ms, true, 20*ms, false, 60*ms, true, time.Second, false), nil},
		{"100ms starts and ends", script(500*ms, false, 100*ms, true, 1*time.Second, false), []Event{
			{Type: SpeechStarted, At: 500 * ms, DecidedAt: 600 * ms},
			{Type: SpeechEnded, At: 600 * ms, DecidedAt: 900 * ms, Duration: 100 * ms},
		}},
		{"pause shorter than MinSilence does not end", script(200*ms, false, 400*ms, true, 280*ms, false, 400*ms, true, time.Second, false), []Event{
			{Type: SpeechStarted, At: 200 * ms, DecidedAt: 300 * ms},
			{Type: SpeechEnded, At: 1280 * ms, DecidedAt: 1580 * ms, Duration: 1080 * ms},
		}},
		{"pause of MinSilence ends, next speech starts again", script(200*ms, false, 400*ms, true, 300*ms, false, 400*ms, true, time.Second, false), []Event{
			{Type: SpeechStarted, At: 200 * ms, DecidedAt: 300 * ms},
			{Type: SpeechEnded, At: 600 * ms, DecidedAt: 900 * ms, Duration: 400 * ms},
			{Type: SpeechStarted, At: 900 * ms, DecidedAt: 1000 * ms},
			{Type: SpeechEnded, At: 1300 * ms, DecidedAt: 1600 * ms, Duration: 400 * ms},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newScripted(t, TurnOptions{MinSilence: 300 * ms})
			got := run(t, d, tc.pcm, 0)
			if len(got) != len(tc.want) {
				t.Fatalf("events %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("event %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestDetectorMediaTimeBase(t *testing.T) {
	// Events carry the caller's media time, whatever its origin.
	d := newScripted(t, TurnOptions{})
	base := 7*time.Hour + 3*ms
	got := run(t, d, script(100*ms, false, 200*ms, true), base)
	if len(got) != 1 || got[0].At != base+100*ms || got[0].DecidedAt != base+200*ms {
		t.Fatalf("got %+v", got)
	}
}

func TestDetectorPreRollContents(t *testing.T) {
	d := newScripted(t, TurnOptions{})
	pcm := script(1*time.Second, false, 500*ms, true, 500*ms, false)
	var started bool
	for i := 0; i+320 <= len(pcm); i += 320 {
		evs := d.Push(pcm[i:i+320], time.Duration(i)*time.Second/fs)
		pre, at := d.PreRoll()
		if len(evs) == 0 || evs[0].Type != SpeechStarted {
			if pre != nil {
				t.Fatalf("PreRoll non-nil without a start at sample %d", i)
			}
			continue
		}
		started = true
		// Onset at 1 s, decided at 1.1 s: pre-roll covers [0.7 s, 1.1 s).
		if at != 700*ms {
			t.Errorf("pre-roll starts at %v, want 700ms", at)
		}
		if len(pre) != 400*fs/1000 {
			t.Fatalf("pre-roll has %d samples, want %d", len(pre), 400*fs/1000)
		}
		for j, v := range pre {
			if sampleIndex(v) != 700*fs/1000+j {
				t.Fatalf("pre-roll[%d] is sample %d, want %d", j, sampleIndex(v), 700*fs/1000+j)
			}
		}
		if pre[0] < 0 || pre[len(pre)-1] > 0 {
			t.Errorf("pre-roll should begin in silence and end in speech")
		}
	}
	if !started {
		t.Fatal("no start")
	}
}

// TestDetectorPreRollLateStart: where the run becomes sure enough to start
// a turn only well after MinSpeech (StartThreshold in a fluctuating
// background), the pre-roll still reaches PreRoll before the run's first
// frame, up to MaxStartLag; a start decided later gets the last
// PreRoll + MaxStartLag of audio.
func TestDetectorPreRollLateStart(t *testing.T) {
	for _, c := range []struct {
		name     string
		run      int // frames at 0.6 before the sure one
		wantFrom time.Duration
	}{
		{"sure after 620 ms", 30, 100 * ms},
		{"sure after 1.42 s", 70, 100 * ms},
		{"sure after 1.72 s", 85, 100 * ms},
		{"sure after 2.22 s", 110, 2620*ms - DefaultPreRoll - MaxStartLag},
	} {
		probs := append(append(repeat(20, 0), repeat(c.run, 0.6)...), 0.999) // 400 ms of silence first
		d, err := NewDetector(&graded{probs: probs}, TurnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pcm := script(time.Duration(len(probs)+5)*20*ms, false)
		var got bool
		for i := 0; i+320 <= len(pcm); i += 320 {
			evs := d.Push(pcm[i:i+320], time.Duration(i)*time.Second/fs)
			if len(evs) == 0 {
				continue
			}
			got = true
			decided := time.Duration(len(probs)) * 20 * ms
			if evs[0].At != 400*ms || evs[0].DecidedAt != decided {
				t.Fatalf("%s: start %+v, want at 400ms decided %v", c.name, evs[0], decided)
			}
			pre, at := d.PreRoll()
			if at != c.wantFrom || time.Duration(len(pre))*time.Second/fs != decided-c.wantFrom {
				t.Errorf("%s: pre-roll from %v, %d samples; want from %v to %v", c.name, at, len(pre), c.wantFrom, decided)
			}
			for j, v := range pre {
				if sampleIndex(v) != (int(at*fs/time.Second)+j)%30000 { // (script's numbering wraps)
					t.Fatalf("%s: pre-roll[%d] is sample %d", c.name, j, sampleIndex(v))
				}
			}
		}
		if !got {
			t.Fatalf("%s: no start", c.name)
		}
	}
}

func TestDetectorPreRollAtStreamStart(t *testing.T) {
	// Less audio than PreRoll before the onset: the pre-roll is what there is.
	d := newScripted(t, TurnOptions{})
	pcm := script(100*ms, false, 200*ms, true)
	for i := 0; i+320 <= len(pcm); i += 320 {
		if evs := d.Push(pcm[i:i+320], time.Duration(i)*time.Second/fs); len(evs) > 0 {
			pre, at := d.PreRoll()
			if at != 0 || len(pre) != 200*fs/1000 || sampleIndex(pre[0]) != 0 {
				t.Fatalf("pre-roll at %v len %d first %d", at, len(pre), sampleIndex(pre[0]))
			}
			return
		}
	}
	t.Fatal("no start")
}

func TestDetectorMaxUtteranceCap(t *testing.T) {
	d := newScripted(t, TurnOptions{})
	// 31 s of speech, 1 s silence, 1 s speech.
	pcm := script(500*ms, false, 31*time.Second, true, time.Second, false, time.Second, true, time.Second, false)
	got := run(t, d, pcm, 0)
	want := []Event{
		{Type: SpeechStarted, At: 500 * ms, DecidedAt: 600 * ms},
		{Type: SpeechEnded, At: 30500 * ms, DecidedAt: 30500 * ms, Duration: 30 * time.Second, Capped: true},
		// The rest of the capped speech does not start a turn; after a pause it does.
		{Type: SpeechStarted, At: 32500 * ms, DecidedAt: 32600 * ms},
		{Type: SpeechEnded, At: 33500 * ms, DecidedAt: 33800 * ms, Duration: time.Second},
	}
	if len(got) != len(want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestDetectorConfigurableCap(t *testing.T) {
	d := newScripted(t, TurnOptions{MaxUtterance: 2 * time.Second})
	got := run(t, d, script(3*time.Second, true), 0)
	if len(got) != 2 || !got[1].Capped || got[1].Duration != 2*time.Second {
		t.Fatalf("got %+v", got)
	}
}

func TestDetectorChunkingInvariant(t *testing.T) {
	pcm := script(300*ms, false, 700*ms, true, 250*ms, false, 120*ms, true, 600*ms, false, 60*ms, true, 500*ms, false)
	ref := run(t, newScripted(t, TurnOptions{}), pcm, 0)
	if len(ref) != 2 {
		t.Fatalf("reference events %+v", ref)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 20 {
		d := newScripted(t, TurnOptions{})
		var got []Event
		for off := 0; off < len(pcm); {
			n := min(r.IntN(900)+1, len(pcm)-off)
			got = append(got, d.Push(pcm[off:off+n], time.Duration(off)*time.Second/fs)...)
			off += n
		}
		if len(got) != len(ref) {
			t.Fatalf("trial %d: %+v, want %+v", trial, got, ref)
		}
		for i := range got {
			if got[i] != ref[i] {
				t.Fatalf("trial %d event %d: %+v, want %+v", trial, i, got[i], ref[i])
			}
		}
	}
}

func TestDetectorReset(t *testing.T) {
	s := &scripted{}
	d, err := NewDetector(s, TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, d, script(500*ms, true), 0)
	if !d.Speaking() {
		t.Fatal("not speaking after 500 ms of speech")
	}
	d.Reset()
	if d.Speaking() || s.resets != 1 {
		t.Fatalf("after Reset: speaking=%v resets=%d", d.Speaking(), s.resets)
	}
	if got := run(t, d, script(500*ms, false), 0); len(got) != 0 {
		t.Fatalf("events after Reset: %+v", got)
	}
}

func TestDetectorOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		opt  TurnOptions
		want error
	}{
		{TurnOptions{SampleRate: 44100}, ErrSampleRate},
		{TurnOptions{FrameDuration: 25 * ms}, ErrFrameDuration},
		{TurnOptions{Threshold: 2}, ErrOption},
		{TurnOptions{MinSilence: -ms}, ErrOption},
		{TurnOptions{MaxUtterance: 50 * ms}, ErrOption},
	} {
		if _, err := NewDetector(&scripted{}, tc.opt); !errors.Is(err, tc.want) {
			t.Errorf("%+v: err %v, want %v", tc.opt, err, tc.want)
		}
	}
	if _, err := NewDetector(nil, TurnOptions{}); !errors.Is(err, ErrOption) {
		t.Errorf("nil classifier: %v", err)
	}
	o := newScripted(t, TurnOptions{}).Options()
	if o.MinSpeech != DefaultMinSpeech || o.MinSilence != DefaultMinSilence || o.PreRoll != DefaultPreRoll || o.MaxUtterance != DefaultMaxUtterance {
		t.Errorf("defaults %+v", o)
	}
}

// graded is a Classifier that returns, per 20 ms frame, the next value of
// probs (0 after the end).
type graded struct {
	probs []float64
	i     int
}

func (g *graded) Prob([]int16) float64 {
	if g.i >= len(g.probs) {
		return 0
	}
	g.i++
	return g.probs[g.i-1]
}

func (g *graded) Reset() { g.i = 0 }

// TestDetectorStartThreshold: a run of frames above Threshold starts a turn
// only once one of them reaches StartThreshold, and the turn starts at the
// run's first frame; a run that never does starts nothing.
func TestDetectorStartThreshold(t *testing.T) {
	frames := func(ps ...float64) []float64 { return ps }
	cases := []struct {
		name    string
		probs   []float64
		startAt time.Duration
		decided time.Duration
	}{
		{"never sure", frames(0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0), noStart, 0},
		{"almost sure", frames(0, 0.6, 0.997, 0.6, 0.6, 0.6, 0.6, 0), noStart, 0},
		{"sure in the first 100 ms", frames(0, 0.6, 0.998, 0.6, 0.6, 0.6, 0.6), 20 * ms, 120 * ms},
		{"sure later in the run", frames(0, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.999, 0.6), 20 * ms, 180 * ms},
		{"sure in an earlier run only", frames(0, 0.999, 0, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0), noStart, 0},
	}
	for _, c := range cases {
		d, err := NewDetector(&graded{probs: c.probs}, TurnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Options().StartThreshold; got != DefaultStartThreshold {
			t.Fatalf("default StartThreshold %v", got)
		}
		checkOneStart(t, c.name, d, 60, c.startAt, c.decided)
	}
	if _, err := NewDetector(&graded{}, TurnOptions{Threshold: 0.6, StartThreshold: 0.5}); !errors.Is(err, ErrOption) {
		t.Errorf("StartThreshold below Threshold: %v", err)
	}
	d, err := NewDetector(&graded{}, TurnOptions{Threshold: 0.999})
	if err != nil || d.Options().StartThreshold != 0.999 {
		t.Errorf("Threshold above the default start threshold: %v, StartThreshold %v", err, d.Options().StartThreshold)
	}
}

// reporting is graded with a background report.
type reporting struct {
	graded
	fluctuating bool
}

func (r *reporting) Fluctuating() bool { return r.fluctuating }

// TestDetectorStartThresholdOnlyInFluctuatingBackground: a classifier that
// reports a steady background starts turns at Threshold.
func TestDetectorStartThresholdOnlyInFluctuatingBackground(t *testing.T) {
	pcm := make([]int16, 20*320)
	for _, fl := range []bool{false, true} {
		c := &reporting{graded: graded{probs: []float64{0, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0}}, fluctuating: fl}
		d, err := NewDetector(c, TurnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		started := false
		for _, e := range run(t, d, pcm, 0) {
			if e.Type == SpeechStarted {
				started = true
				if e.At != 20*ms || e.DecidedAt != 120*ms {
					t.Errorf("start at %v decided %v, want 20ms decided 120ms", e.At, e.DecidedAt)
				}
			}
		}
		if started == fl {
			t.Errorf("fluctuating %v: turn started %v", fl, started)
		}
	}
}

// repeat is n frames of probability p.
func repeat(n int, p float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = p
	}
	return out
}

// padded is the frame probabilities of parts, after one silent frame and
// before 20 more.
func padded(parts ...[]float64) []float64 {
	out := []float64{0}
	for _, p := range parts {
		out = append(out, p...)
	}
	return append(out, repeat(20, 0)...)
}

// noStart as checkOneStart's startAt: no turn may start.
const noStart = -1

// checkOneStart feeds d frames 20 ms frames and checks that it starts one
// turn, at startAt and decided at decided (none if startAt is noStart),
// and that its events keep the fuzz test's timing invariants.
func checkOneStart(t *testing.T, name string, d *Detector, frames int, startAt, decided time.Duration) {
	t.Helper()
	var starts []Event
	var prev Event
	for _, e := range run(t, d, make([]int16, frames*320), 0) {
		checkEventTiming(t, d.Options(), prev, e, 0)
		prev = e
		if e.Type == SpeechStarted {
			starts = append(starts, e)
		}
	}
	switch {
	case startAt == noStart && len(starts) > 0:
		t.Errorf("%s: turn started at %v", name, starts[0].At)
	case startAt != noStart && len(starts) != 1:
		t.Errorf("%s: %d turns started %+v, want 1", name, len(starts), starts)
	case startAt != noStart && (starts[0].At != startAt || starts[0].DecidedAt != decided):
		t.Errorf("%s: start at %v decided %v, want %v decided %v", name, starts[0].At, starts[0].DecidedAt, startAt, decided)
	}
}

// TestDetectorStartEvidence: in a fluctuating background, frames at or
// above EvidenceThreshold that add up to StartEvidence within
// EvidenceWindow start a turn on a speech frame, even in runs too short or
// too weak for StartThreshold; the turn starts at the first frame of the
// run holding the earliest of them. Counting restarts at every turn start.
func TestDetectorStartEvidence(t *testing.T) {
	syllables := func(n, gap int, p float64) []float64 { // n runs of 100 ms, gap frames apart
		var out []float64
		for i := range n {
			if i > 0 {
				out = append(out, repeat(gap, 0)...)
			}
			out = append(out, repeat(5, p)...)
		}
		return out
	}
	cases := []struct {
		name             string
		probs            []float64
		evidence         time.Duration
		startAt, decided time.Duration
	}{
		// Sure frames 1-5, 11-15, 21-25, 31-35, 41-45: the 25th (500 ms)
		// ends at 920 ms.
		{"syllables add up", padded(syllables(5, 5, 0.92)), 0, 20 * ms, 920 * ms},
		{"off", padded(syllables(5, 5, 0.92)), -1, noStart, 0},
		{"more needed", padded(syllables(5, 5, 0.92)), 600 * ms, noStart, 0},
		{"below EvidenceThreshold", padded(syllables(5, 5, 0.85)), 0, noStart, 0},
		// Five frames in every 20: at most 15 within 50.
		{"spread over more than the window", padded(syllables(8, 15, 0.92)), 0, noStart, 0},
		// The first run rises through 0.6 before it is sure: the turn
		// starts where the run does, not at its first sure frame.
		{"onset at the run's first frame", padded(repeat(2, 0.6), syllables(5, 5, 0.92)), 0, 20 * ms, 960 * ms},
		// Two weak syllables, a sure run that starts a turn (20-120 ms
		// after them), its end, and two more weak syllables: the four weak
		// ones do not add up across the turn.
		{"counting restarts at a turn", padded(syllables(2, 5, 0.92), repeat(5, 0), repeat(5, 0.999), repeat(15, 0), syllables(2, 5, 0.92)),
			0, 420 * ms, 520 * ms},
	}
	for _, c := range cases {
		d, err := NewDetector(&reporting{graded: graded{probs: c.probs}, fluctuating: true}, TurnOptions{StartEvidence: c.evidence})
		if err != nil {
			t.Fatal(err)
		}
		if c.evidence == 0 && d.Options().StartEvidence != DefaultStartEvidence {
			t.Fatalf("default StartEvidence %v", d.Options().StartEvidence)
		}
		checkOneStart(t, c.name, d, len(c.probs), c.startAt, c.decided)
	}
	// Runs shorter than MinSpeech (seven of 80 ms, 40 ms apart) add up in a
	// fluctuating background; in a steady one the rule does not apply and
	// MinSpeech keeps such bursts (typing, say) from starting a turn.
	var clicks []float64
	for range 7 {
		clicks = append(clicks, repeat(4, 0.92)...)
		clicks = append(clicks, repeat(2, 0)...)
	}
	for _, fluctuating := range []bool{true, false} {
		d, err := NewDetector(&reporting{graded: graded{probs: padded(clicks)}, fluctuating: fluctuating}, TurnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		evs := run(t, d, make([]int16, 60*320), 0)
		if started := len(evs) > 0; started != fluctuating {
			t.Errorf("short runs, fluctuating background %v: events %+v", fluctuating, evs)
		}
	}
	if _, err := NewDetector(&graded{}, TurnOptions{StartEvidence: EvidenceWindow + ms}); !errors.Is(err, ErrOption) {
		t.Errorf("StartEvidence above EvidenceWindow: %v", err)
	}
}

// TestDetectorMinResume: in a fluctuating background, blips of speech
// frames in the silence after a turn do not hold it open, a run that lasts
// MinResume does, and a run pending when MinSilence runs out holds the
// decision until it counts or breaks off. In a steady background every
// speech frame counts.
func TestDetectorMinResume(t *testing.T) {
	seq := func(parts ...[]float64) []float64 {
		out := []float64{0}
		out = append(out, repeat(10, 1)...) // speech 20–220 ms, a sure start
		for _, p := range parts {
			out = append(out, p...)
		}
		return append(out, repeat(40, 0)...)
	}
	blips := seq(repeat(2, 0), repeat(1, 0.6), repeat(2, 0), repeat(2, 0.6), repeat(2, 0), repeat(1, 0.6), repeat(2, 0), repeat(2, 0.6))
	started := Event{Type: SpeechStarted, At: 20 * ms, DecidedAt: 120 * ms}
	ended := func(at, decided time.Duration) Event {
		return Event{Type: SpeechEnded, At: at, DecidedAt: decided, Duration: at - 20*ms}
	}
	cases := []struct {
		name        string
		probs       []float64
		fluctuating bool
		want        []Event
	}{
		{"blips do not hold the turn", blips, true, []Event{started, ended(220*ms, 520*ms)}},
		{"steady background: blips count", blips, false, []Event{started, ended(500*ms, 800*ms)}},
		{"a resumed run counts", seq(repeat(8, 0), repeat(5, 0.6)), true, []Event{started, ended(480*ms, 780*ms)}},
		{"a run pending at MinSilence holds the decision", seq(repeat(14, 0), repeat(5, 0.6)), true, []Event{started, ended(600*ms, 900*ms)}},
		{"a pending run that breaks off ends the turn", seq(repeat(14, 0), repeat(3, 0.6)), true, []Event{started, ended(220*ms, 580*ms)}},
	}
	for _, c := range cases {
		d, err := NewDetector(&reporting{graded: graded{probs: c.probs}, fluctuating: c.fluctuating}, TurnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Options().MinResume; got != DefaultMinResume {
			t.Fatalf("default MinResume %v", got)
		}
		got := run(t, d, make([]int16, len(c.probs)*320), 0)
		if len(got) != len(c.want) {
			t.Errorf("%s: events %+v, want %+v", c.name, got, c.want)
			continue
		}
		var prev Event
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: event %d %+v, want %+v", c.name, i, got[i], c.want[i])
			}
			checkEventTiming(t, d.Options(), prev, got[i], 0) // the fuzz test's invariants hold too
			prev = got[i]
		}
	}
	// MinResume of one frame: every speech frame counts, as before.
	d, err := NewDetector(&reporting{graded: graded{probs: blips}, fluctuating: true}, TurnOptions{MinResume: 20 * ms})
	if err != nil {
		t.Fatal(err)
	}
	if evs := run(t, d, make([]int16, len(blips)*320), 0); len(evs) != 2 || evs[1].At != 500*ms {
		t.Errorf("MinResume 20 ms: events %+v, want the turn to end after the last blip (500 ms)", evs)
	}
	if _, err := NewDetector(&graded{}, TurnOptions{MinResume: -ms}); !errors.Is(err, ErrOption) {
		t.Errorf("negative MinResume: %v", err)
	}
}

// TestDetectorFluctuatingThreshold: while the classifier reports a
// fluctuating background, frames between FluctuatingThreshold and
// Threshold (weak frames) count as speech (LastIsSpeech) and keep a turn
// going once a run of them lasts MinResume, and then for as long as it
// lasts; a shorter weak tail does not. In a steady background, or from a
// classifier that reports none, they do not count at all.
func TestDetectorFluctuatingThreshold(t *testing.T) {
	mid := (DefaultFluctuatingThreshold + DefaultThreshold) / 2
	// A sure start at 20 ms, 200 ms of speech, then 200 ms between the two
	// thresholds (220–420 ms), then silence.
	probs := append(append(append([]float64{0}, repeat(10, 1)...), repeat(10, mid)...), repeat(30, 0)...)
	// The same speech with a weak tail of 60 ms (under MinResume).
	tail := append(append(append([]float64{0}, repeat(10, 1)...), repeat(3, mid)...), repeat(30, 0)...)
	// A weak run of 100 ms that counts, a sure frame (320–340 ms), and a
	// weak tail of 40 ms after it that does not.
	again := append(append(append(append(append([]float64{0}, repeat(10, 1)...), repeat(5, mid)...), 1), repeat(2, mid)...), repeat(30, 0)...)
	started := Event{Type: SpeechStarted, At: 20 * ms, DecidedAt: 120 * ms}
	ended := func(at time.Duration) Event {
		return Event{Type: SpeechEnded, At: at, DecidedAt: at + DefaultMinSilence, Duration: at - 20*ms}
	}
	cases := []struct {
		name  string
		probs []float64
		c     Classifier
		opt   TurnOptions
		end   time.Duration // end of the turn
		mid   bool          // the frames at mid count as speech
	}{
		{"fluctuating", probs, &reporting{graded: graded{probs: probs}, fluctuating: true}, TurnOptions{}, 420 * ms, true},
		{"fluctuating, weak tail", tail, &reporting{graded: graded{probs: tail}, fluctuating: true}, TurnOptions{}, 220 * ms, true},
		{"fluctuating, weak run then tail", again, &reporting{graded: graded{probs: again}, fluctuating: true}, TurnOptions{}, 340 * ms, true},
		{"fluctuating, MinResume one frame", tail, &reporting{graded: graded{probs: tail}, fluctuating: true},
			TurnOptions{MinResume: 20 * ms}, 280 * ms, true},
		{"steady", probs, &reporting{graded: graded{probs: probs}}, TurnOptions{}, 220 * ms, false},
		{"no report", probs, &graded{probs: probs}, TurnOptions{}, 220 * ms, false},
		{"fluctuating, set to Threshold", probs, &reporting{graded: graded{probs: probs}, fluctuating: true},
			TurnOptions{FluctuatingThreshold: DefaultThreshold}, 220 * ms, false},
	}
	for _, c := range cases {
		d, err := NewDetector(c.c, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		var got []Event
		for f, p := range c.probs {
			at := time.Duration(f) * 20 * ms
			got = append(got, d.Push(make([]int16, 320), at)...)
			if want := p >= DefaultThreshold || (c.mid && p == mid); d.LastIsSpeech() != want {
				t.Errorf("%s: frame %d (p %v): LastIsSpeech %v", c.name, f, p, !want)
			}
		}
		want := []Event{started, ended(c.end)}
		if !slices.Equal(got, want) {
			t.Errorf("%s: events %+v, want %+v", c.name, got, want)
		}
		var prev Event
		for _, e := range got {
			checkEventTiming(t, d.Options(), prev, e, 0)
			prev = e
		}
		d.Reset()
		if d.LastIsSpeech() {
			t.Errorf("%s: LastIsSpeech after Reset", c.name)
		}
	}
	if o := newScripted(t, TurnOptions{}).Options(); o.FluctuatingThreshold != DefaultFluctuatingThreshold {
		t.Errorf("default FluctuatingThreshold %v", o.FluctuatingThreshold)
	}
	if o := newScripted(t, TurnOptions{Threshold: 0.1}).Options(); o.FluctuatingThreshold != 0.1 {
		t.Errorf("FluctuatingThreshold %v with Threshold 0.1, want 0.1", o.FluctuatingThreshold)
	}
	if o := newScripted(t, TurnOptions{SampleRate: 8000}).Options(); o.FluctuatingThreshold != DefaultFluctuatingThreshold8k {
		t.Errorf("default FluctuatingThreshold at 8 kHz %v", o.FluctuatingThreshold)
	}
	for _, ft := range []float64{-0.1, DefaultThreshold + 0.1} {
		if _, err := NewDetector(&graded{}, TurnOptions{FluctuatingThreshold: ft}); !errors.Is(err, ErrOption) {
			t.Errorf("FluctuatingThreshold %v: %v", ft, err)
		}
	}
}

// TestDetectorShortRunHold: after a run shorter than ShortRun the end of
// turn waits MinSilence + ShortRunHold, so a 360 ms gap between two digits
// does not split the turn; after a long run MinSilence alone ends it; off
// by default.
func TestDetectorShortRunHold(t *testing.T) {
	digits := padded(repeat(15, 1), repeat(18, 0), repeat(15, 1), repeat(10, 0)) // runs 20–320 and 680–980 ms
	long := padded(repeat(40, 1))                                                // 20–820 ms
	started := Event{Type: SpeechStarted, At: 20 * ms, DecidedAt: 120 * ms}
	cases := []struct {
		name  string
		probs []float64
		hold  time.Duration
		want  []Event
	}{
		{"off: the gap ends the turn", digits, 0, []Event{started, {Type: SpeechEnded, At: 320 * ms, DecidedAt: 620 * ms, Duration: 300 * ms},
			{Type: SpeechStarted, At: 680 * ms, DecidedAt: 780 * ms}, {Type: SpeechEnded, At: 980 * ms, DecidedAt: 1280 * ms, Duration: 300 * ms}}},
		{"200 ms hold: one turn", digits, 200 * ms, []Event{started, {Type: SpeechEnded, At: 980 * ms, DecidedAt: 1480 * ms, Duration: 960 * ms}}},
		{"long run: MinSilence alone", long, 200 * ms, []Event{started, {Type: SpeechEnded, At: 820 * ms, DecidedAt: 1120 * ms, Duration: 800 * ms}}},
	}
	for _, c := range cases {
		d, err := NewDetector(&reporting{graded: graded{probs: c.probs}}, TurnOptions{ShortRunHold: c.hold})
		if err != nil {
			t.Fatal(err)
		}
		got := run(t, d, make([]int16, len(c.probs)*320), 0)
		if len(got) != len(c.want) {
			t.Errorf("%s: events %+v, want %+v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: event %d %+v, want %+v", c.name, i, got[i], c.want[i])
			}
		}
	}
	if _, err := NewDetector(&graded{}, TurnOptions{ShortRunHold: -ms}); !errors.Is(err, ErrOption) {
		t.Errorf("negative ShortRunHold: %v", err)
	}
}
