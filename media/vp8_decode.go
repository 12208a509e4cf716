package media

import (
	"bytes"
	"fmt"
	"image"

	"golang.org/x/image/vp8"
)

// vp8MaxDecodePixels bounds the size a key frame header may declare
// (4096×2304: 4K UHD fits); larger frames are refused before allocating.
const vp8MaxDecodePixels = 4096 * 2304

// DecodeVP8KeyFrame decodes one complete VP8 key frame (the bytes of an
// IVF frame or of a reassembled RTP frame, without payload descriptors) in
// pure Go. A frame larger than maxW×maxH is downscaled to fit (aspect
// preserved, area averaging); maxW or maxH <= 0 means no limit. It returns
// the image (4:2:0 YCbCr; a new allocation the caller owns) and the encoded
// size. VP8 from cameras and browsers is limited-range ("TV", Y 16..235)
// BT.601; the image is expanded to the full range that color.YCbCr and
// image/jpeg (JFIF) assume, so black is 0 and white 255. Inter frames return ErrVP8NotKeyFrame; corrupt input ErrVP8Decode;
// it never panics.
func DecodeVP8KeyFrame(data []byte, maxW, maxH int) (img *image.YCbCr, srcW, srcH int, err error) {
	if len(data) > 0 && data[0]&1 != 0 {
		return nil, 0, 0, ErrVP8NotKeyFrame
	}
	w, h, ok := vp8KeyFrameSize(data)
	if !ok {
		return nil, 0, 0, fmt.Errorf("%w: bad key frame header", ErrVP8Decode)
	}
	if w == 0 || h == 0 || w*h > vp8MaxDecodePixels {
		return nil, w, h, fmt.Errorf("%w: %dx%d", ErrVP8FrameTooLarge, w, h)
	}
	defer func() {
		// golang.org/x/image/vp8 sees network input here: a decoder bug
		// must cost one snapshot, not the process.
		if r := recover(); r != nil {
			img = nil
			if re, ok := r.(error); ok {
				err = fmt.Errorf("%w: decoder panic: %w", ErrVP8Decode, re)
			} else {
				err = fmt.Errorf("%w: decoder panic: %v", ErrVP8Decode, r)
			}
		}
	}()
	// A new decoder per frame: its image is ours to keep (a Decoder reuses
	// its image on the next frame).
	d := vp8.NewDecoder()
	d.Init(bytes.NewReader(data), len(data))
	if _, err := d.DecodeFrameHeader(); err != nil {
		return nil, w, h, fmt.Errorf("%w: %w", ErrVP8Decode, err)
	}
	img, err = d.DecodeFrame()
	if err != nil {
		return nil, w, h, fmt.Errorf("%w: %w", ErrVP8Decode, err)
	}
	fullRange(img)
	if maxW > 0 && maxH > 0 {
		if dw, dh := FitWithin(w, h, maxW, maxH); dw != w || dh != h {
			img = scaleYCbCr420(img, dw, dh)
		}
	}
	return img, w, h, nil
}

// Limited-to-full range tables (BT.601: Y 16..235, Cb/Cr 16..240).
var lumaFull, chromaFull = func() (l, c [256]byte) {
	for i := range 256 {
		l[i] = clampByte((float64(i) - 16) * 255 / 219)
		c[i] = clampByte((float64(i)-128)*255/224 + 128)
	}
	return l, c
}()

func clampByte(f float64) byte {
	switch {
	case f <= 0:
		return 0
	case f >= 255:
		return 255
	}
	return byte(f + 0.5)
}

// fullRange expands a 4:2:0 image from limited to full range in place.
func fullRange(m *image.YCbCr) {
	b := m.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		i := m.YOffset(b.Min.X, y)
		row := m.Y[i : i+b.Dx()]
		for x, v := range row {
			row[x] = lumaFull[v]
		}
	}
	cw := (b.Max.X+1)/2 - b.Min.X/2
	for y := b.Min.Y / 2; y < (b.Max.Y+1)/2; y++ {
		i := m.COffset(b.Min.X, 2*y)
		cb, cr := m.Cb[i:i+cw], m.Cr[i:i+cw]
		for x := range cb {
			cb[x] = chromaFull[cb[x]]
			cr[x] = chromaFull[cr[x]]
		}
	}
}
