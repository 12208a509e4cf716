package media

import "image"

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

// FullRange expands a 4:2:0 image from limited to full range in place.
func FullRange(m *image.YCbCr) {
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
