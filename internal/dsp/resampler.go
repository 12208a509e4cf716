package dsp

import (
	"errors"
	"fmt"
	"math"
)

// ErrResampleRate is returned by NewResampler for rates it cannot convert
// between (1 Hz..768 kHz, a reduced ratio of at most maxPhases phases).
var ErrResampleRate = errors.New("dsp: unsupported resampling rates")

const (
	// maxPhases bounds the polyphase table (outRate/gcd): common rates need
	// at most a few hundred (22050→48000 needs 320).
	maxPhases = 2048
	// MaxResampleRate bounds input and output rates (Hz).
	MaxResampleRate = 768000
	// resampleZeroCrossings is the half-width of the filter in periods of the
	// lower of the two rates.
	resampleZeroCrossings = 16
	// resampleCutoff is the -6 dB cutoff as a fraction of the lower Nyquist
	// rate's sample rate (0.45 → 7.2 kHz for 16 kHz).
	resampleCutoff = 0.45
	// resampleKaiserBeta gives about 80 dB of stop-band attenuation.
	resampleKaiserBeta = 8.0
)

// Resampler is a band-limited (Kaiser-windowed sinc, polyphase) streaming
// resampler for mono int16 PCM. It keeps state between calls, so a stream can
// be fed in chunks of any size. It has no phase delay: output sample n is the
// signal at input time n·inRate/outRate; the last few input samples (the
// filter half-width) are held back until more input or Flush arrives.
// A Resampler is not safe for concurrent use.
type Resampler struct {
	inRate, outRate int
	up, down        int // outRate/g, inRate/g
	half            int // filter half-width in input samples (taps = 2*half)
	taps            int
	coef            []float32 // up phases × taps

	buf      []float32 // input samples from absolute index bufStart
	bufStart int64
	pos      int64 // absolute input index of the next output
	phase    int   // its phase in [0, up)
	inCount  int64 // input samples since Reset
	outCount int64 // outputs since Reset
	delayed  bool  // NewDelayedResampler
}

// NewResampler returns a resampler from inRate to outRate (Hz).
func NewResampler(inRate, outRate int) (*Resampler, error) {
	if inRate <= 0 || outRate <= 0 || inRate > MaxResampleRate || outRate > MaxResampleRate {
		return nil, fmt.Errorf("%w: %d→%d Hz", ErrResampleRate, inRate, outRate)
	}
	g := gcd(inRate, outRate)
	r := &Resampler{inRate: inRate, outRate: outRate, up: outRate / g, down: inRate / g}
	if r.up > maxPhases {
		return nil, fmt.Errorf("%w: %d→%d Hz needs %d filter phases (max %d)", ErrResampleRate, inRate, outRate, r.up, maxPhases)
	}
	low := min(inRate, outRate)
	cutoff := resampleCutoff * float64(low) // Hz
	fc := 2 * cutoff / float64(inRate)      // cycles per input sample ×2
	r.half = int(math.Ceil(resampleZeroCrossings * float64(inRate) / float64(low)))
	r.taps = 2 * r.half
	r.coef = make([]float32, r.up*r.taps)
	i0b := besselI0(resampleKaiserBeta)
	for p := 0; p < r.up; p++ {
		row := r.coef[p*r.taps : (p+1)*r.taps]
		sum := 0.0
		vals := make([]float64, r.taps)
		for m := 0; m < r.taps; m++ {
			// tap m multiplies x[i-half+1+m]; distance τ = t - j.
			tau := float64(r.half-1-m) + float64(p)/float64(r.up)
			x := tau / float64(r.half)
			w := 0.0
			if x > -1 && x < 1 {
				w = besselI0(resampleKaiserBeta*math.Sqrt(1-x*x)) / i0b
			}
			v := fc * sinc(fc*tau) * w
			vals[m] = v
			sum += v
		}
		for m := range row {
			// Normalise every phase to unity DC gain.
			row[m] = float32(vals[m] / sum)
		}
	}
	r.Reset()
	return r, nil
}

// NewDelayedResampler is NewResampler for frame-locked consumers (the VAD):
// instead of holding back the last HalfWidth input samples it delays the
// signal by them (as if the input began with that many zeros, which count
// as input), so each Process returns every output its input allows: 960
// samples at 48 kHz give 320 at 16 kHz, every call.
func NewDelayedResampler(inRate, outRate int) (*Resampler, error) {
	r, err := NewResampler(inRate, outRate)
	if err != nil {
		return nil, err
	}
	r.delayed = true
	r.Reset()
	return r, nil
}

// Reset drops buffered input and restarts the stream (as if new).
func (r *Resampler) Reset() {
	// x[-half+1 .. -1] are zeros.
	if cap(r.buf) < r.taps+1024 {
		r.buf = make([]float32, 0, r.taps+1024)
	}
	r.buf = r.buf[:r.half-1]
	clear(r.buf)
	r.bufStart = -int64(r.half - 1)
	r.pos, r.phase, r.inCount, r.outCount = 0, 0, 0, 0
	if r.delayed {
		r.buf = r.buf[:2*r.half-1]
		clear(r.buf)
		r.inCount = int64(r.half)
	}
}

// Process appends the resampled src to dst and returns it. Outputs whose
// filter window reaches past the end of the input so far are produced by a
// later call (or Flush).
func (r *Resampler) Process(dst, src []int16) []int16 {
	for _, s := range src {
		r.buf = append(r.buf, float32(s))
	}
	r.inCount += int64(len(src))
	end := r.bufStart + int64(len(r.buf)) // absolute index one past the last sample
	dst = r.run(dst, end, -1)
	r.compact()
	return dst
}

// Flush emits the outputs still held back (treating the input as ending with
// silence) and resets the resampler for a new stream.
func (r *Resampler) Flush(dst []int16) []int16 {
	total := (r.inCount*int64(r.up) + int64(r.down) - 1) / int64(r.down) // ceil
	for range r.half + 1 {
		r.buf = append(r.buf, 0)
	}
	end := r.bufStart + int64(len(r.buf))
	dst = r.run(dst, end, total)
	r.Reset()
	return dst
}

// Pending returns the number of input samples whose outputs are held back.
func (r *Resampler) Pending() int {
	return int(r.inCount - r.pos)
}

// HalfWidth is the filter half-width in input samples: at most this many
// inputs are held back (Pending) between calls.
func (r *Resampler) HalfWidth() int { return r.half }

// run produces outputs while the window [pos-half+1, pos+half] lies below
// end and (if limit ≥ 0) fewer than limit outputs have been produced.
func (r *Resampler) run(dst []int16, end, limit int64) []int16 {
	taps := r.taps
	for r.pos+int64(r.half) < end && (limit < 0 || r.outCount < limit) {
		start := int(r.pos - int64(r.half) + 1 - r.bufStart)
		x := r.buf[start : start+taps]
		c := r.coef[r.phase*taps : r.phase*taps+taps]
		dst = append(dst, toInt16(Dot(c, x)))
		r.outCount++
		r.phase += r.down
		if r.phase >= r.up {
			r.pos += int64(r.phase / r.up)
			r.phase %= r.up
		}
	}
	return dst
}

// compact drops input samples no future output needs.
func (r *Resampler) compact() {
	keep := r.pos - int64(r.half) + 1 - r.bufStart
	if keep <= 0 {
		return
	}
	if keep > int64(len(r.buf)) {
		keep = int64(len(r.buf))
	}
	n := copy(r.buf, r.buf[keep:])
	r.buf = r.buf[:n]
	r.bufStart += keep
}

// Resample converts src from inRate to outRate in one shot (including the
// filter tail): the output has ceil(len(src)·outRate/inRate) samples.
func Resample(src []int16, inRate, outRate int) ([]int16, error) {
	r, err := NewResampler(inRate, outRate)
	if err != nil {
		return nil, err
	}
	out := make([]int16, 0, len(src)*outRate/inRate+2)
	out = r.Process(out, src)
	return r.Flush(out), nil
}

func toInt16(v float32) int16 {
	if v >= 32767 {
		return 32767
	}
	if v <= -32768 {
		return -32768
	}
	if v >= 0 {
		return int16(v + 0.5)
	}
	return int16(v - 0.5)
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the zeroth-order modified Bessel function of the first kind.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < sum*1e-12 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
