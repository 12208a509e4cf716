package sphinx

/*
#cgo pkg-config: pocketsphinx sphinxbase
#include <stdlib.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/feat.h>

static ps_decoder_t *dx_init(int argc, char **argv) {
	cmd_ln_t *cfg = cmd_ln_parse_r(NULL, ps_args(), argc, argv, TRUE);
	if (cfg == NULL) {
		return NULL;
	}
	ps_decoder_t *ps = ps_init(cfg);
	cmd_ln_free_r(cfg);
	return ps;
}

static double dx_prob(ps_decoder_t *ps) {
	int32 p = ps_get_prob(ps);
	return logmath_exp(ps_get_logmath(ps), p);
}

// sphinxbase's feat_cmn switches the feature module's CMN type to live for
// good the first time an utterance is fed in pieces; these read and restore it.
static int dx_cmn(ps_decoder_t *ps) { return (int)ps_get_feat(ps)->cmn; }
static void dx_set_cmn(ps_decoder_t *ps, int t) { ps_get_feat(ps)->cmn = (cmn_type_t)t; }

static int dx_hyp(ps_decoder_t *ps, const char **out, int32 *score) {
	*out = ps_get_hyp(ps, score);
	return *out != NULL;
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// Search names inside one decoder.
const (
	searchLM      = "_default" // the general n-gram model loaded by -lm
	searchGrammar = "skills"
)

var (
	// initMu serializes ps_init and ps_free: they touch pocketsphinx's
	// process-wide logging and model caches.
	initMu sync.Mutex
	// quietOnce turns pocketsphinx's logging off for the whole process.
	// err_set_logfp(NULL) is what "-logfn /dev/null" achieves, without
	// ps_init swapping (and closing) a global FILE under decoders that are
	// running on other goroutines.
	quietOnce sync.Once
)

// decoder is one pocketsphinx decoder. It is not safe for concurrent use:
// exactly one stream owns it at a time (see pool).
type decoder struct {
	ps         *C.ps_decoder_t
	hasGrammar bool
	search     string
	inUtt      bool
	// cmn is the cepstral mean normalisation the model asks for
	// (feat.params: batch for en-us), restored before each whole-utterance
	// pass.
	cmn C.int
}

func newDecoder(o Options) (*decoder, error) {
	quietOnce.Do(func() { C.err_set_logfp(nil) })
	args := []string{"pocketsphinx", "-hmm", o.HMM, "-lm", o.LM, "-dict", o.Dict}
	argv := make([]*C.char, len(args))
	for i, a := range args {
		argv[i] = C.CString(a)
	}
	defer func() {
		for _, p := range argv {
			C.free(unsafe.Pointer(p))
		}
	}()
	cargv := (**C.char)(C.malloc(C.size_t(len(argv)) * C.size_t(unsafe.Sizeof(argv[0]))))
	defer C.free(unsafe.Pointer(cargv))
	copy(unsafe.Slice(cargv, len(argv)), argv)

	initMu.Lock()
	defer initMu.Unlock()
	ps := C.dx_init(C.int(len(argv)), cargv)
	if ps == nil {
		return nil, fmt.Errorf("%w: ps_init failed (hmm %s, lm %s, dict %s)", ErrUnavailable, o.HMM, o.LM, o.Dict)
	}
	d := &decoder{ps: ps, search: searchLM, cmn: C.dx_cmn(ps)}
	if !o.DisableGrammar {
		name := C.CString(searchGrammar)
		g := C.CString(o.Grammar)
		rc := C.ps_set_jsgf_string(ps, name, g)
		C.free(unsafe.Pointer(g))
		C.free(unsafe.Pointer(name))
		if rc != 0 {
			C.ps_free(ps)
			return nil, fmt.Errorf("%w: the JSGF grammar did not load (a word missing from %s?)", ErrUnavailable, o.Dict)
		}
		d.hasGrammar = true
	}
	return d, nil
}

// start begins an utterance with the named search.
func (d *decoder) start(search string) error {
	if d.inUtt {
		d.end()
	}
	if search != d.search {
		name := C.CString(search)
		rc := C.ps_set_search(d.ps, name)
		C.free(unsafe.Pointer(name))
		if rc != 0 {
			return fmt.Errorf("%w: ps_set_search(%s)", ErrDecode, search)
		}
		d.search = search
	}
	if C.ps_start_utt(d.ps) < 0 {
		return fmt.Errorf("%w: ps_start_utt", ErrDecode)
	}
	d.inUtt = true
	return nil
}

// process feeds 16 kHz mono PCM to the running utterance.
func (d *decoder) process(pcm []int16) error { return d.processRaw(pcm, false) }

// processFull decodes a whole utterance in one call, so the model's batch
// cepstral mean normalisation sees all of it and nothing else.
//
// sphinxbase turns a decoder's CMN from batch to live for good as soon as
// it is fed an utterance in pieces (the live pass does that), and live CMN
// starts from a mean carried over from everything the decoder heard
// before. The whole-utterance pass would then depend on the decoder's
// history (which utterances, which speculative passes, in which order), so
// the configured type is put back first.
func (d *decoder) processFull(pcm []int16) error {
	C.dx_set_cmn(d.ps, d.cmn)
	return d.processRaw(pcm, true)
}

func (d *decoder) processRaw(pcm []int16, full bool) error {
	if len(pcm) == 0 {
		return nil
	}
	fullUtt := C.int(0)
	if full {
		fullUtt = 1
	}
	if C.ps_process_raw(d.ps, (*C.int16)(unsafe.Pointer(&pcm[0])), C.size_t(len(pcm)), 0, fullUtt) < 0 {
		return fmt.Errorf("%w: ps_process_raw", ErrDecode)
	}
	return nil
}

// end finishes the running utterance.
func (d *decoder) end() error {
	if !d.inUtt {
		return nil
	}
	d.inUtt = false
	if C.ps_end_utt(d.ps) < 0 {
		return fmt.Errorf("%w: ps_end_utt", ErrDecode)
	}
	return nil
}

// hyp returns the best hypothesis so far (or of the ended utterance) and
// its path score.
func (d *decoder) hyp() (string, int32) {
	var s *C.char
	var score C.int32
	if C.dx_hyp(d.ps, &s, &score) == 0 {
		return "", int32(score)
	}
	return C.GoString(s), int32(score)
}

// prob returns the posterior probability of the hypothesis of the ended
// utterance, in [0,1].
func (d *decoder) prob() float64 { return float64(C.dx_prob(d.ps)) }

// frames returns the number of 10 ms frames decoded in this utterance.
func (d *decoder) frames() int { return int(C.ps_get_n_frames(d.ps)) }

func (d *decoder) free() {
	if d.ps == nil {
		return
	}
	initMu.Lock()
	C.ps_free(d.ps)
	initMu.Unlock()
	d.ps = nil
}
