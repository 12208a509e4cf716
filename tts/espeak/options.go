package espeak

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"

	"github.com/duplex-ai/duplex/tts"
)

// Mode selects how the engine runs espeak-ng.
type Mode int

const (
	// ModeLibrary (the default) uses libespeak-ng through cgo under one
	// process-wide lock (the library is not reentrant). Audio streams from
	// the library's callback, chunks carry word marks, and the lock is taken
	// per sentence, so concurrent syntheses interleave sentence by sentence.
	// On the 2-core test machine this beat worker processes at every
	// concurrency (BENCHMARKS.md, tts-eval): a synthesis costs ~8 ms in the
	// library and ~45 ms in a fresh process, mostly its start-up.
	ModeLibrary Mode = iota
	// ModeAuto synthesizes in the library when its lock is free, and
	// otherwise in a worker process from the pool, whichever is free first.
	// It adds cores' worth of parallel capacity on machines with many cores;
	// on 2 cores the workers only compete with the library for CPU.
	ModeAuto
	// ModeProcess uses only a bounded pool of `espeak-ng --stdout` worker
	// processes: parallel across cores, no word marks (Chunk.Marks is nil).
	ModeProcess
)

// String returns "auto", "library" or "process".
func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeLibrary:
		return "library"
	case ModeProcess:
		return "process"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Options configures an Engine. Zero values take the defaults.
type Options struct {
	// Mode selects library, worker processes or both. Default ModeLibrary.
	Mode Mode
	// Voice is the default espeak-ng voice, used when tts.Options has
	// neither Voice nor Language. Default "en-us".
	Voice string
	// Rate is the speaking rate in words per minute, 80..450. Default 175.
	Rate int
	// PoolSize bounds the worker processes running at once (ModeAuto and
	// ModeProcess); more syntheses wait for a free worker. Default
	// runtime.NumCPU() (more only adds contention: BENCHMARKS.md).
	PoolSize int
	// Binary is the espeak-ng executable for worker processes. Default
	// "espeak-ng", looked up on PATH.
	Binary string
}

const (
	// SampleRate is espeak-ng's output rate, reported in every Chunk.
	SampleRate = 22050

	defaultVoice  = "en-us"
	defaultRate   = 175
	minRate       = 80
	maxRate       = 450
	defaultBinary = "espeak-ng"
)

func (o Options) withDefaults() (Options, error) {
	if o.Voice == "" {
		o.Voice = defaultVoice
	}
	if !validVoice(o.Voice) {
		return o, fmt.Errorf("%w: voice %q", ErrInvalidOption, o.Voice)
	}
	if o.Rate == 0 {
		o.Rate = defaultRate
	}
	if o.Rate < minRate || o.Rate > maxRate {
		return o, fmt.Errorf("%w: rate %d wpm outside %d..%d", ErrInvalidOption, o.Rate, minRate, maxRate)
	}
	if o.PoolSize == 0 {
		o.PoolSize = runtime.NumCPU()
	}
	if o.PoolSize < 0 {
		return o, fmt.Errorf("%w: pool size %d", ErrInvalidOption, o.PoolSize)
	}
	if o.Binary == "" {
		o.Binary = defaultBinary
	}
	if o.Mode < ModeLibrary || o.Mode > ModeProcess {
		return o, fmt.Errorf("%w: mode %d", ErrInvalidOption, int(o.Mode))
	}
	return o, nil
}

// voiceName matches espeak-ng voice names with an optional variant
// ("en-us", "en-us+f3", "cmn", "roa/it"); it never starts with '-', so a
// name cannot be taken for a command-line flag.
var voiceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_./-]*(\+[A-Za-z0-9_-]+)?$`)

func validVoice(v string) bool { return len(v) <= 64 && voiceName.MatchString(v) }

// voiceFor picks the espeak-ng voice for one synthesis: opt.Voice if set,
// else one for opt.Language ("zh…" → "cmn", "en" → the default voice when
// it is English, else "en-us"; other languages as given, e.g. "de"), else
// the engine's default voice.
func voiceFor(def string, opt tts.Options) (string, error) {
	v := opt.Voice
	if v == "" && opt.Language != "" {
		lang := strings.ToLower(opt.Language)
		base, _, _ := strings.Cut(lang, "-")
		switch {
		case base == "zh" || base == "cmn":
			v = "cmn"
		case base == "en" && strings.HasPrefix(def, "en"):
			v = def
		case lang == "en":
			v = defaultVoice
		default:
			v = lang
		}
	}
	if v == "" {
		v = def
	}
	if !validVoice(v) {
		return "", fmt.Errorf("%w: voice %q", ErrInvalidOption, v)
	}
	return v, nil
}
