package media

import "errors"

// Sentinels of the camera path (VideoReceiver, VP8 decoding, snapshots).
var (
	// ErrNoVideo is returned by VideoReceiver.Snapshot when there is no
	// picture to give: no RTP packet ever arrived, the stream ended (Run
	// returned), or no packet arrived for longer than MaxAge — and no image
	// younger than MaxAge is held. The turn then has no image.
	ErrNoVideo = errors.New("media: no video")
	// ErrVP8NotKeyFrame is returned when an inter frame is handed to the
	// key-frame decoder (golang.org/x/image/vp8 decodes key frames only).
	ErrVP8NotKeyFrame = errors.New("media: vp8 frame is not a key frame")
	// ErrVP8Decode wraps a VP8 key frame that could not be decoded (short,
	// bad sync code, corrupt partitions, or a decoder panic).
	ErrVP8Decode = errors.New("media: vp8 decode failed")
	// ErrVP8FrameTooLarge is returned for a key frame whose header declares
	// more than vp8MaxDecodePixels pixels (or a zero size); it is refused
	// before any allocation.
	ErrVP8FrameTooLarge = errors.New("media: vp8 frame size out of range")
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
