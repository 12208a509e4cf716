package local

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/llm"
)

const (
	// gridW×gridH pixels are sampled for colours, whatever the size.
	gridW, gridH = 64, 48
	// thumbW×thumbH is the grey thumbnail compared for changes.
	thumbW, thumbH = 32, 24
	// staleAfter: older snapshots are described with their age.
	staleAfter = 5 * time.Second
)

// colour names, in the order ties are broken.
var colourNames = []string{"red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown", "white", "gray", "black"}

// classify names an RGB colour (components 0..1) by HSV ranges.
func classify(r, g, b float64) string {
	h, s, v := hsv(r, g, b)
	switch {
	case v < 0.2:
		return "black"
	case s < 0.18 && v > 0.85:
		return "white"
	case s < 0.18:
		return "gray"
	case s < 0.3 && v < 0.45:
		return "gray"
	}
	switch {
	case h < 15 || h >= 345:
		if v < 0.55 && s > 0.35 {
			return "brown"
		}
		if s < 0.5 && v > 0.75 {
			return "pink"
		}
		return "red"
	case h < 42:
		if v < 0.65 {
			return "brown"
		}
		return "orange"
	case h < 70:
		if v < 0.45 {
			return "brown" // olive and dark khaki read as brown
		}
		return "yellow"
	case h < 160:
		return "green"
	case h < 195:
		return "teal"
	case h < 255:
		return "blue"
	case h < 290:
		return "purple"
	default:
		return "pink"
	}
}

// hsv converts RGB in 0..1 to hue in degrees and saturation, value 0..1.
func hsv(r, g, b float64) (h, s, v float64) {
	mx := math.Max(r, math.Max(g, b))
	mn := math.Min(r, math.Min(g, b))
	v = mx
	d := mx - mn
	if mx > 0 {
		s = d / mx
	}
	if d == 0 {
		return 0, s, v
	}
	switch mx {
	case r:
		h = 60 * math.Mod((g-b)/d, 6)
	case g:
		h = 60 * ((b-r)/d + 2)
	default:
		h = 60 * ((r-g)/d + 4)
	}
	if h < 0 {
		h += 360
	}
	return h, s, v
}

func rgb01(img image.Image, x, y int) (r, g, b float64) {
	R, G, B, _ := img.At(x, y).RGBA()
	return float64(R) / 0xffff, float64(G) / 0xffff, float64(B) / 0xffff
}

// colourShare is one named colour and its share of the sampled pixels.
type colourShare struct {
	name  string
	share float64
}

// analysis is what can honestly be measured in a picture.
type analysis struct {
	colours    []colourShare // by share, largest first
	brightness float64       // mean of (luma+value)/2, 0..1
	detail     float64       // mean neighbour difference of the thumbnail, 0..1
	thumb      []float64
}

// analyze samples a grid of pixels (not every pixel) for colours and
// brightness, and builds a grey thumbnail.
func analyze(img image.Image) analysis {
	bd := img.Bounds()
	var a analysis
	if bd.Empty() {
		return a
	}
	counts := map[string]int{}
	var luma float64
	n := 0
	for gy := 0; gy < gridH; gy++ {
		y := bd.Min.Y + (2*gy+1)*bd.Dy()/(2*gridH)
		for gx := 0; gx < gridW; gx++ {
			x := bd.Min.X + (2*gx+1)*bd.Dx()/(2*gridW)
			r, g, b := rgb01(img, x, y)
			counts[classify(r, g, b)]++
			// Half luma, half HSV value: saturated colours (pure red has
			// a luma of 0.3) still count as bright.
			luma += 0.5*(0.299*r+0.587*g+0.114*b) + 0.5*math.Max(r, math.Max(g, b))
			n++
		}
	}
	a.brightness = luma / float64(n)
	for _, name := range colourNames {
		if c := counts[name]; c > 0 {
			a.colours = append(a.colours, colourShare{name, float64(c) / float64(n)})
		}
	}
	sort.SliceStable(a.colours, func(i, j int) bool { return a.colours[i].share > a.colours[j].share })
	a.thumb = thumbnail(img)
	var diff float64
	cnt := 0
	for y := 0; y < thumbH; y++ {
		for x := 0; x < thumbW; x++ {
			v := a.thumb[y*thumbW+x]
			if x+1 < thumbW {
				diff += math.Abs(v - a.thumb[y*thumbW+x+1])
				cnt++
			}
			if y+1 < thumbH {
				diff += math.Abs(v - a.thumb[(y+1)*thumbW+x])
				cnt++
			}
		}
	}
	a.detail = diff / float64(cnt)
	return a
}

// thumbnail averages 3×3 samples per cell into a thumbW×thumbH grey image
// (values 0..1).
func thumbnail(img image.Image) []float64 {
	bd := img.Bounds()
	t := make([]float64, thumbW*thumbH)
	for ty := 0; ty < thumbH; ty++ {
		for tx := 0; tx < thumbW; tx++ {
			var sum float64
			for sy := 0; sy < 3; sy++ {
				y := bd.Min.Y + ((ty*3+sy)*2+1)*bd.Dy()/(2*thumbH*3)
				for sx := 0; sx < 3; sx++ {
					x := bd.Min.X + ((tx*3+sx)*2+1)*bd.Dx()/(2*thumbW*3)
					r, g, b := rgb01(img, x, y)
					sum += 0.299*r + 0.587*g + 0.114*b
				}
			}
			t[ty*thumbW+tx] = sum / 9
		}
	}
	return t
}

// meanAbsDiff compares two thumbnails, 0..1.
func meanAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var d float64
	for i := range a {
		d += math.Abs(a[i] - b[i])
	}
	return d / float64(len(a))
}

// decoded returns the snapshot's pixels, decoding the JPEG if needed.
func decoded(img *llm.Image) image.Image {
	if img == nil {
		return nil
	}
	if img.Decoded != nil {
		return img.Decoded
	}
	if len(img.JPEG) > 0 {
		if d, err := jpeg.Decode(bytes.NewReader(img.JPEG)); err == nil {
			return d
		}
	}
	return nil
}

// describe answers "what do you see" from measurable facts only.
func describe(req llm.Request) string {
	cur := decoded(req.Image)
	if cur == nil {
		return "I can't see anything — the camera is off or not sending video."
	}
	a := analyze(cur)
	var b strings.Builder
	if len(a.colours) == 0 {
		return "The picture I got is empty, so I can't describe it."
	}
	top := a.colours[0]
	switch {
	case top.share >= 0.9:
		fmt.Fprintf(&b, "The picture is almost all %s, about %s of it.", top.name, percent(top.share))
	default:
		fmt.Fprintf(&b, "The picture is mostly %s, about %s", top.name, percent(top.share))
		if len(a.colours) > 1 && a.colours[1].share >= 0.1 {
			fmt.Fprintf(&b, ", with %s at about %s.", a.colours[1].name, percent(a.colours[1].share))
		} else {
			b.WriteString(".")
		}
	}
	switch {
	case a.brightness < 0.15:
		b.WriteString(" It is dark.")
	case a.brightness < 0.35:
		b.WriteString(" It is dim.")
	default:
		b.WriteString(" It is bright.")
	}
	switch {
	case a.detail < 0.01:
		b.WriteString(" It looks like one plain surface, with no visible detail.")
	case a.detail > 0.08:
		b.WriteString(" There is a lot of detail in it.")
	}
	if prev := decoded(req.PreviousImage); prev != nil {
		switch d := meanAbsDiff(a.thumb, thumbnail(prev)); {
		case d > 0.1:
			b.WriteString(" A lot has changed since the last time I looked.")
		case d > 0.03:
			b.WriteString(" It has changed a little since I last looked.")
		default:
			b.WriteString(" It looks the same as the last time I looked.")
		}
	}
	if !req.Image.Captured.IsZero() && !req.Now.IsZero() {
		if age := req.Now.Sub(req.Image.Captured); age > staleAfter {
			fmt.Fprintf(&b, " This picture is %d seconds old.", int(age.Seconds()))
		}
	}
	b.WriteString(" I can only tell colours and light, not what the objects are.")
	return b.String()
}

func percent(f float64) string {
	return fmt.Sprintf("%d percent", int(math.Round(f*100)))
}
