package media

import (
	"fmt"
	"strings"
)

// VideoCodec is a camera codec the receiver decodes.
type VideoCodec uint8

// The camera codecs; the zero value is VP8 (the only codec before H.264
// and VP9 were added), so zero VideoReceiverOptions keep their meaning.
const (
	VideoVP8 VideoCodec = iota
	VideoVP9
	VideoH264
)

func (c VideoCodec) String() string {
	switch c {
	case VideoVP8:
		return "VP8"
	case VideoVP9:
		return "VP9"
	case VideoH264:
		return "H264"
	}
	return fmt.Sprintf("VideoCodec(%d)", uint8(c))
}

// VideoCodecFromMime maps an RTP mime type ("video/H264", case-insensitive)
// to a VideoCodec; ErrVideoCodec for any other.
func VideoCodecFromMime(mime string) (VideoCodec, error) {
	switch strings.ToLower(mime) {
	case "video/vp8":
		return VideoVP8, nil
	case "video/vp9":
		return VideoVP9, nil
	case "video/h264":
		return VideoH264, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrVideoCodec, mime)
}
