package jpegenc

import "math"

// zigzag[i] is the natural (row-major) index of the i-th coefficient in
// zig-zag order (T.81 figure A.6).
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// zigzagT[i] is the transposed-order index (see transform) of the i-th
// coefficient in zig-zag order.
var zigzagT = func() (t [64]uint8) {
	for i, k := range zigzag {
		t[i] = k%8*8 + k/8
	}
	return t
}()

// zigzagMask[k][b] maps the non-zero flags b of transposed row k (bit u for
// q[8k+u]) to the matching bits of a zig-zag-ordered mask; OR-ing the eight
// row lookups re-orders a whole block's mask with eight loads.
var zigzagMask = func() (m [8][256]uint64) {
	for i, t := range zigzagT {
		k, u := t/8, t%8
		for b := range 256 {
			if b>>u&1 == 1 {
				m[k][b] |= 1 << i
			}
		}
	}
	return m
}()

// baseQuant holds the T.81 Annex K.1 luminance (0) and chrominance (1)
// quantisation tables in natural order; they are scaled by quality.
var baseQuant = [2][64]uint8{
	{
		16, 11, 10, 16, 24, 40, 51, 61,
		12, 12, 14, 19, 26, 58, 60, 55,
		14, 13, 16, 24, 40, 57, 69, 56,
		14, 17, 22, 29, 51, 87, 80, 62,
		18, 22, 37, 56, 68, 109, 103, 77,
		24, 35, 55, 64, 81, 104, 113, 92,
		49, 64, 78, 87, 103, 121, 120, 101,
		72, 92, 95, 98, 112, 100, 103, 99,
	},
	{
		17, 18, 24, 47, 99, 99, 99, 99,
		18, 21, 26, 66, 99, 99, 99, 99,
		24, 26, 56, 99, 99, 99, 99, 99,
		47, 66, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
	},
}

// aanScale[k] is the factor by which the AAN DCT over-scales frequency k in
// each dimension: cos(k·π/16)·√2, and 1 for k = 0.
var aanScale = func() (s [8]float64) {
	s[0] = 1
	for k := 1; k < 8; k++ {
		s[k] = math.Cos(float64(k)*math.Pi/16) * math.Sqrt2
	}
	return s
}()

// quantTables holds what one quality level needs: the DQT bytes and the
// reciprocal quantisation steps that the forward DCT output is multiplied by.
type quantTables struct {
	// zz[t] is table t (0 luma, 1 chroma) in zig-zag order, as written in DQT.
	zz [2][64]uint8
	// recip[t][8k+u] = 1 / (step · 8 · aanScale[u] · aanScale[k]) for
	// horizontal frequency k and vertical frequency u (transform's transposed
	// order): it undoes the DCT's scaling and quantises in one multiplication.
	recip [2][64]float32
}

// init scales the base tables the way libjpeg's jpeg_quality_scaling and
// image/jpeg do, so a given quality yields byte-identical tables.
func (q *quantTables) init(quality int) {
	scale := 200 - 2*quality
	if quality < 50 {
		scale = 5000 / quality
	}
	for t := range baseQuant {
		for i, k := range zigzag {
			step := min(max((int(baseQuant[t][k])*scale+50)/100, 1), 255)
			q.zz[t][i] = uint8(step)
			q.recip[t][zigzagT[i]] = float32(1 / (float64(step) * 8 * aanScale[k/8] * aanScale[k%8]))
		}
	}
}

// huffSpec is a Huffman table as stored in DHT: counts[n] codes of length
// n+1, assigned in order to values.
type huffSpec struct {
	counts [16]uint8
	values []uint8
}

// The T.81 Annex K.3 tables, in DHT order: luma DC, luma AC, chroma DC,
// chroma AC.
var stdHuffSpecs = [4]huffSpec{
	{
		counts: [16]uint8{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
		values: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
	},
	{
		counts: [16]uint8{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d},
		values: []uint8{
			0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12,
			0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
			0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
			0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
			0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16,
			0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
			0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
			0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
			0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
			0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
			0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79,
			0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
			0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
			0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
			0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
			0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
			0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4,
			0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
			0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea,
			0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa,
		},
	},
	{
		counts: [16]uint8{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0},
		values: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
	},
	{
		counts: [16]uint8{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77},
		values: []uint8{
			0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21,
			0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
			0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91,
			0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
			0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34,
			0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
			0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38,
			0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
			0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
			0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
			0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78,
			0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
			0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96,
			0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
			0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
			0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
			0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2,
			0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
			0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9,
			0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa,
		},
	},
}

// huffTable maps a symbol to its code packed as code<<8 | length, so that a
// single load yields both.
type huffTable [256]uint32

// Code tables for stdHuffSpecs, in the same order.
var lumaDC, lumaAC, chromaDC, chromaAC = buildHuff(&stdHuffSpecs[0]),
	buildHuff(&stdHuffSpecs[1]), buildHuff(&stdHuffSpecs[2]), buildHuff(&stdHuffSpecs[3])

// buildHuff assigns canonical codes as in T.81 Annex C: consecutive values
// within a length, shifting left by one bit when the length grows.
func buildHuff(s *huffSpec) *huffTable {
	var t huffTable
	code, v := uint32(0), 0
	for n, count := range s.counts {
		for range count {
			t[s.values[v]] = code<<8 | uint32(n+1)
			code++
			v++
		}
		code <<= 1
	}
	return &t
}
