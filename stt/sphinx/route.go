package sphinx

/*
#include <string.h>
#include <pocketsphinx.h>

// dx_word_span returns the frames from the start of the best path's first
// word to the end of its last, fillers and silences left out.
static int dx_word_span(ps_decoder_t *ps) {
	int first = -1, last = -1, sf, ef;
	ps_seg_t *s;
	for (s = ps_seg_iter(ps); s != NULL; s = ps_seg_next(s)) {
		const char *w = ps_seg_word(s);
		if (w == NULL || w[0] == '<' || w[0] == '[' || strncmp(w, "++", 2) == 0) {
			continue;
		}
		ps_seg_frames(s, &sf, &ef);
		if (first < 0) {
			first = sf;
		}
		last = ef;
	}
	return first < 0 ? 0 : last - first + 1;
}
*/
import "C"

import (
	"context"
	"strings"
	"unsafe"
)

// Short phrases heard as digits. One-word requests ("stop", "hello",
// "uh huh") come out of the grammar as a run of three digits ("800",
// "220") on voices the model fits badly. Nobody says three digits in the
// time of one word: when the grammar's digits take fewer than
// MinDigitFrames frames each, the utterance is decoded again by the
// grammar without its digit runs, and that result goes through the usual
// check. Calibration voices and FSDD speakers (cmd/stt-eval) set it.
const (
	searchNoDigits = "nodigits"
	// MinDigitFrames is the fewest 10 ms frames per spoken digit a run of
	// digits is believed at.
	MinDigitFrames = 16.0
)

// noDigitsGrammar is g without its <digits> alternative, or "" when g
// has none (a custom grammar).
func noDigitsGrammar(g string) string {
	const alt = " | <digits>;"
	if !strings.Contains(g, alt) {
		return ""
	}
	return strings.Replace(g, alt, ";", 1)
}

// addNoDigitsSearch adds the grammar without digit runs, when it has them.
func (d *decoder) addNoDigitsSearch(grammar string) error {
	g := noDigitsGrammar(grammar)
	if g == "" {
		return nil
	}
	name, cg := C.CString(searchNoDigits), C.CString(g)
	defer C.free(unsafe.Pointer(name))
	defer C.free(unsafe.Pointer(cg))
	if C.ps_set_jsgf_string(d.ps, name, cg) != 0 {
		return nil // the skills grammar loaded; without this search no rule applies
	}
	d.hasNoDigits = true
	return nil
}

// wordSpan is the frames the ended utterance's words take (dx_word_span).
func (d *decoder) wordSpan() int { return int(C.dx_word_span(d.ps)) }

// digitsTooFast: words are a run of digits said in fewer than
// MinDigitFrames frames each (span: their frames, wordSpan).
func digitsTooFast(words []string, span int) bool {
	if _, ok := DigitString(words); !ok {
		return false
	}
	return float64(span) < MinDigitFrames*float64(len(words))
}

// noDigitsPass decodes the utterance with the grammar without digit runs
// and checks the result as the grammar's would be.
func (s *stream) noDigitsPass(ctx context.Context) ([]string, float64, verdict, error) {
	return s.checkedPass(ctx, searchNoDigits)
}
