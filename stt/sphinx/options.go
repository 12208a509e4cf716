package sphinx

import (
	"fmt"
	"time"
)

// Debian's pocketsphinx-en-us model, the defaults of Options.
const (
	DefaultHMM  = "/usr/share/pocketsphinx/model/en-us/en-us"
	DefaultLM   = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"
	DefaultDict = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
)

// Rejection defaults (see Options.MinMargin).
const (
	DefaultMinMargin     = -8.0
	DefaultMinPhoneRatio = 0.6
	DefaultMaxPhoneRatio = 1.1
	DefaultPhoneSlack    = 12.0
)

// Options configure an Engine. The zero value is valid: every field has a
// documented default applied by NewEngine.
type Options struct {
	// HMM is the acoustic model directory. Default DefaultHMM.
	HMM string
	// LM is the general n-gram language model, used for speech the skills
	// grammar does not cover. Default DefaultLM.
	LM string
	// Dict is the pronunciation dictionary. Default DefaultDict.
	Dict string
	// PoolSize bounds the decoders, and so the utterances decoded at once.
	// Decoders are created lazily (about 0.3 s and 30 MB each) and reused.
	// Default 2.
	PoolSize int
	// DisableGrammar turns the skills grammar off: every utterance is
	// decoded with the general LM only. Default false (grammar on).
	DisableGrammar bool
	// Grammar is a JSGF grammar used instead of SkillsGrammar. Its words
	// must be in Dict. Default "" (SkillsGrammar).
	Grammar string
	// Rejection: the grammar's result stands only when it scores within
	// MinMargin (path score per 10 ms frame, log base 1.0001) of a free
	// loop of phones on the same audio, and its pronunciation has between
	// MinPhoneRatio and MaxPhoneRatio times the phones the loop found
	// (speech much longer than the phrase, forced into it, has far more),
	// PhoneSlack being added to both counts first (Scores.PhoneRatio): a
	// one-word request has too few phones for a bare ratio. Otherwise the
	// utterance is decoded with the general LM and returned as not
	// understood. Defaults -8, 0.6, 1.1 and 12 (negative slack: none):
	// calibrated by cmd/stt-eval (BENCHMARKS.md says on which split).
	MinMargin                    float64
	MinPhoneRatio, MaxPhoneRatio float64
	PhoneSlack                   float64
	// NoRejection turns the phone-loop check off (the behaviour before it,
	// for comparison): the grammar's result stands when its confidence is
	// at least MinGrammarConfidence (default 0.5), else the general LM's
	// result is returned as understood.
	NoRejection          bool
	MinGrammarConfidence float64
	// BandCheck: a short phrase heard in band-limited audio stands only
	// when a pass over the audio with its upper band refilled accepts a
	// phrase of the same kind (band.go). Default false: it keeps single
	// spoken digits from a skill answer but costs short requests over a
	// phone line (BENCHMARKS.md).
	BandCheck bool
	// BandDigits: a phrase other than digits that the grammar accepts in
	// band-limited audio stands only when the grammar does not accept
	// digits on the audio with its upper band refilled; if it does, the
	// digit pass decides (band.go). Default false: it takes FSDD strings
	// off a call's skill answers but costs whole requests over a phone
	// line ("what time is it" heard as "1588"; BENCHMARKS.md).
	BandDigits bool
	// DecoderArgs are extra pocketsphinx arguments ("-lw", "8", ...) for
	// every decoder, appended after the model's: for tuning (cmd/stt-eval).
	DecoderArgs []string
	// MaxUtterance is the most audio one stream keeps for the second pass;
	// audio beyond it is dropped and Write returns ErrTooLong. Default 35 s
	// (the turn detector caps an utterance at 30 s).
	MaxUtterance time.Duration
	// NoLMStream decodes the general LM only after the turn, over the
	// whole utterance (batch CMN), as before streaming (for comparison).
	// Default false: a second decoder per stream, from a pool of PoolSize,
	// decodes it while the audio arrives (live CMN, no flat-lexicon pass),
	// so a rejected grammar result costs only the end of that utterance.
	// With none free the stream falls back to the pass after the turn.
	NoLMStream bool
	// LiveLoop says when the check's phone loop (see MinMargin) is fed
	// while the audio arrives, on a spare decoder (asidePool, which a
	// final's grammar pass then no longer needs), so the check only decodes
	// the tail after the end of speech. Its normalisation is live CMN held
	// at the call's mean (LiveLoopLater: only then), or with LiveLoopAlways
	// on a call's first utterance at the mean of its first second (a batch
	// pass over it); an utterance shorter than that is then decoded at the
	// check with batch CMN. With no spare free the check runs the loop as
	// without it. Default LiveLoopLater: on a call's later utterances the
	// check (not CarryHistory) decides as LiveLoopOff, only sooner
	// (docs/stt-latency.md).
	LiveLoop LiveLoopMode
	// HistoryFree makes the check a function of the audio and the call
	// alone, not of what the pooled decoders heard before: every pass sets
	// the frontend's noise level from the call's closing quiet (on its first
	// utterance the utterance's own tail), the one-shot loop on a call's
	// later utterances is fed as the live loop feeds it, and the call's mean
	// is the grammar pass's, so LiveLoopOff and LiveLoopLater decide the
	// same. Default false: on a call's first utterance it routes fewer
	// skill requests right than the default check (docs/stt-latency.md).
	HistoryFree bool
	// CarryHistory lets the check on a call's later utterances depend on
	// what the pooled decoders heard before (their noise estimate): the
	// older check, kept to compare with. Default false: those
	// utterances (the ones with a mean from the call, which LiveLoopLater
	// feeds live) are checked as under HistoryFree, so LiveLoopOff and
	// LiveLoopLater decide the same on every utterance; a call's first
	// utterance is checked with the noise carried either way.
	CarryHistory bool

	extraArgs []string // more pocketsphinx arguments (tests)
}

// LiveLoopMode is when a stream feeds its phone loop live
// (Options.LiveLoop).
type LiveLoopMode int

const (
	// LiveLoopDefault is the zero value: the default mode, LiveLoopLater.
	LiveLoopDefault LiveLoopMode = iota
	// LiveLoopOff runs the loop over the whole utterance at the check.
	LiveLoopOff
	// LiveLoopLater feeds it live on a call's later utterances, those
	// with the call's mean; a call's first one runs it at the check.
	LiveLoopLater
	// LiveLoopAlways feeds it live on every utterance.
	LiveLoopAlways
)

// DefaultLiveLoop is the mode LiveLoopDefault stands for.
const DefaultLiveLoop = LiveLoopLater

// liveLoop reports whether an utterance whose call has a mean (hasMean)
// feeds its loop live.
func (m LiveLoopMode) liveLoop(hasMean bool) bool {
	return m == LiveLoopAlways || m == LiveLoopLater && hasMean
}

// String names the mode as cmd flags spell it.
func (m LiveLoopMode) String() string {
	switch m {
	case LiveLoopOff:
		return "off"
	case LiveLoopLater:
		return "later"
	case LiveLoopAlways:
		return "always"
	}
	return "default"
}

// ParseLiveLoop is the mode String names ("" and "default": the default).
func ParseLiveLoop(s string) (LiveLoopMode, error) {
	for _, m := range []LiveLoopMode{LiveLoopDefault, LiveLoopOff, LiveLoopLater, LiveLoopAlways} {
		if s == m.String() {
			return m, nil
		}
	}
	if s == "" {
		return LiveLoopDefault, nil
	}
	return 0, fmt.Errorf("live loop mode %q: want off, later, always or default", s)
}

// Set implements flag.Value.
func (m *LiveLoopMode) Set(s string) error {
	v, err := ParseLiveLoop(s)
	if err == nil {
		*m = v
	}
	return err
}

// freeOnLater: a call's later utterances are checked history-free (fedLoop,
// the call's closing quiet and grammar mean kept for them).
func (o Options) freeOnLater() bool { return o.HistoryFree || !o.CarryHistory }

func (o Options) withDefaults() Options {
	if o.HMM == "" {
		o.HMM = DefaultHMM
	}
	if o.LM == "" {
		o.LM = DefaultLM
	}
	if o.Dict == "" {
		o.Dict = DefaultDict
	}
	if o.PoolSize <= 0 {
		o.PoolSize = 2
	}
	if o.Grammar == "" {
		o.Grammar = SkillsGrammar()
	}
	if o.MinGrammarConfidence == 0 {
		o.MinGrammarConfidence = 0.5
	}
	if o.MinMargin == 0 {
		o.MinMargin = DefaultMinMargin
	}
	if o.MinPhoneRatio == 0 {
		o.MinPhoneRatio = DefaultMinPhoneRatio
	}
	if o.MaxPhoneRatio == 0 {
		o.MaxPhoneRatio = DefaultMaxPhoneRatio
	}
	if o.PhoneSlack == 0 {
		o.PhoneSlack = DefaultPhoneSlack
	} else if o.PhoneSlack < 0 {
		o.PhoneSlack = 0
	}
	if o.LiveLoop == LiveLoopDefault {
		o.LiveLoop = DefaultLiveLoop
	}
	if o.MaxUtterance <= 0 {
		o.MaxUtterance = 35 * time.Second
	}
	return o
}
