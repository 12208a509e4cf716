package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/media"
)

// maxImagePixels bounds a client image before it is decoded (a small
// file can claim a huge canvas).
const maxImagePixels = 4096 * 4096

// decodeImage reads an input_image data URL (JPEG or PNG, base64) and
// returns it scaled to fit media.ImageMaxWidth×ImageMaxHeight, as a still
// taken now.
func decodeImage(url string, now time.Time) (*media.Snapshot, error) {
	rest, ok := strings.CutPrefix(url, "data:")
	if !ok {
		return nil, errors.New("image_url must be a data URL (data:image/jpeg;base64,… or data:image/png;base64,…)")
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") {
		return nil, errors.New("image_url must be base64 data (data:image/…;base64,…)")
	}
	var decode func([]byte) (image.Image, error)
	var config func([]byte) (image.Config, error)
	switch mime := strings.TrimSuffix(meta, ";base64"); mime {
	case "image/jpeg", "image/jpg":
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
		config = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
	case "image/png":
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
		config = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
	default:
		return nil, fmt.Errorf("image type %q is not supported; send image/jpeg or image/png", mime)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("image_url: bad base64: %v", err)
	}
	cfg, err := config(raw)
	if err != nil {
		return nil, fmt.Errorf("image_url: not a readable image: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxImagePixels {
		return nil, fmt.Errorf("image is %d×%d; at most %d pixels", cfg.Width, cfg.Height, maxImagePixels)
	}
	img, err := decode(raw)
	if err != nil {
		return nil, fmt.Errorf("image_url: not a readable image: %v", err)
	}
	b := img.Bounds()
	return &media.Snapshot{Image: media.ScaleToFit(img, media.ImageMaxWidth, media.ImageMaxHeight),
		Captured: now, Width: b.Dx(), Height: b.Dy()}, nil
}
