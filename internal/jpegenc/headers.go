package jpegenc

// Marker codes (T.81 table B.1).
const (
	markerSOI  = 0xd8
	markerAPP0 = 0xe0
	markerDQT  = 0xdb
	markerSOF0 = 0xc0
	markerDHT  = 0xc4
	markerSOS  = 0xda
)

// appendHeaders writes everything before the entropy-coded data: SOI, the
// JFIF APP0 segment, both quantisation tables, the frame header and the
// four standard Huffman tables, then the scan header.
func appendHeaders(dst []byte, q *quantTables, w, h int) []byte {
	dst = append(dst, 0xff, markerSOI)

	// JFIF 1.01, no density units (aspect 1:1), no thumbnail.
	dst = appendMarker(dst, markerAPP0, 14)
	dst = append(dst, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0)

	dst = appendMarker(dst, markerDQT, 2*65)
	for t := range q.zz {
		dst = append(dst, uint8(t)) // 8-bit precision, table t
		dst = append(dst, q.zz[t][:]...)
	}

	// Component id, sampling factors (H<<4 | V), quantisation table.
	dst = appendMarker(dst, markerSOF0, 15)
	dst = append(dst, 8, uint8(h>>8), uint8(h), uint8(w>>8), uint8(w), 3,
		1, 0x22, 0,
		2, 0x11, 1,
		3, 0x11, 1)

	n := 0
	for _, s := range stdHuffSpecs {
		n += 17 + len(s.values)
	}
	dst = appendMarker(dst, markerDHT, n)
	for i, s := range stdHuffSpecs {
		// Table class (0 DC, 1 AC) << 4 | destination (0 luma, 1 chroma).
		dst = append(dst, uint8((i%2)<<4|i/2))
		dst = append(dst, s.counts[:]...)
		dst = append(dst, s.values...)
	}

	// Component id, DC table << 4 | AC table; then spectral selection
	// 0..63 and no successive approximation, as baseline requires.
	dst = appendMarker(dst, markerSOS, 10)
	return append(dst, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0)
}

// appendMarker writes a marker and its segment length, which counts the two
// length bytes plus n bytes of payload.
func appendMarker(dst []byte, marker byte, n int) []byte {
	n += 2
	return append(dst, 0xff, marker, uint8(n>>8), uint8(n))
}
