package jpegenc

import (
	"encoding/binary"
	"math/bits"
)

// bitWriter packs Huffman codes MSB-first into buf, inserting the 0x00 byte
// that must follow every 0xFF in entropy-coded data (T.81 F.1.2.3).
type bitWriter struct {
	buf []byte
	// acc holds the pending bits right-aligned; only its low n bits matter.
	acc uint64
	// n < 32 between calls: one emit adds at most 26 bits (a 16-bit AC
	// code plus 10 magnitude bits), which still fits the 64-bit accumulator.
	n uint
}

// emit appends the low n bits of b.
func (w *bitWriter) emit(b uint64, n uint) {
	w.acc = w.acc<<n | b
	w.n += n
	if w.n >= 32 {
		w.flush32()
	}
}

// flush32 moves the oldest 32 pending bits to buf.
func (w *bitWriter) flush32() {
	w.n -= 32
	v := uint32(w.acc >> w.n)
	if !hasFF(v) {
		w.buf = binary.BigEndian.AppendUint32(w.buf, v)
		return
	}
	for shift := 24; shift >= 0; shift -= 8 {
		w.writeByte(byte(v >> shift))
	}
}

func (w *bitWriter) writeByte(b byte) {
	if b == 0xff {
		w.buf = append(w.buf, 0xff, 0x00)
	} else {
		w.buf = append(w.buf, b)
	}
}

// hasFF reports whether any byte of v is 0xFF, i.e. whether ^v has a zero
// byte (the classic haszero bit trick), so the common case needs no
// per-byte checks.
func hasFF(v uint32) bool {
	x := ^v
	return (x-0x01010101)&^x&0x80808080 != 0
}

// finish pads the last byte with 1 bits, as T.81 F.1.2.3 requires, and
// flushes everything still pending.
func (w *bitWriter) finish() []byte {
	if pad := (8 - w.n%8) % 8; pad > 0 {
		w.emit(1<<pad-1, pad)
	}
	for w.n > 0 {
		w.n -= 8
		w.writeByte(byte(w.acc >> w.n))
	}
	return w.buf
}

// magnitude returns the JPEG size category of v (its bit length) and the
// extra bits that encode it: v itself if positive, v-1 (one's complement)
// if negative, truncated to size bits.
func magnitude(v int32) (size uint, extra uint64) {
	sign := v >> 31
	size = uint(bits.Len32(uint32((v ^ sign) - sign)))
	return size, uint64(uint32(v+sign)) & (1<<size - 1)
}

// writeBlock entropy-codes one quantised block (in transform's order);
// nonzero is the zig-zag mask returned by transform. It returns the block's
// DC value, the predictor for the next block of the same component.
//
// With 8-bit samples, DC differences need at most 11 magnitude bits and AC
// coefficients at most 10, so the symbols always exist in the tables.
func (w *bitWriter) writeBlock(q *[64]int32, nonzero uint64, prevDC int32, dc, ac *huffTable) int32 {
	size, extra := magnitude(q[0] - prevDC)
	h := dc[size]
	w.emit(uint64(h>>8)<<size|extra, uint(h&0xff)+size)

	const zrl = 0xf0 // sixteen zeros
	last := 0
	for m := nonzero &^ 1; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		run := i - last - 1
		for ; run >= 16; run -= 16 {
			h := ac[zrl]
			w.emit(uint64(h>>8), uint(h&0xff))
		}
		size, extra := magnitude(q[zigzagT[i&63]]) // &63 drops a bounds check
		h := ac[run<<4|int(size)]
		w.emit(uint64(h>>8)<<size|extra, uint(h&0xff)+size)
		last = i
	}
	if last != 63 {
		h := ac[0] // end of block
		w.emit(uint64(h>>8), uint(h&0xff))
	}
	return q[0]
}
