package sphinx

import "time"

// Debian's pocketsphinx-en-us model, the defaults of Options.
const (
	DefaultHMM  = "/usr/share/pocketsphinx/model/en-us/en-us"
	DefaultLM   = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"
	DefaultDict = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
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
	// MinGrammarConfidence is the confidence the grammar result needs to be
	// taken as it is; below it the utterance is decoded again with the
	// general LM and that result is returned. Default 0.5.
	MinGrammarConfidence float64
	// MaxUtterance is the most audio one stream keeps for the second pass;
	// audio beyond it is dropped and Write returns ErrTooLong. Default 35 s
	// (the turn detector caps an utterance at 30 s).
	MaxUtterance time.Duration
}

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
	if o.MaxUtterance <= 0 {
		o.MaxUtterance = 35 * time.Second
	}
	return o
}
