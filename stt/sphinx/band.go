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

// bandStands reports whether the grammar's result words (span: their
// frames) stand: false only for a short phrase in band-limited audio that
// the refilled pass does not confirm. Under decMu.
func (s *stream) bandStands(ctx context.Context, words []string, span int) (bool, error) {
	if !s.eng.opt.BandCheck || !shortPhrase(words, span) || !s.dec.hasPhones || !bandLimited(s.utterance()) {
		return true, nil
	}
	o := s.eng.opt
	audio := noiseBand(s.grammarAudio(), bandNoiseGain)
	gw, gp, err := s.passOn(ctx, searchGrammar, audio)
	if err != nil {
		return false, err
	}
	lw, lp, err := s.passOn(ctx, searchPhones, audio)
	if err != nil {
		return false, err
	}
	ratio := phoneRatio(s.dec.phoneCount(gw), len(lw), o.PhoneSlack)
	acc := len(gw) > 0 && gp-lp >= o.MinMargin && ratio >= o.MinPhoneRatio && ratio <= o.MaxPhoneRatio
	ok := bandAgrees(words, gw, acc)
	s.mark("band check %q: refilled %q margin %.1f ratio %.2f, stands %v", strings.Join(words, " "), strings.Join(gw, " "), gp-lp, ratio, ok)
	return ok, nil
}
