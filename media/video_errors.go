package media

import "errors"

// Sentinels of the camera path (VideoReceiver, VideoDecoder, snapshots).
var (
	// ErrNoVideo is returned by VideoReceiver.Snapshot when there is no
	// picture to give: no RTP packet ever arrived, the stream ended (Run
	// returned), or no packet arrived for longer than MaxAge — and no image
	// younger than MaxAge is held. The turn then has no image.
	ErrNoVideo = errors.New("media: no video")
	// ErrVideoCodec is returned for a camera codec the receiver does not
	// decode (anything but VP8, VP9 and H.264).
	ErrVideoCodec = errors.New("media: unsupported video codec")
	// ErrVideoDecode wraps a frame libavcodec could not decode (corrupt or
	// truncated data, a missing reference, a missing SPS/PPS).
	ErrVideoDecode = errors.New("media: video decode failed")
	// ErrVideoFrameSize is returned for a decoded picture with a zero size
	// or more than videoMaxPixels pixels.
	ErrVideoFrameSize = errors.New("media: video frame size out of range")
	// ErrVideoFile is returned for a malformed IVF file.
	ErrVideoFile = errors.New("media: bad video file")
	// ErrEmptyImage is returned by EncodeJPEG for a nil or empty image.
	ErrEmptyImage = errors.New("media: empty image")
)
