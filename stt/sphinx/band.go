package sphinx

import (
	"context"
	"strings"
)

// A short phrase heard in band-limited audio may be something else. On
// 8 kHz speech (a phone line, FSDD) the model fits badly, and a single
// spoken digit can pass the check as "hello", "no" or "uh huh". So when
// the grammar heard a short phrase in band-limited audio, the grammar pass
// and its check run again on the audio with the upper band refilled, as
// the digit pass does (digits.go); the phrase stands only when that pass
// accepts a phrase of the same kind. Measured on FSDD's calibration
// speakers and espeak-ng through 8 kHz (BENCHMARKS.md); off by default.
// A longer one can be a digit string too ("four three four" as "what do
// you see", on a call's cepstral mean): with Options.BandDigits any phrase
// but digits stands only when the refilled pass does not accept digits.
const (
	// shortPhraseWords and shortPhraseFrames bound a short phrase: at most
	// two words taking under a second.
	shortPhraseWords  = 2
	shortPhraseFrames = 100
)

// shortPhrase: words are a phrase of at most two words, not digits, said
// in under a second (span: their frames).
func shortPhrase(words []string, span int) bool {
	if len(words) == 0 || len(words) > shortPhraseWords || span >= shortPhraseFrames {
		return false
	}
	_, digits := DigitString(words)
	return !digits
}

// phraseKinds: what llm/local and dialogue make of a short phrase, by its
// first word; phrases of one kind get the same answer.
var phraseKinds = map[string]string{"hello": "greeting", "hi": "greeting", "hey": "greeting", "good": "greeting",
	"yes": "ack", "yeah": "ack", "okay": "ack", "right": "ack", "uh": "ack", "mm": "ack", "hmm": "ack",
	"no": "no", "nope": "no", "stop": "stop", "wait": "stop", "help": "help"}

// phraseKind is the kind of a short phrase, "" for any other words.
func phraseKind(words []string) string {
	if len(words) == 0 || len(words) > shortPhraseWords {
		return ""
	}
	return phraseKinds[words[0]]
}

// bandAgrees: the refilled pass (its words, and whether its check accepted
// them) confirms the short phrase words.
func bandAgrees(words, refill []string, accepted bool) bool {
	k := phraseKind(words)
	return accepted && k != "" && phraseKind(refill) == k
}

// bandVerdict: whether words stand after the refilled pass heard refill
// (accepted: its check passed), with short (Options.BandCheck on a short
// phrase) and other (Options.BandDigits on a phrase but digits) the rules
// that apply; digits: refill, when it is the digits that overrule words.
func bandVerdict(short, other bool, words, refill []string, accepted bool) (stands bool, digits []string) {
	stands = true
	if short {
		stands = bandAgrees(words, refill, accepted)
	}
	if _, d := DigitString(refill); other && accepted && d {
		return false, refill
	}
	return stands, nil
}

// bandStands reports whether the grammar's result words (span: their
// frames) stand. In band-limited audio the grammar pass and its check run
// again on the audio with the upper band refilled: a short phrase
// (Options.BandCheck) stands only when that pass confirms its kind; any
// phrase other than digits (Options.BandDigits) only when that pass does
// not accept digits instead, and refill then holds those digits. Under
// decMu.
func (s *stream) bandStands(ctx context.Context, words []string, span int) (stands bool, refill []string, err error) {
	o := s.eng.opt
	short := o.BandCheck && shortPhrase(words, span)
	_, digits := DigitString(words)
	other := o.BandDigits && len(words) > 0 && !digits
	if (!short && !other) || !s.dec.hasPhones || !bandLimited(s.utterance()) {
		return true, nil, nil
	}
	audio := noiseBand(s.grammarAudio(), bandNoiseGain)
	gw, gp, err := s.passOn(ctx, searchGrammar, audio)
	if err != nil {
		return false, nil, err
	}
	lw, lp, err := s.passOn(ctx, searchPhones, audio)
	if err != nil {
		return false, nil, err
	}
	ratio := phoneRatio(s.dec.phoneCount(gw), len(lw), o.PhoneSlack)
	acc := len(gw) > 0 && gp-lp >= o.MinMargin && ratio >= o.MinPhoneRatio && ratio <= o.MaxPhoneRatio
	stands, refill = bandVerdict(short, other, words, gw, acc)
	s.mark("band check %q: refilled %q margin %.1f ratio %.2f, stands %v", strings.Join(words, " "), strings.Join(gw, " "), gp-lp, ratio, stands)
	return stands, refill, nil
}
