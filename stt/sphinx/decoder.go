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

// Cepstral mean normalisation. sphinxbase's feat_cmn switches the feature
// module to live CMN for good the first time an utterance is fed in pieces;
// live CMN starts from a running mean carried over from everything the
// decoder heard before. These make it explicit: live CMN from a mean the
// caller sets.
static int dx_cmn_len(ps_decoder_t *ps) { return ps_get_feat(ps)->cmn_struct->veclen; }
static void dx_cmn_get(ps_decoder_t *ps, float *v) { cmn_live_get(ps_get_feat(ps)->cmn_struct, v); }
static void dx_cmn_set(ps_decoder_t *ps, const float *v) {
	feat_t *f = ps_get_feat(ps);
	f->cmn = CMN_LIVE;
	cmn_live_set(f->cmn_struct, v);
}
static void dx_cmn_batch(ps_decoder_t *ps) { ps_get_feat(ps)->cmn = CMN_BATCH; }

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
	// cmnInit is the model's initial cepstral mean (feat.params -cmninit):
	// where every call's first utterance starts.
	cmnInit []float32
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
	d := &decoder{ps: ps, search: searchLM}
	d.cmnInit = d.cmnMean()
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

// processFull decodes a whole utterance in one call. With cmn nil it
// normalises with the utterance's own cepstral mean (batch CMN, as the
// model was trained); otherwise with live CMN from mean cmn (the call's,
// from its earlier utterances). Either way the result depends on the
// samples and cmn only, not on what the decoder heard before. Afterwards
// cmnMean is the mean with this utterance folded in.
func (d *decoder) processFull(pcm []int16, cmn []float32) error {
	if cmn == nil {
		C.dx_cmn_batch(d.ps)
	} else {
		d.setCMNMean(cmn)
	}
	return d.processRaw(pcm, true)
}

// cmnMean returns the decoder's current cepstral mean.
func (d *decoder) cmnMean() []float32 {
	v := make([]float32, int(C.dx_cmn_len(d.ps)))
	C.dx_cmn_get(d.ps, (*C.float)(unsafe.Pointer(&v[0])))
	return v
}

// setCMNMean makes the decoder normalise with live CMN from mean v (as
// returned by cmnMean); v of another length (nil) means cmnInit.
func (d *decoder) setCMNMean(v []float32) {
	if len(v) != int(C.dx_cmn_len(d.ps)) {
		v = d.cmnInit
	}
	C.dx_cmn_set(d.ps, (*C.float)(unsafe.Pointer(&v[0])))
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
