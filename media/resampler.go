package media

import (
	"fmt"

	"github.com/duplex-ai/duplex/internal/dsp"
)

// Resampler is the band-limited streaming resampler of the media path (see
// dsp.Resampler); the VAD uses the same one.
type Resampler = dsp.Resampler

// NewResampler returns a resampler from inRate to outRate (Hz); unsupported
// rates give ErrInvalidSampleRate.
func NewResampler(inRate, outRate int) (*Resampler, error) {
	r, err := dsp.NewResampler(inRate, outRate)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSampleRate, err)
	}
	return r, nil
}

// Resample converts src from inRate to outRate in one shot (including the
// filter tail): the output has ceil(len(src)·outRate/inRate) samples.
func Resample(src []int16, inRate, outRate int) ([]int16, error) {
	out, err := dsp.Resample(src, inRate, outRate)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSampleRate, err)
	}
	return out, nil
}
