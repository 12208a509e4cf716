package video

import (
	"fmt"
	"strings"
)

// Codec is a camera codec the receiver decodes.
type Codec uint8

// The camera codecs; the zero value is VP8 (the only codec before H.264
// and VP9 were added), so zero ReceiverOptions keep their meaning.
const (
	VP8 Codec = iota
	VP9
	H264
)

func (c Codec) String() string {
	switch c {
	case VP8:
		return "VP8"
	case VP9:
		return "VP9"
	case H264:
		return "H264"
	}
	return fmt.Sprintf("Codec(%d)", uint8(c))
}

// CodecFromMime maps an RTP mime type ("video/H264", case-insensitive)
// to a Codec; ErrCodec for any other.
func CodecFromMime(mime string) (Codec, error) {
	switch strings.ToLower(mime) {
	case "video/vp8":
		return VP8, nil
	case "video/vp9":
		return VP9, nil
	case "video/h264":
		return H264, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrCodec, mime)
}
