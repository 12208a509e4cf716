package sphinx

/*
#include <pocketsphinx.h>
#include <sphinxbase/cmd_ln.h>

// dx_set_jsgf_wip adds a JSGF search with its own word insertion penalty:
// an FSG search reads it from the decoder's config when it is created, so
// it is set for the call and restored after.
static int dx_set_jsgf_wip(ps_decoder_t *ps, const char *name, const char *jsgf, double wip) {
	cmd_ln_t *c = ps_get_config(ps);
	double w = cmd_ln_float_r(c, "-wip");
	cmd_ln_set_float_r(c, "-wip", wip);
	int rc = ps_set_jsgf_string(ps, name, jsgf);
	cmd_ln_set_float_r(c, "-wip", w);
	return rc;
}
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
	"unsafe"

	"github.com/duplex-ai/duplex/stt"
)

// The digit pass. The skills grammar has a run of digits among its
// phrases, but real digit strings (FSDD: 8 kHz, pauses between the digits)
// score far below the phone loop there and fall to the general LM, which
// writes them as words ("to eight three"). When the grammar or the LM
// hears digits, a loop of digits decodes the utterance again with its pauses
// shortened and, for band-limited audio, the empty upper band refilled;
// its result stands when it scores within DigitMinMargin of the phone
// loop on the same audio. Tuned on FSDD's calibration speakers
// (cmd/stt-eval; BENCHMARKS.md has the figures).
const (
	searchDigits = "digits"
	// digitWIP is the loop's word insertion penalty (pocketsphinx's
	// default 0.65 lets noise and pauses become extra "eight"s).
	digitWIP = 0.1
	// digitKeepQuiet: pauses are shortened to this much quiet, so they
	// neither dominate the cepstral mean nor leave room for insertions.
	digitKeepQuiet = 160 * 16 // samples
	// DigitMinMargin: the digit loop's path score per frame must be at
	// least this far from the phone loop's (log base 1.0001).
	DigitMinMargin = -9.0
)

// digitLoopGrammar is any run of the digits zero to nine. "oh" is left
// out: a one-phone word, it takes in noise (BENCHMARKS.md); the skills
// grammar keeps it.
func digitLoopGrammar() string {
	return "#JSGF V1.0;\ngrammar digits;\npublic <run> = (" + strings.Join(onesWords, " | ") + ")+;\n"
}

// addDigitSearch adds the digit loop to a decoder.
func (d *decoder) addDigitSearch() error {
	name, g := C.CString(searchDigits), C.CString(digitLoopGrammar())
	defer C.free(unsafe.Pointer(name))
	defer C.free(unsafe.Pointer(g))
	if C.dx_set_jsgf_wip(d.ps, name, g, C.double(digitWIP)) != 0 {
		return fmt.Errorf("%w: the digit loop grammar did not load", ErrUnavailable)
	}
	d.hasDigits = true
	return nil
}

// DigitScores is what the digit pass makes of one utterance (see Engine.Digits).
type DigitScores struct {
	Digits      string        // the loop's result as numerals, "" if none
	Margin      float64       // digit loop minus phone loop, path score per frame
	Accept      bool          // Margin >= DigitMinMargin and some digits
	BandLimited bool          // the upper band was empty and was refilled
	Took        time.Duration // the pass's decode time
}

// digitPass decodes pcm (a whole utterance) with the digit loop and the
// phone loop, after shortening pauses and refilling an empty upper band.
func (s *stream) digitPass(ctx context.Context, pcm []int16) (DigitScores, error) {
	t0 := time.Now()
	var ds DigitScores
	if !s.dec.hasDigits || !s.dec.hasPhones {
		return ds, nil
	}
	pcm = squeezeQuiet(pcm, digitKeepQuiet)
	if bandLimited(pcm) {
		ds.BandLimited = true
		pcm = noiseBand(pcm, bandNoiseGain)
	}
	words, dp, err := s.passOn(ctx, searchDigits, pcm)
	if err != nil {
		return ds, err
	}
	_, pp, err := s.passOn(ctx, searchPhones, pcm)
	if err != nil {
		return ds, err
	}
	ds.Digits, _ = DigitString(words)
	ds.Margin = dp - pp
	ds.Accept = ds.Digits != "" && ds.Margin >= DigitMinMargin
	ds.Took = time.Since(t0)
	return ds, nil
}

// passOn decodes pcm in one call with the named search (the stream's CMN)
// and returns the words and the path score per frame.
func (s *stream) passOn(ctx context.Context, search string, pcm []int16) ([]string, float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if err := s.dec.startCall(search, s.noise, primeFor(s.noise, pcm)); err != nil {
		return nil, 0, err
	}
	if err := s.dec.processFull(pcm, s.cmn); err != nil {
		return nil, 0, err
	}
	if err := s.dec.end(); err != nil {
		return nil, 0, err
	}
	hyp, path := s.dec.hyp()
	return cleanWords(hyp), perFrame(path, s.dec.frames()), nil
}

// digitResult runs the digit pass when the grammar's words or the general
// LM's are digits, and returns its result if it stands.
func (s *stream) digitResult(ctx context.Context, grammar, lm []string) (stt.Result, bool, error) {
	if !wantsDigitPass(grammar, lm) {
		return stt.Result{}, false, nil
	}
	s.mark("digit pass")
	ds, err := s.digitPass(ctx, s.utterance())
	s.mark("digit pass end")
	if err != nil || !ds.Accept {
		return stt.Result{}, false, err
	}
	conf := 1 / (1 + math.Exp(-(ds.Margin-DigitMinMargin)/3))
	return stt.Result{Text: ds.Digits, Confidence: conf}, true, nil
}

// wantsDigitPass: the grammar's result is a run of digits, or the general
// LM's is mostly digits (at least two, more than half its words).
func wantsDigitPass(grammar, lm []string) bool {
	if _, ok := DigitString(grammar); ok {
		return true
	}
	n := 0
	for _, w := range lm {
		if _, ok := digitValue[w]; ok {
			n++
		}
	}
	return n >= 2 && 2*n > len(lm)
}

// Digits runs the digit pass on pcm (16 kHz mono, a whole utterance) as
// Finish does, whatever the grammar heard: for cmd/stt-eval.
func (e *Engine) Digits(ctx context.Context, pcm []int16) (DigitScores, error) {
	d, err := e.pool.acquire(ctx)
	if err != nil {
		return DigitScores{}, err
	}
	broken := false
	defer func() { e.pool.release(d, broken) }()
	s := &stream{ctx: ctx, dec: d, eng: e, rng: rand.NewPCG(1, 2)}
	s.buf = append([]int16(nil), pcm...)
	s.dither(s.buf)
	s.scanLoudness()
	ds, err := s.digitPass(ctx, s.utterance())
	broken = err != nil
	return ds, err
}

// squeezeQuiet shortens every run of quiet 20 ms frames (under quietRMS)
// to at most keep samples, half of it each side.
func squeezeQuiet(pcm []int16, keep int) []int16 {
	out := make([]int16, 0, len(pcm))
	run := -1 // start of the current quiet run
	flush := func(end int) {
		if end-run <= keep {
			out = append(out, pcm[run:end]...)
			return
		}
		out = append(out, pcm[run:run+keep/2]...)
		out = append(out, pcm[end-keep/2:end]...)
	}
	for off := 0; off < len(pcm); off += frameSamples {
		f := pcm[off:min(off+frameSamples, len(pcm))]
		if frameRMS(f) < quietRMS {
			if run < 0 {
				run = off
			}
			continue
		}
		if run >= 0 {
			flush(off)
			run = -1
		}
		out = append(out, f...)
	}
	if run >= 0 {
		flush(len(pcm))
	}
	return out
}

// highBand is a 63-tap windowed-sinc high-pass at 4.2 kHz (16 kHz rate).
var highBand = highPass(4200)

func highPass(fc float64) []float64 {
	const taps = 63
	h := make([]float64, taps)
	wc := fc / 16000 * 2 * math.Pi
	for i := range h {
		n := float64(i - taps/2)
		lp := wc / math.Pi
		if n != 0 {
			lp = math.Sin(wc*n) / (math.Pi * n)
		}
		h[i] = -lp * (0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/(taps-1)))
	}
	h[taps/2]++
	return h
}

func fir(h []float64, x []float64) []float64 {
	y := make([]float64, len(x))
	for i := range x {
		var acc float64
		for k, c := range h {
			if j := i - k + len(h)/2; j >= 0 && j < len(x) {
				acc += c * x[j]
			}
		}
		y[i] = acc
	}
	return y
}

// bandNoiseGain: the upper band's noise is this times the RMS of the 2.5-4
// kHz band.
const bandNoiseGain = 0.5

// noiseBand fills the upper band of band-limited audio with seeded noise
// (high-passed at 4.2 kHz) whose level follows the 2.5-4 kHz band of each
// 10 ms, times g: crude bandwidth extension, so that fricatives ("six",
// "three") have energy above 4 kHz again. On the calibration speakers'
// strings: 47.2 % WER with the band left empty, 42.7 % with the lower band
// mirrored into it, 38.2 % with this noise at g = 0.5.
func noiseBand(pcm []int16, g float64) []int16 {
	x := make([]float64, len(pcm))
	for i, v := range pcm {
		x[i] = float64(v)
	}
	band := fir(highPass(2500), x)
	r := rand.New(rand.NewPCG(3, 4))
	n := make([]float64, len(x))
	for i := range n {
		n[i] = r.NormFloat64()
	}
	n = fir(highBand, n)
	out := make([]int16, len(pcm))
	for off := 0; off < len(x); off += 160 {
		end := min(off+160, len(x))
		var e, en float64
		for i := off; i < end; i++ {
			e += band[i] * band[i]
			en += n[i] * n[i]
		}
		k := 0.0
		if en > 0 {
			k = g * math.Sqrt(e/en)
		}
		for i := off; i < end; i++ {
			out[i] = int16(max(-32768, min(32767, x[i]+k*n[i])))
		}
	}
	return out
}

// bandLimited reports whether the loud frames of pcm hold (almost) no
// energy above 4.2 kHz: audio recorded at 8 kHz (a phone line, FSDD) and
// resampled. The en-us model was trained on 16 kHz speech; its upper mel
// filters then see only dither.
func bandLimited(pcm []int16) bool {
	var hi, all float64
	for off := 0; off+frameSamples <= len(pcm); off += frameSamples {
		f := pcm[off : off+frameSamples]
		if frameRMS(f) < quietRMS {
			continue
		}
		for i := range f {
			x := float64(f[i])
			all += x * x
			var acc float64
			for k, c := range highBand {
				if j := off + i - k + len(highBand)/2; j >= 0 && j < len(pcm) {
					acc += c * float64(pcm[j])
				}
			}
			hi += acc * acc
		}
	}
	return all > 0 && hi < 2e-4*all
}
