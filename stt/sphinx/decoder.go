package sphinx

/*
#cgo pkg-config: pocketsphinx sphinxbase
#include <stdlib.h>
#include <string.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/fe.h>
#include <sphinxbase/ckd_alloc.h>

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

// dx_fresh sets what the frontend carries from utterance to utterance:
// the noise estimate (noise removal, silence frames), learnt afresh from
// reps runs of the frontend alone over prime (no search: a few µs a
// frame), and the live feature buffer, zeroed: its last frames are the first
// frames' left context when an utterance fed in pieces starts with a piece
// that yields no frame (feat_s2mfc2feat_live replicates the first frame
// only on the first call with frames).
static int dx_fresh(ps_decoder_t *ps, const int16 *prime, int n, int reps) {
	fe_t *fe = ps_get_fe(ps);
	feat_t *f = ps_get_feat(ps);
	mfcc_t **cep;
	int i, r;
	ps_start_stream(ps);
	for (i = 0; i < LIVEBUFBLOCKSIZE; i++)
		memset(f->cepbuf[i], 0, feat_cepsize(f) * sizeof(mfcc_t));
	f->bufpos = f->curpos = 0;
	if (n <= 0)
		return 0;
	cep = (mfcc_t **)ckd_calloc_2d(128, fe_get_output_size(fe), sizeof(mfcc_t));
	for (r = 0; r < reps; r++) {
		int16 const *p = prime;
		size_t left = n;
		fe_start_utt(fe);
		while (left > 0) {
			size_t before = left;
			int32 nfr = 128;
			if (fe_process_frames(fe, &p, &left, cep, &nfr, NULL) < 0) {
				ckd_free_2d(cep);
				return -1;
			}
			if (left == before && nfr == 0)
				break;
		}
	}
	ckd_free_2d(cep);
	return 0;
}

// dx_ascr sums the acoustic scores of the best path's segments: the
// path score without the language model's share.
static int32 dx_ascr(ps_decoder_t *ps) {
	int32 total = 0, a = 0, l = 0, b = 0;
	ps_seg_t *s;
	for (s = ps_seg_iter(ps); s != NULL; s = ps_seg_next(s)) {
		ps_seg_prob(s, &a, &l, &b);
		total += a;
	}
	return total;
}

static int dx_hyp(ps_decoder_t *ps, const char **out, int32 *score) {
	*out = ps_get_hyp(ps, score);
	return *out != NULL;
}
*/
import "C"

import (
	"fmt"
	"strings"
	"sync"
	"unsafe"
)

// phones of the en-us model (cmudict's phone set).
var phones = strings.Fields("AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH")

// phoneWord is the dictionary word that stands for one phone in the loop.
func phoneWord(ph string) string { return "phn_" + strings.ToLower(ph) }

// phoneLoopGrammar is any sequence of phones: the unconstrained
// alternative the grammar's result is scored against. An FSG search, so
// it costs about what the skills grammar does (the allphone search with
// en-us-phone.lm.bin took 3-20 s per second of audio here).
func phoneLoopGrammar() string {
	w := make([]string, len(phones))
	for i, ph := range phones {
		w[i] = phoneWord(ph)
	}
	return "#JSGF V1.0;\ngrammar phones;\npublic <loop> = (" + strings.Join(w, " | ") + ")+;\n"
}

// Search names inside one decoder.
const (
	searchLM      = "_default" // the general n-gram model loaded by -lm
	searchGrammar = "skills"
	searchPhones  = "phones" // the phone loop: any sequence of phones
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
	ps          *C.ps_decoder_t
	hasGrammar  bool
	hasPhones   bool
	hasDigits   bool
	hasNoDigits bool
	search      string
	inUtt       bool
	// carryNoise keeps the frontend's noise estimate across utterances
	// in start too (unless Options.HistoryFree).
	carryNoise bool
	// cmnInit is the model's initial cepstral mean (feat.params -cmninit):
	// where every call's first utterance starts.
	cmnInit []float32
}

func newDecoder(o Options) (*decoder, error) {
	quietOnce.Do(func() { C.err_set_logfp(nil) })
	// The general LM is loaded after the phone words are in the dictionary:
	// words added later would also go into the n-gram model as unigrams.
	args := append([]string{"pocketsphinx", "-hmm", o.HMM, "-dict", o.Dict}, o.DecoderArgs...)
	args = append(args, o.extraArgs...)
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
	d := &decoder{ps: ps, search: searchLM, carryNoise: !o.HistoryFree}
	d.cmnInit = d.cmnMean()
	fail := func(format string, a ...any) (*decoder, error) {
		C.ps_free(ps)
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrUnavailable}, a...)...)
	}
	if !o.DisableGrammar {
		for i, ph := range phones {
			w, p := C.CString(phoneWord(ph)), C.CString(ph)
			update := C.int(0)
			if i == len(phones)-1 {
				update = 1
			}
			rc := C.ps_add_word(ps, w, p, update)
			C.free(unsafe.Pointer(w))
			C.free(unsafe.Pointer(p))
			if rc < 0 {
				return fail("adding phone word %s", ph)
			}
		}
	}
	{
		name, lm := C.CString(searchLM), C.CString(o.LM)
		rc := C.ps_set_lm_file(ps, name, lm)
		if rc == 0 {
			rc = C.ps_set_search(ps, name)
		}
		C.free(unsafe.Pointer(lm))
		C.free(unsafe.Pointer(name))
		if rc != 0 {
			return fail("the language model %s did not load", o.LM)
		}
	}
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
		name = C.CString(searchPhones)
		g = C.CString(phoneLoopGrammar())
		rc = C.ps_set_jsgf_string(ps, name, g)
		C.free(unsafe.Pointer(g))
		C.free(unsafe.Pointer(name))
		if rc != 0 {
			return fail("the phone loop grammar did not load")
		}
		d.hasPhones = true
		if err := d.addDigitSearch(); err != nil {
			C.ps_free(ps)
			return nil, err
		}
		if err := d.addNoDigitsSearch(o.Grammar); err != nil {
			C.ps_free(ps)
			return nil, err
		}
	}
	return d, nil
}

// start begins an utterance with the named search. Under
// Options.HistoryFree what the frontend carries across utterances is set
// first (dx_fresh): sphinxbase's noise removal and silence-frame dropping
// otherwise start from the level of whatever the decoder heard before, and
// a pass fed in pieces from its last frames. The noise level is learnt
// from prime (primeFor). With the mean set too (processFull, setCMNMean)
// the pass is a function of its audio, mean and prime only.
func (d *decoder) start(search string, prime []int16) error {
	return d.begin(search, d.carryNoise, prime)
}

// startCall is start for a pass of a call whose noise prime is noise
// (callState.noise, kept unless Options.CarryHistory):
// with one the pass starts afresh from prime even where the decoder
// carries its noise estimate, so a call's later utterances are history-free.
func (d *decoder) startCall(search string, noise, prime []int16) error {
	return d.begin(search, d.carryNoise && noise == nil, prime)
}

// startLive is start keeping the noise estimate: for the live pass fed
// while the audio arrives (the partials), whose noise level follows the call.
func (d *decoder) startLive(search string) error { return d.begin(search, true, nil) }

// primeFrames: the noise estimate starts at 1/20 of the first frame's power
// and rises 0.5 % a frame, so it needs ~600 frames to reach the level.
const primeFrames = 600

func (d *decoder) begin(search string, carryNoise bool, prime []int16) error {
	if d.inUtt {
		d.end()
	}
	if !carryNoise {
		var p *C.int16
		if len(prime) > 0 {
			p = (*C.int16)(unsafe.Pointer(&prime[0]))
		}
		reps := 1 + primeFrames*frameSamples/2/max(1, len(prime))
		if C.dx_fresh(d.ps, p, C.int(len(prime)), C.int(reps)) < 0 {
			return fmt.Errorf("%w: priming the noise estimate", ErrDecode)
		}
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

// phoneCount returns the number of phones in the dictionary
// pronunciations of words (unknown words count none).
func (d *decoder) phoneCount(words []string) int {
	n := 0
	for _, w := range words {
		cw := C.CString(w)
		p := C.ps_lookup_word(d.ps, cw)
		C.free(unsafe.Pointer(cw))
		if p != nil {
			n += len(strings.Fields(C.GoString(p)))
			C.free(unsafe.Pointer(p))
		}
	}
	return n
}

// acoustic returns the acoustic score of the best path of the ended
// utterance (log base 1.0001, scaled as pocketsphinx's senone scores).
func (d *decoder) acoustic() int32 { return int32(C.dx_ascr(d.ps)) }

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
