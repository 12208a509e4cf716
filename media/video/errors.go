package video

import "errors"

// Sentinels of the camera path (Receiver, Decoder, snapshots).
var (
	// ErrCodec is returned for a camera codec the receiver does not
	// decode (anything but VP8, VP9 and H.264).
	ErrCodec = errors.New("video: unsupported video codec")
	// ErrDecode wraps a frame libavcodec could not decode (corrupt or
	// truncated data, a missing reference, a missing SPS/PPS).
	ErrDecode = errors.New("video: video decode failed")
	// ErrFrameSize is returned for a decoded picture with a zero size
	// or more than videoMaxPixels pixels.
	ErrFrameSize = errors.New("video: video frame size out of range")
	// ErrFile is returned for a malformed IVF file.
	ErrFile = errors.New("video: bad video file")
)
