package vad

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Hint is what the words said so far tell about the end of a turn; the
// engine sets it from the streaming recogniser's partial (ClassifyPartial)
// whenever the partial changes, not per frame.
type Hint uint8

// Hints, from the last words of a partial.
const (
	HintNone     Hint = iota // no words, or nothing to go by
	HintComplete             // a sentence-final word or a complete request: end sooner
	HintDigits               // a digit string that may still grow: wait longer
	HintContinue             // a trailing "and", "the", "um": wait much longer
	// HintMaybeDigits is a digit string one recogniser reads and the other
	// does not corroborate (CombinePartials): wait longer only after a
	// run under MaybeRun (a digit said alone, maybe slowly), not after a
	// long stretch of speech.
	HintMaybeDigits
	// HintMaybeWords is other grammar words the general LM does not
	// corroborate (a phrase prefix, a greeting): wait longer only after a
	// run under ShortRun (EndpointOptions.WordsMaybeRun: MaybeRun).
	HintMaybeWords
	// HintWordy is a flag on a hint (CombinePartials): a partial had
	// three words or more, so the turn so far is no lone word cut by a
	// breath and ShortTurn does not apply. Class drops it.
	HintWordy Hint = 0x80
)

// Class is the hint without the HintWordy flag.
func (h Hint) Class() Hint { return h &^ HintWordy }

func (h Hint) String() string {
	if h&HintWordy != 0 {
		return h.Class().String() + "+wordy"
	}
	switch h {
	case HintNone:
		return "none"
	case HintComplete:
		return "complete"
	case HintDigits:
		return "digits"
	case HintContinue:
		return "continue"
	case HintMaybeDigits:
		return "maybe-digits"
	case HintMaybeWords:
		return "maybe-words"
	}
	return fmt.Sprintf("Hint(%d)", uint8(h))
}

// Endpointing defaults (see EndpointOptions); what they were chosen from is
// in BENCHMARKS.md (turn-taking section, tuning split only).
const (
	DefaultEndpointFloor    = 120 * time.Millisecond
	DefaultEndpointCeiling  = 1200 * time.Millisecond
	DefaultEndpointBase     = 150 * time.Millisecond
	DefaultEndpointShort    = 300 * time.Millisecond
	DefaultEndpointDigits   = 800 * time.Millisecond
	DefaultEndpointContinue = 900 * time.Millisecond
	DefaultEndpointComplete = 80 * time.Millisecond
	DefaultEndpointLong     = 250 * time.Millisecond
	DefaultEndpointFall     = 60 * time.Millisecond
	DefaultEndpointLevel    = 100 * time.Millisecond
	// DefaultPauseScale and DefaultPauseFloor adapt the digit hold to the
	// speaker's pace (EndpointOptions.PauseScale), chosen on the turn
	// eval's tuning split: below 2.5 the 300–900 ms pauses are cut more.
	DefaultPauseScale = 2.5
	DefaultPauseFloor = 500 * time.Millisecond
	// DefaultPaceSpread and DefaultPaceMargin set the spread cap of the
	// digit hold (EndpointOptions.PaceSpread), chosen on the turn eval's
	// tuning split: the fewest cut 300–900 ms pauses among the settings
	// whose 100–400 ms strings end within 1 s (p95; BENCHMARKS.md).
	DefaultPaceSpread = 1.0
	DefaultPaceMargin = 400 * time.Millisecond
	// DefaultPauseHold is the default of EndpointOptions.PauseHold, chosen
	// on the tuning split (vad-eval -split tuning, turn-eval's tuning
	// rows; BENCHMARKS.md).
	DefaultPauseHold = 1.5
	// DefaultMaybeRun is the default of EndpointOptions.MaybeRun, chosen
	// on the turn eval's tuning split: FSDD speakers say a lone "zero" in
	// 600–700 ms; above 800 ms finished requests wait for the hold.
	DefaultMaybeRun = 800 * time.Millisecond
	// DefaultShortTurn is the default of EndpointOptions.ShortTurn.
	DefaultShortTurn = 700 * time.Millisecond
	// DefaultLongTurn is the default of EndpointOptions.LongTurn, chosen
	// on the tuning split (vad-eval -split tuning, turn-eval's tuning
	// rows; BENCHMARKS.md).
	DefaultLongTurn = 3000 * time.Millisecond
	// DefaultFallDB is how far the last 100 ms of speech must lie below the
	// loudest 100 ms of the last 500 ms for the contour to count as falling.
	DefaultFallDB = 9.0
)

// EndpointOptions set the adaptive end-of-turn wait: Base, plus or minus
// each cue that applies, bounded to Floor..Ceiling. Zero fields take the
// defaults; a negative cue means 0.
type EndpointOptions struct {
	Floor, Ceiling time.Duration
	Base           time.Duration
	Short          time.Duration // + after a run shorter than TurnOptions.ShortRun (a lone word or digit), unless HintComplete
	Digits         time.Duration // + HintDigits
	Continue       time.Duration // + HintContinue
	Complete       time.Duration // − HintComplete
	Fall           time.Duration // − a falling energy contour over the last 500 ms of speech
	Level          time.Duration // + a level or rising one
	FallDB         float64
	// DigitsShortOnly applies Digits only after a run shorter than
	// ShortRun (a digit said alone): a grammar-bound recogniser reads a
	// long stretch of other speech as a digit string.
	DigitsShortOnly bool
	// PauseScale, when positive, shortens a digit hold to
	// max(PauseFloor, PauseScale × the longest inner pause of the turn so
	// far), never above the hold itself: someone who paused 250 ms between
	// digits and is then silent for 700 ms is done. Before the turn's
	// first pause the hold applies unchanged. Zero takes
	// DefaultPauseScale, negative is off.
	PauseScale float64
	PauseFloor time.Duration
	// MaybeRun: HintMaybeDigits (and with WordsMaybeRun HintMaybeWords)
	// hold the turn after a run shorter than this (a digit said alone, some slowly), where Short and
	// DigitsShortOnly go by TurnOptions.ShortRun. Zero takes
	// DefaultMaybeRun, negative is ShortRun.
	MaybeRun time.Duration
	// PaceSpread, when positive, tightens the pace cap once the turn has
	// two inner pauses or more: the hold is at most the longest pause plus
	// PaceSpread × (longest − shortest) / (pauses − 1) plus PaceMargin,
	// never under PauseFloor — how far past the longest pause so far the
	// next one may still fall, given how much the pauses have varied.
	// Zero takes DefaultPaceSpread, negative is off (as is a PauseScale
	// that is off).
	PaceSpread float64
	PaceMargin time.Duration
	// NoDigitTurn turns off the digit-turn rule: once a partial of the
	// turn has read digits, a later non-digit reading (a grammar-bound
	// recogniser hears a lone "seven" as "hey there", "no", "good") after
	// a run under MaybeRun holds the turn like a digit.
	NoDigitTurn bool
	// DigitTurnUnpaused arms the digit-turn rule on any digit reading
	// after a lone run, whether or not the turn paused after it: the rule
	// before it waited for a pause, kept for the turn eval's baseline row.
	DigitTurnUnpaused bool
	// PauseHold keeps a wait without a digit hold at least PauseHold ×
	// the longest inner pause of the turn so far, unless the words are
	// complete (or also then, with PauseHoldComplete): someone who paused
	// that long mid-turn may be pausing again, whatever the grammar forced
	// the last run into. Zero takes DefaultPauseHold, negative is off.
	PauseHold         float64
	PauseHoldComplete bool
	// WordsMaybeRun holds HintMaybeWords after a run under MaybeRun, as
	// HintMaybeDigits, not only under ShortRun: the grammar reads a lone
	// digit said in 600–800 ms as "good", "what". Off: a finished short
	// request the grammar misreads as words would wait the hold.
	WordsMaybeRun bool
	// ShortTurn: Short is also added while the turn so far (first speech
	// to the last) is shorter than this, unless HintComplete or
	// HintWordy: a command with a breath after its first words ("go
	// forward … ten meters") is not a finished turn, whatever its first
	// run's length. Zero takes DefaultShortTurn, negative is off.
	ShortTurn time.Duration
	// LongTurn keeps the wait at least LongWait (by default 250 ms, under
	// the fixed detector's 300) once the turn so far (first speech to the
	// last) has lasted LongTurn, whatever the words (unless
	// LongSparesComplete and they are complete): read speech pauses
	// between phrases, where a request to an assistant is short. Zero
	// takes DefaultLongTurn (LongWait DefaultEndpointLong), negative is off.
	LongTurn           time.Duration
	LongWait           time.Duration
	LongSparesComplete bool
	// Pitch reads the pitch contour of the last smooth voiced run in the
	// final 250 ms of speech once a pause has lasted PitchAfter
	// (vad/pitch.go): where it tells, a falling one
	// takes −Fall and a level or rising one +Level in place of the energy
	// cue. PitchRise is added to the wait after a rising one (a
	// continuation rise, and a yes/no question's); PitchSparesLong lets a
	// falling one end a long turn under LongWait. Any of the three turns
	// the tracker on; each pause then costs one contour (BENCHMARKS.md).
	Pitch           bool
	PitchRise       time.Duration
	PitchSparesLong bool
	// PitchFallST and PitchRiseST are the semitone change along that run's
	// last 150 ms that counts as falling or rising (zero:
	// DefaultPitchFallST, DefaultPitchRiseST).
	PitchFallST, PitchRiseST float64
}

// Defaults of the pitch cue (EndpointOptions.Pitch).
const (
	DefaultPitchFallST = 1.5
	DefaultPitchRiseST = 1.5
	// PitchAfter is the silence after which the contour is read: a gap
	// shorter than it (a stop consonant) costs no contour, and no wait
	// ends before the floor anyway.
	PitchAfter = 40 * time.Millisecond
)

func (o EndpointOptions) pitchOn() bool { return o.Pitch || o.PitchRise > 0 || o.PitchSparesLong }

func (o EndpointOptions) withDefaults() (EndpointOptions, error) {
	def := func(v *time.Duration, d time.Duration) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0
		}
	}
	def(&o.Floor, DefaultEndpointFloor)
	def(&o.Ceiling, DefaultEndpointCeiling)
	def(&o.Base, DefaultEndpointBase)
	def(&o.Short, DefaultEndpointShort)
	def(&o.Digits, DefaultEndpointDigits)
	def(&o.Continue, DefaultEndpointContinue)
	def(&o.Complete, DefaultEndpointComplete)
	def(&o.Fall, DefaultEndpointFall)
	def(&o.Level, DefaultEndpointLevel)
	def(&o.PauseFloor, DefaultPauseFloor)
	def(&o.LongWait, DefaultEndpointLong)
	def(&o.LongTurn, DefaultLongTurn)
	def(&o.PitchRise, 0)
	if o.MaybeRun == 0 {
		o.MaybeRun = DefaultMaybeRun
	}
	if o.ShortTurn == 0 {
		o.ShortTurn = DefaultShortTurn
	}
	if o.PauseScale == 0 {
		o.PauseScale = DefaultPauseScale
	}
	if o.PauseScale < 0 {
		o.PauseScale = 0
	}
	if o.PaceSpread == 0 {
		o.PaceSpread = DefaultPaceSpread
	}
	if o.PaceSpread < 0 {
		o.PaceSpread = 0
	}
	def(&o.PaceMargin, DefaultPaceMargin)
	if o.PauseHold == 0 {
		o.PauseHold = DefaultPauseHold
	}
	if o.PauseHold < 0 {
		o.PauseHold = 0
	}
	if o.FallDB == 0 {
		o.FallDB = DefaultFallDB
	}
	if o.PitchFallST == 0 {
		o.PitchFallST = DefaultPitchFallST
	}
	if o.PitchRiseST == 0 {
		o.PitchRiseST = DefaultPitchRiseST
	}
	if o.Ceiling < o.Floor {
		return o, fmt.Errorf("%w: endpoint ceiling %v below floor %v", ErrOption, o.Ceiling, o.Floor)
	}
	return o, nil
}

// contourFrames is how many 20 ms frames of speech the contour covers.
const contourFrames = 25 // 500 ms

// endpointer holds the adaptive decision's per-frame state: the log energy
// of the last 500 ms of speech frames in a ring, no allocation per frame.
type endpointer struct {
	opt   EndpointOptions
	hint  Hint
	ring  [contourFrames]float32
	pos   int
	n     int
	fall  int8 // -1 unknown, 0 level/rising, 1 falling: computed once per gap
	ready bool
	// pause and shortest are the longest and shortest inner pause of the
	// turn so far, pauses their count (PauseScale, PaceSpread).
	pause, shortest time.Duration
	pauses          int
	// digitTurn: the turn read digits after a run under MaybeRun and
	// paused since (NoDigitTurn).
	digitTurn bool
	runDigit  bool // a digit reading since the last pause, after a lone run
	// pitch tracks the speech frames' F0 when a pitch cue is on (else
	// nil); contour is its reading for the current pause once read.
	pitch   *pitchTracker
	contour Contour
	pread   bool
}

// newEndpointer returns the decision for frames at rate Hz.
func newEndpointer(opt EndpointOptions, rate int) *endpointer {
	e := &endpointer{opt: opt}
	if opt.pitchOn() {
		e.pitch = new(pitchTracker)
		e.pitch.init(rate)
	}
	return e
}

// notePause records a silence inside the turn that speech ended. A digit
// reading of a lone run before it arms the digit-turn rule only now: in a
// turn of one run, a partial that read the onset of "stop" as "two" is no
// digit string.
func (e *endpointer) notePause(d time.Duration) {
	if e.runDigit {
		e.digitTurn = true
	}
	e.runDigit = false
	if e.pauses == 0 || d < e.shortest {
		e.shortest = d
	}
	e.pause = max(e.pause, d)
	e.pauses++
}

// note records one frame's log energy when it is speech.
func (e *endpointer) note(frame []int16, speech bool) {
	if !speech {
		return
	}
	var s float64
	for _, v := range frame {
		f := float64(v)
		s += f * f
	}
	e.ring[e.pos] = float32(10 * math.Log10(s/float64(len(frame))+1))
	if e.pos++; e.pos == contourFrames {
		e.pos = 0
	}
	e.n = min(e.n+1, contourFrames)
	e.ready = false
	if e.pitch != nil {
		e.pitch.push(frame)
		e.pread = false
	}
}

// pitchContour is the pitch contour of the speech before the current
// pause, read once the pause has lasted PitchAfter (ContourNone before,
// or without a pitch cue).
func (e *endpointer) pitchContour(silence time.Duration) Contour {
	if e.pitch == nil || silence < PitchAfter {
		return ContourNone
	}
	if !e.pread {
		e.pread = true
		e.contour = e.pitch.contour(e.opt.PitchFallST, e.opt.PitchRiseST)
	}
	return e.contour
}

// falling reports whether the last 100 ms of speech lies FallDB below the
// loudest 100 ms of the last 500 ms.
func (e *endpointer) falling() bool {
	if e.ready {
		return e.fall == 1
	}
	e.ready = true
	e.fall = 0
	if e.n < 10 {
		return false
	}
	// Mean of each 5-frame block, oldest to newest.
	var peak, last float32 = -1, 0
	blocks := e.n / 5
	for b := range blocks {
		var m float32
		for k := range 5 {
			i := e.pos - e.n + b*5 + k
			if i < 0 {
				i += contourFrames
			}
			m += e.ring[i%contourFrames]
		}
		m /= 5
		peak = max(peak, m)
		if b == blocks-1 {
			last = m
		}
	}
	if float64(peak-last) >= e.opt.FallDB {
		e.fall = 1
	}
	return e.fall == 1
}

// wait is the silence that ends the turn now; short is whether the last run
// was shorter than ShortRun, lone whether it was shorter than MaybeRun,
// turn how long the turn has lasted so far (first speech to the last),
// silence how long the current pause has lasted (0 in speech).
func (e *endpointer) wait(short, lone bool, turn, silence time.Duration) time.Duration {
	o := &e.opt
	w := o.Base
	hint := e.hint.Class()
	brief := turn < o.ShortTurn && e.hint&HintWordy == 0
	if (short || brief) && hint != HintComplete { // "yes", "stop": complete though short
		w += o.Short
	}
	var digits bool
	switch hint {
	case HintComplete:
		w -= o.Complete
	case HintDigits:
		digits = short || !o.DigitsShortOnly
	case HintContinue:
		w += o.Continue
	case HintMaybeDigits:
		digits = lone
	case HintMaybeWords:
		digits = short || lone && o.WordsMaybeRun
	}
	if e.digitTurnHold(lone) && !digits {
		digits = true
		if hint == HintComplete {
			w += o.Complete // the "complete" was a misread digit
		}
	}
	if digits {
		w += o.Digits
	}
	pc := e.pitchContour(silence)
	fall := e.falling()
	if o.Pitch && pc != ContourNone {
		fall = pc == ContourFalling
	}
	if fall {
		w -= o.Fall
	} else {
		w += o.Level
	}
	if pc == ContourRising {
		w += o.PitchRise
	}
	if digits {
		w = e.paceHold(w)
	} else if o.PauseHold > 0 && e.pauses > 0 && (hint != HintComplete || o.PauseHoldComplete) {
		w = max(w, time.Duration(o.PauseHold*float64(e.pause)))
	}
	if o.LongTurn > 0 && turn >= o.LongTurn && (hint != HintComplete || !o.LongSparesComplete) &&
		(pc != ContourFalling || !o.PitchSparesLong) {
		w = max(w, o.LongWait)
	}
	return min(max(w, o.Floor), o.Ceiling)
}

// digitTurnHold reports whether a non-digit hint after a run under
// MaybeRun (lone) holds like a digit: the turn read digits in such a run
// and paused after it (notePause, NoDigitTurn). It notes the current hint.
func (e *endpointer) digitTurnHold(lone bool) bool {
	if e.opt.NoDigitTurn || !lone {
		return false
	}
	switch e.hint.Class() {
	case HintDigits, HintMaybeDigits:
		e.runDigit = true
		e.digitTurn = e.digitTurn || e.opt.DigitTurnUnpaused
		return false
	case HintContinue:
		return false
	}
	return e.digitTurn
}

// paceHold bounds a digit hold w by the pace of the turn's inner pauses
// (PauseScale, PaceSpread); before the first pause w stands.
func (e *endpointer) paceHold(w time.Duration) time.Duration {
	o := &e.opt
	if o.PauseScale <= 0 || e.pauses == 0 {
		return w
	}
	h := time.Duration(o.PauseScale * float64(e.pause))
	if o.PaceSpread > 0 && e.pauses >= 2 {
		s := time.Duration(o.PaceSpread * float64(e.pause-e.shortest) / float64(e.pauses-1))
		h = min(h, e.pause+s+o.PaceMargin)
	}
	return min(w, max(o.PauseFloor, h))
}

func (e *endpointer) reset() {
	e.n, e.pos, e.hint, e.ready = 0, 0, HintNone, false
	if e.pitch != nil {
		e.pitch.reset()
		e.pread = false
	}
	e.pause, e.shortest, e.pauses, e.digitTurn, e.runDigit = 0, 0, 0, false, false
}

// ClassifyPartial reads the last words of a recogniser's partial: a
// trailing conjunction, article, preposition or filler continues; a digit
// continues a digit string; a sentence-final word ("please", "thanks",
// "it", a question's last word after a wh-word) or punctuation completes.
// Unless complete, the hint carries HintWordy for three words or more.
// It allocates nothing for ASCII text.
func ClassifyPartial(text string) Hint {
	h := classify(text)
	if h != HintComplete && words(text) >= 3 {
		h |= HintWordy
	}
	return h
}

// classify is ClassifyPartial without HintWordy.
func classify(text string) Hint {
	text = strings.TrimSpace(text)
	if text == "" {
		return HintNone
	}
	switch text[len(text)-1] {
	case '?', '!':
		return HintComplete
	case ',':
		return HintContinue
	case '.':
		// A transcription service closes every committed segment with a
		// full stop, a sentence's first half too: judge the words.
		if text = strings.TrimRight(text, ". "); text == "" {
			return HintNone
		}
	}
	last := lastWord(text)
	switch strings.ToLower(last) {
	case "and", "or", "but", "so", "because", "the", "a", "an", "to", "of", "in", "at", "for", "with",
		"my", "your", "is", "are", "was", "um", "uh", "er", "erm", "hmm", "mm", "like", "then", "if", "that",
		"from", "about", "into", "by", "what's", "whats", "i", "i'm", "we", "you", "it's", "let's", "can", "could",
		"would", "will", "number", "call", "set", "play", "turn":
		return HintContinue
	case "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "double":
		return HintDigits
	case "please", "thanks", "it", "today", "tomorrow", "now", "yes", "no", "okay", "ok", "bye",
		"goodbye", "weather", "time", "on", "off", "up", "down", "music", "lights", "timer", "minutes", "seconds",
		"hours", "stop", "pause", "resume", "again", "there", "here", "that's", "all", "done",
		"yeah", "yep", "yup", "nope", "sure":
		return HintComplete
	}
	if c := last[0]; c >= '0' && c <= '9' {
		return HintDigits
	}
	return HintNone
}

func lastWord(s string) string {
	i := strings.LastIndexAny(s, " \t\n")
	return s[i+1:]
}
