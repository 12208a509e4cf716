package vad

import (
	"fmt"
	"time"
)

// Defaults of [TurnOptions]. The rules that apply only in a fluctuating
// background (StartThreshold, StartEvidence, MinResume,
// FluctuatingThreshold) keep other voices from starting or holding turns
// without letting go of the user's; what each was chosen from is in
// docs/vad.md, the measurements in BENCHMARKS.md.
const (
	DefaultMinSpeech = 100 * time.Millisecond
	// DefaultStartThreshold: in a fluctuating background a turn starts only
	// when one frame of the run is this sure. Other voices often pass
	// Threshold for 100 ms but rarely reach this; a voice meant for the
	// microphone does within its first syllable.
	DefaultStartThreshold = 0.998
	// DefaultMinResume: in a fluctuating background a run of speech frames
	// after a gap keeps an open turn going only once it lasts this long, so
	// blips of other voices do not hold turns open.
	DefaultMinResume = 80 * time.Millisecond
	// DefaultStartEvidence: in a fluctuating background a turn also starts,
	// on a speech frame, once frames at or above EvidenceThreshold add up
	// to this much within the last EvidenceWindow, in one run or several:
	// a voice that never reaches StartThreshold in a loud room still comes
	// through near-sure again and again, other voices rarely do.
	DefaultStartEvidence = 500 * time.Millisecond
	// DefaultFluctuatingThreshold: in a fluctuating background a frame
	// counts as speech at this probability (and keeps a turn going in a
	// run of MinResume; see TurnOptions.FluctuatingThreshold): the score is
	// less sure of a voice under other voices, and at Threshold the
	// detector let go of it mid-utterance.
	DefaultFluctuatingThreshold = 0.25
	// DefaultFluctuatingThreshold8k is the default at 8 kHz, where the
	// telephone-band model is less sure of a voice in babble and 0.25 ran
	// separate utterances together.
	DefaultFluctuatingThreshold8k = 0.4
	// EvidenceThreshold is the probability (or Threshold, if higher) at or
	// above which a frame counts towards StartEvidence.
	EvidenceThreshold = 0.9
	// EvidenceWindow is how far back StartEvidence is counted.
	EvidenceWindow = time.Second
	// DefaultMinSilence ends a turn: shorter splits utterances at their own
	// pauses, longer makes every answer later.
	DefaultMinSilence = 300 * time.Millisecond
	DefaultPreRoll    = 300 * time.Millisecond
	// MaxStartLag is how long after its onset a turn may be decided (a run
	// that became sure late, or evidence gathered over up to
	// EvidenceWindow) and still get its whole pre-roll: the detector keeps
	// PreRoll + MaxStartLag of audio. A later start gets the last PreRoll +
	// MaxStartLag.
	MaxStartLag         = 2 * time.Second
	DefaultMaxUtterance = 30 * time.Second
	// DefaultShortRun is the default of TurnOptions.ShortRun: a spoken
	// digit or short word lasts 250-600 ms.
	DefaultShortRun = 600 * time.Millisecond
	// MinRunGap is the shortest gap that ends a run of speech for ShortRun.
	MinRunGap = 100 * time.Millisecond
)

// TurnOptions configure a [Detector]. The zero value means all defaults.
type TurnOptions struct {
	// SampleRate of the PCM given to Push (default 16000). It must match the
	// classifier's.
	SampleRate int
	// FrameDuration is the length of the frames handed to the classifier
	// (default 20 ms); Push re-frames chunks of any length to it.
	FrameDuration time.Duration
	// Threshold is the speech probability at or above which a frame counts as
	// speech (default 0.5), unless FluctuatingThreshold applies.
	Threshold float64
	// FluctuatingThreshold replaces Threshold while the classifier is a
	// BackgroundReporter that reports a fluctuating background (default
	// DefaultFluctuatingThreshold, DefaultFluctuatingThreshold8k at 8 kHz,
	// or Threshold if lower; at most Threshold). In an open turn the weak
	// frames, those below Threshold, count like speech after a gap: a run
	// of them keeps the turn going once it has lasted MinResume (see
	// there), so the fading tail of an utterance does not delay the end of
	// turn.
	FluctuatingThreshold float64
	// StartThreshold is the probability at least one frame of a run of
	// speech frames must reach for the run to start a turn, once it has
	// lasted MinSpeech (default the larger of DefaultStartThreshold and
	// Threshold), unless the classifier is a BackgroundReporter that reports
	// a steady background: then Threshold is enough (see also
	// StartEvidence). Speech frames (at or above Threshold, or
	// FluctuatingThreshold) keep a turn going. The turn starts at the
	// run's first frame either way.
	StartThreshold float64
	// MinSpeech is how much uninterrupted speech starts a turn (default
	// 100 ms). Clicks, coughs and door knocks shorter than that do not.
	MinSpeech time.Duration
	// MinSilence is how much silence after the last speech frame ends a turn
	// (default 300 ms, at most 400 ms recommended for a snappy assistant).
	MinSilence time.Duration
	// StartEvidence applies where StartThreshold does: a speech frame also
	// starts a turn once frames at or above EvidenceThreshold (or
	// Threshold, if higher) add up to StartEvidence, or MinSpeech if
	// longer, within the last EvidenceWindow since the last turn started
	// (default DefaultStartEvidence; at most EvidenceWindow; negative: off,
	// only StartThreshold starts turns there). The turn starts at the first
	// frame of the run that holds the earliest of them.
	StartEvidence time.Duration
	// MinResume applies where StartThreshold does (a fluctuating
	// background, or a classifier that does not report one): after a gap in
	// an open turn, a run of speech frames counts, and holds off the end of
	// the turn, only once it has lasted this long (default
	// DefaultMinResume); so does a run of weak frames (see
	// FluctuatingThreshold), gap or not. A run still pending when
	// MinSilence runs out delays the decision until it counts or breaks
	// off (by less than MinResume). FrameDuration or less: every speech
	// frame counts, as in a steady background.
	MinResume time.Duration
	// ShortRunHold (default 0: off) is added to MinSilence after a run of
	// speech shorter than ShortRun: a lone word or digit may be followed
	// by more ("three … seven … one"). It costs that much latency after
	// a one-word turn ("yes").
	ShortRunHold time.Duration
	// ShortRun is the longest run ShortRunHold applies after (default
	// DefaultShortRun). Gaps under MinRunGap do not break a run.
	ShortRun time.Duration
	// Endpointing, when set, replaces MinSilence and ShortRunHold with the
	// adaptive end-of-turn wait (see EndpointOptions and SetHint); nil is
	// the fixed silence.
	Endpointing *EndpointOptions
	// PreRoll is how much audio before the detected onset PreRoll returns at a
	// start, so speech-to-text hears the whole first syllable (default 300 ms).
	PreRoll time.Duration
	// MaxUtterance caps one turn (default 30 s): when reached, the detector
	// emits SpeechEnded with Capped set and then waits for MinSilence of
	// silence before it can start another turn.
	MaxUtterance time.Duration
}

func (o TurnOptions) withDefaults() (TurnOptions, error) {
	// The fields shared with the classifier get its defaults and checks.
	c, err := Options{SampleRate: o.SampleRate, FrameDuration: o.FrameDuration, Threshold: o.Threshold}.withDefaults()
	if err != nil {
		return o, err
	}
	o.SampleRate, o.FrameDuration, o.Threshold = c.SampleRate, c.FrameDuration, c.Threshold
	if o.StartThreshold == 0 {
		o.StartThreshold = max(DefaultStartThreshold, o.Threshold)
	}
	if o.FluctuatingThreshold == 0 {
		ft := DefaultFluctuatingThreshold
		if o.SampleRate == 8000 {
			ft = DefaultFluctuatingThreshold8k
		}
		o.FluctuatingThreshold = min(ft, o.Threshold)
	}
	if o.FluctuatingThreshold < 0 || o.FluctuatingThreshold > o.Threshold {
		return o, fmt.Errorf("%w: FluctuatingThreshold %v outside [0, Threshold %v]", ErrOption, o.FluctuatingThreshold, o.Threshold)
	}
	if o.StartThreshold < o.Threshold || o.StartThreshold > 1 {
		return o, fmt.Errorf("%w: StartThreshold %v outside [Threshold %v, 1]", ErrOption, o.StartThreshold, o.Threshold)
	}
	if o.MinSpeech == 0 {
		o.MinSpeech = DefaultMinSpeech
	}
	if o.MinSilence == 0 {
		o.MinSilence = DefaultMinSilence
	}
	if o.StartEvidence == 0 {
		o.StartEvidence = DefaultStartEvidence
	}
	if o.MinResume == 0 {
		o.MinResume = DefaultMinResume
	}
	if o.PreRoll == 0 {
		o.PreRoll = DefaultPreRoll
	}
	if o.MaxUtterance == 0 {
		o.MaxUtterance = DefaultMaxUtterance
	}
	if o.ShortRun == 0 {
		o.ShortRun = DefaultShortRun
	}
	if o.Endpointing != nil {
		e, err := o.Endpointing.withDefaults()
		if err != nil {
			return o, err
		}
		o.Endpointing = &e
	}
	switch {
	case o.MinSpeech < 0 || o.MinSilence < 0 || o.PreRoll < 0 || o.MinResume < 0 || o.ShortRunHold < 0 || o.ShortRun < 0:
		return o, fmt.Errorf("%w: negative duration", ErrOption)
	case o.StartEvidence > EvidenceWindow:
		return o, fmt.Errorf("%w: StartEvidence %v above EvidenceWindow %v", ErrOption, o.StartEvidence, EvidenceWindow)
	case o.PreRoll > 10*time.Second:
		return o, fmt.Errorf("%w: PreRoll %v above 10 s", ErrOption, o.PreRoll)
	case o.MaxUtterance <= o.MinSpeech:
		return o, fmt.Errorf("%w: MaxUtterance %v not above MinSpeech", ErrOption, o.MaxUtterance)
	}
	return o, nil
}

// EventType tells a start from an end.
type EventType uint8

// Event types.
const (
	SpeechStarted EventType = iota + 1
	SpeechEnded
)

func (t EventType) String() string {
	switch t {
	case SpeechStarted:
		return "SpeechStarted"
	case SpeechEnded:
		return "SpeechEnded"
	}
	return fmt.Sprintf("EventType(%d)", uint8(t))
}

// Event is a turn boundary. All times are media time, on the clock of the
// `at` arguments given to Push.
type Event struct {
	Type EventType
	// At is where the boundary lies in the audio: for SpeechStarted the start
	// of the first speech frame of the run that reached MinSpeech (the
	// estimated onset); for SpeechEnded the end of the last speech frame, or
	// the cut point for a capped utterance.
	At time.Duration
	// DecidedAt is the end of the frame at which the detector decided: At +
	// about MinSpeech for a start (later where StartThreshold applies and
	// the run became sure only later, or StartEvidence gathered over
	// several runs; see TurnOptions.StartEvidence), At +
	// MinSilence for an end (up to MinResume more when a run of speech was
	// pending then; see TurnOptions.MinResume). This is the earliest moment
	// anything downstream can react.
	DecidedAt time.Duration
	// Duration (SpeechEnded only) is the utterance length, end At minus start At.
	Duration time.Duration
	// Capped (SpeechEnded only) reports that MaxUtterance cut the utterance.
	Capped bool
	// Wait (SpeechEnded only, adaptive endpointing only; else 0) is the
	// silence the adaptive decision required; below MinSilence the turn
	// was decided early.
	Wait time.Duration
}

type turnState uint8

const (
	stateIdle turnState = iota
	stateSpeaking
	stateCapped // cut by MaxUtterance; waiting for silence
)

// Detector turns frame classifications into turn events. It is driven only by
// the media timestamps given to Push, holds no goroutine, and is not safe for
// concurrent use: one per call, owned by the goroutine that reads the audio.
type Detector struct {
	c   Classifier
	bg  BackgroundReporter // c, when it reports its background; else nil
	opt TurnOptions

	frameLen int // samples per classified frame
	frame    []int16
	nFrame   int           // samples buffered in frame
	frameAt  time.Duration // media time of frame[0]

	ring    []int16 // last len(ring) samples up to ringEnd
	ringPos int     // next write index
	ringN   int     // valid samples in ring
	ringEnd time.Duration

	preroll   []int16
	prerollAt time.Duration
	hasPre    bool

	state       turnState
	candStart   time.Duration
	candPeak    float64 // highest probability in the candidate run (while idle)
	inCand      bool
	uttStart    time.Duration
	lastSpeech  time.Duration // end of the last speech frame
	runStart    time.Duration // in a turn, start of the run that lastSpeech ends (ShortRun)
	lastProb    float64
	weakRun     bool // in a turn, the current run of weak frames has counted (MinResume)
	ev          evidence
	ep          *endpointer   // nil: fixed silence
	silence     time.Duration // in a turn, silence after the last speech frame (Tentative)
	wait        time.Duration // in a turn, the silence that would end it now
	events      []Event
	sampleNanos float64
}

// NewDetector returns a turn detector over c. c must take frames at
// opt.SampleRate; the detector owns it from now on (Reset resets it too).
func NewDetector(c Classifier, opt TurnOptions) (*Detector, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, fmt.Errorf("%w: nil classifier", ErrOption)
	}
	d := &Detector{c: c, opt: opt}
	d.bg, _ = c.(BackgroundReporter)
	d.frameLen = int(int64(opt.SampleRate) * int64(opt.FrameDuration) / int64(time.Second))
	if opt.StartEvidence > 0 {
		d.ev = newEvidence(opt)
	}
	if opt.Endpointing != nil {
		d.ep = newEndpointer(*opt.Endpointing, opt.SampleRate)
	}
	d.frame = make([]int16, d.frameLen)
	d.sampleNanos = float64(time.Second) / float64(opt.SampleRate)
	// The pre-roll of a start decided up to MaxStartLag into its run.
	ringDur := opt.PreRoll + max(MaxStartLag, opt.MinSpeech+2*opt.FrameDuration)
	n := d.samples(ringDur)
	d.ring = make([]int16, n)
	d.events = make([]Event, 0, 4)
	return d, nil
}

// Options returns the options in effect, defaults filled in.
func (d *Detector) Options() TurnOptions { return d.opt }

func (d *Detector) samples(t time.Duration) int {
	return int(int64(t) * int64(d.opt.SampleRate) / int64(time.Second))
}

func (d *Detector) dur(n int) time.Duration { return time.Duration(float64(n) * d.sampleNanos) }

// Push feeds PCM whose first sample plays at media time at, and returns the
// events it caused, in order. Chunks of any length are accepted: samples are
// gathered into FrameDuration frames, and a frame's time is the `at` of the
// chunk that began it plus its offset in that chunk. The returned slice is
// reused by the next Push.
func (d *Detector) Push(pcm []int16, at time.Duration) []Event {
	d.events = d.events[:0]
	d.hasPre = false
	off := 0
	for off < len(pcm) {
		if d.nFrame == 0 {
			d.frameAt = at + d.dur(off)
		}
		k := copy(d.frame[d.nFrame:], pcm[off:])
		d.nFrame += k
		off += k
		if d.nFrame == d.frameLen {
			d.nFrame = 0
			d.step(d.frame, d.frameAt)
		}
	}
	return d.events
}

// PreRoll returns the audio from PreRoll before the onset of the turn started
// in the last Push up to the end of the frame that started it, and the media
// time of its first sample (at most PreRoll + MaxStartLag of audio: see
// MaxStartLag). Audio after it reaches the caller through the
// following Push calls. It returns nil when the last Push started no turn.
// The slice is reused by the next Push.
func (d *Detector) PreRoll() ([]int16, time.Duration) {
	if !d.hasPre {
		return nil, 0
	}
	return d.preroll, d.prerollAt
}

// Speaking reports whether a turn is open (started and not yet ended).
func (d *Detector) Speaking() bool { return d.state == stateSpeaking }

// LastProb is the classifier's probability for the last complete frame.
func (d *Detector) LastProb() float64 { return d.lastProb }

// LastIsSpeech reports whether the last complete frame counted as speech:
// its probability reached Threshold, or FluctuatingThreshold where that
// applies.
func (d *Detector) LastIsSpeech() bool { return d.lastProb >= d.frameThreshold() }

// SetHint gives the adaptive end-of-turn decision what the words said so
// far suggest (ClassifyPartial of the recogniser's partial); the hint holds
// until the next SetHint or the end of the turn. Without Endpointing it
// does nothing.
func (d *Detector) SetHint(h Hint) {
	if d.ep != nil {
		d.ep.hint = h
	}
}

// Tentative reports whether an open turn's silence has reached frac of
// the wait that would end it now (the adaptive wait, or MinSilence): the
// turn is likely over, and a reply may be prepared before it commits.
func (d *Detector) Tentative(frac float64) bool {
	return d.state == stateSpeaking && d.silence > 0 && float64(d.silence) >= frac*float64(d.wait)
}

// Reset forgets the stream: open turn (without an event), buffered samples,
// pre-roll and the classifier's state.
func (d *Detector) Reset() {
	d.c.Reset()
	d.nFrame = 0
	d.ringPos, d.ringN = 0, 0
	d.hasPre = false
	d.state = stateIdle
	d.inCand, d.weakRun = false, false
	d.lastProb = 0
	d.ev.clear()
	if d.ep != nil {
		d.ep.reset()
	}
	d.events = d.events[:0]
}

func (d *Detector) step(frame []int16, at time.Duration) {
	end := at + d.opt.FrameDuration
	d.record(frame, end)
	p := d.c.Prob(frame)
	d.lastProb = p
	speech := p >= d.frameThreshold()
	switch d.state {
	case stateIdle:
		if !speech {
			d.inCand = false
			d.ev.note(false, 0)
			return
		}
		if !d.inCand {
			d.inCand, d.candStart, d.candPeak = true, at, 0
		}
		d.candPeak = max(d.candPeak, p)
		d.ev.note(p >= d.ev.prob, d.candStart)
		onset := d.candStart
		start := end-d.candStart >= d.opt.MinSpeech && d.candPeak >= d.startThreshold()
		if !start && d.strict() {
			onset, start = d.ev.onset()
		}
		if start {
			d.state = stateSpeaking
			d.silence = 0
			d.inCand, d.weakRun = false, false
			d.ev.clear()
			d.uttStart = onset
			d.lastSpeech = end
			d.runStart = onset
			d.snapshotPreRoll(onset-d.opt.PreRoll, end)
			d.events = append(d.events, Event{Type: SpeechStarted, At: onset, DecidedAt: end})
		}
	case stateSpeaking:
		// A weak frame: speech only by FluctuatingThreshold (so in a
		// fluctuating background).
		weak := speech && p < d.opt.Threshold
		if !weak {
			d.weakRun = false
		}
		switch {
		case weak && d.weakRun:
			d.lastSpeech = end // a weak run that counted goes on
		case speech && (at > d.lastSpeech || weak) && d.strict():
			// A run after a gap, or of weak frames, in a fluctuating
			// background: it counts once it has lasted MinResume (see
			// TurnOptions).
			if !d.inCand {
				d.inCand, d.candStart = true, at
			}
			if end-d.candStart >= d.opt.MinResume {
				d.inCand = false
				d.newRun(d.candStart)
				d.lastSpeech = end
				d.weakRun = weak
			}
		case speech:
			d.newRun(at)
			d.lastSpeech = end
			d.inCand = false // (the background may have turned steady mid-run)
		default:
			d.inCand = false
		}
		// A run pending since before MinSilence ran out holds the decision
		// until it counts or breaks off.
		short := d.lastSpeech-d.runStart < d.opt.ShortRun
		var silence time.Duration
		if d.ep != nil {
			d.ep.note(frame, speech && end == d.lastSpeech)
			run := d.lastSpeech - d.runStart
			lone := short
			if m := d.ep.opt.MaybeRun; m > 0 {
				lone = run < m
			}
			silence = d.ep.wait(short, lone, d.lastSpeech-d.uttStart, end-d.lastSpeech)
		} else {
			silence = d.opt.MinSilence
			if short {
				silence += d.opt.ShortRunHold
			}
		}
		d.silence, d.wait = end-d.lastSpeech, silence
		if d.inCand {
			d.silence = 0 // a run pending: the user may be going on
		}
		if end-d.lastSpeech >= silence && !(d.inCand && d.candStart-d.lastSpeech < silence) {
			d.state = stateIdle
			var wait time.Duration
			if d.ep != nil {
				d.ep.reset()
				wait = silence
			}
			d.events = append(d.events, Event{Type: SpeechEnded, At: d.lastSpeech, DecidedAt: end,
				Duration: d.lastSpeech - d.uttStart, Wait: wait})
			return
		}
		if end-d.uttStart >= d.opt.MaxUtterance {
			d.state = stateCapped
			d.events = append(d.events, Event{Type: SpeechEnded, At: end, DecidedAt: end,
				Duration: end - d.uttStart, Capped: true})
		}
	case stateCapped:
		if speech {
			d.lastSpeech = end
		} else if end-d.lastSpeech >= d.opt.MinSilence {
			d.state = stateIdle
		}
	}
}

// newRun notes a speech frame (or counted run) starting at from: after a
// gap of MinRunGap or more it starts a new run (ShortRun), and the gap is
// an inner pause for the adaptive digit hold (EndpointOptions.PauseScale).
func (d *Detector) newRun(from time.Duration) {
	if gap := from - d.lastSpeech; gap >= MinRunGap {
		d.runStart = from
		if d.ep != nil {
			d.ep.notePause(gap)
		}
	}
}

// evidence counts the frames at or above prob among the last len(sure)
// frames seen while idle (TurnOptions.StartEvidence), with the start of the
// run each belongs to. Frames inside a turn are not noted and a start
// clears the count, so the ring only ever holds frames since the last turn
// ended: the window is len(sure) frames of media time. The zero value
// counts nothing.
type evidence struct {
	prob float64         // a frame at or above this counts
	need int             // frames that start a turn
	sure []bool          // ring over the window; pos is the oldest entry
	run  []time.Duration // run start of each sure frame
	pos  int
	n    int // sure frames in the ring
}

func newEvidence(o TurnOptions) evidence {
	w := int(EvidenceWindow / o.FrameDuration)
	need := max(o.StartEvidence, o.MinSpeech)
	return evidence{
		prob: max(EvidenceThreshold, o.Threshold),
		need: int((need + o.FrameDuration - 1) / o.FrameDuration),
		sure: make([]bool, w),
		run:  make([]time.Duration, w),
	}
}

// note records the newest frame: whether it is sure, and its run's start.
func (e *evidence) note(sure bool, run time.Duration) {
	if len(e.sure) == 0 {
		return
	}
	if e.sure[e.pos] {
		e.n--
	}
	e.sure[e.pos], e.run[e.pos] = sure, run
	if sure {
		e.n++
	}
	if e.pos++; e.pos == len(e.sure) {
		e.pos = 0
	}
}

// onset reports whether the window holds enough sure frames, and the start
// of the run of the earliest of them.
func (e *evidence) onset() (time.Duration, bool) {
	if e.n < e.need {
		return 0, false
	}
	for i := range e.sure {
		if k := (e.pos + i) % len(e.sure); e.sure[k] {
			return e.run[k], true
		}
	}
	return 0, false
}

func (e *evidence) clear() {
	clear(e.sure)
	e.n = 0
}

// strict reports whether the background may hold other voices: the
// classifier reports a fluctuating one, or does not report. StartThreshold
// and MinResume apply only then.
func (d *Detector) strict() bool { return d.bg == nil || d.bg.Fluctuating() }

// frameThreshold is the probability at or above which a frame counts as
// speech: FluctuatingThreshold while the classifier reports a fluctuating
// background, else Threshold (a classifier that reports none gets
// Threshold: unlike the start rules, this one is not the cautious side).
func (d *Detector) frameThreshold() float64 {
	if d.bg != nil && d.bg.Fluctuating() {
		return d.opt.FluctuatingThreshold
	}
	return d.opt.Threshold
}

// startThreshold is StartThreshold, or Threshold in a steady background.
func (d *Detector) startThreshold() float64 {
	if d.strict() {
		return d.opt.StartThreshold
	}
	return d.opt.Threshold
}

// record appends a frame to the pre-roll ring; end is its end time.
func (d *Detector) record(frame []int16, end time.Duration) {
	for _, s := range frame {
		d.ring[d.ringPos] = s
		d.ringPos++
		if d.ringPos == len(d.ring) {
			d.ringPos = 0
		}
	}
	d.ringN = min(d.ringN+len(frame), len(d.ring))
	d.ringEnd = end
}

// snapshotPreRoll copies the ring audio in [from, to) into preroll.
func (d *Detector) snapshotPreRoll(from, to time.Duration) {
	n := min(d.samples(to-from), d.ringN)
	if n < 0 {
		n = 0
	}
	start := d.ringPos - n
	if start < 0 {
		start += len(d.ring)
	}
	if cap(d.preroll) < n {
		// Allocated at the first start that needs it, not per call: a
		// call that never speaks does not pay for it.
		d.preroll = make([]int16, n, len(d.ring))
	}
	d.preroll = d.preroll[:n]
	k := copy(d.preroll, d.ring[start:min(start+n, len(d.ring))])
	copy(d.preroll[k:], d.ring[:n-k])
	d.prerollAt = to - d.dur(n)
	d.hasPre = true
}
