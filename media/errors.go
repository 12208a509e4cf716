package media

import "errors"

var (
	// ErrInvalidSampleRate is returned for a sample rate a component does not
	// support (Opus: 8, 12, 16, 24 or 48 kHz; resampler: 1 Hz..768 kHz with a
	// reduced ratio of at most maxPhases phases).
	ErrInvalidSampleRate = errors.New("media: invalid sample rate")
	// ErrInvalidChannels is returned for a channel count other than 1 or 2.
	ErrInvalidChannels = errors.New("media: invalid channel count")
	// ErrInvalidOption is returned for an option value out of range.
	ErrInvalidOption = errors.New("media: invalid option")
	// ErrFrameSize is returned when PCM handed to the encoder is not exactly
	// one 20 ms frame, or a PLC/FEC duration is not a positive multiple of
	// 2.5 ms within the decoder's 120 ms limit.
	ErrFrameSize = errors.New("media: invalid frame size")
	// ErrEmptyPayload is returned when an Opus payload is empty.
	ErrEmptyPayload = errors.New("media: empty opus payload")
	// ErrOpus wraps an error reported by libopus (for example a corrupt
	// packet).
	ErrOpus = errors.New("media: opus codec error")
	// ErrClosed is returned by PacedWriter methods after Close.
	ErrClosed = errors.New("media: paced writer closed")
)

// Sentinels of the picture path shared by the camera receiver (media/video)
// and the snapshot encoder.
var (
	// ErrNoVideo is returned by a camera receiver's Snapshot when there is
	// no picture to give: no RTP packet ever arrived, the stream ended, or
	// no packet arrived for longer than MaxAge. The turn then has no image.
	ErrNoVideo = errors.New("media: no video")
	// ErrEmptyImage is returned by EncodeJPEG for a nil or empty image.
	ErrEmptyImage = errors.New("media: empty image")
)
