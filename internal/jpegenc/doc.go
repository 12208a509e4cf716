// Package jpegenc is a fast baseline JPEG encoder for 4:2:0 *image.YCbCr
// images, meant for hot paths such as camera snapshots where image/jpeg's
// Encode dominates the cost.
//
// It writes the same kind of file as image/jpeg (plus a JFIF APP0 header):
// baseline sequential DCT, 8-bit samples, three components with Y sampled
// 2×2 and Cb, Cr 1×1, the T.81 Annex K quantisation tables scaled by
// quality exactly as libjpeg and image/jpeg do, and the Annex K Huffman
// tables. Quality and size therefore match image/jpeg's at the same
// quality setting.
//
// The speed comes from reading the Y, Cb and Cr planes directly (no colour
// conversion, no per-pixel interface calls), a float32 Arai-Agui-Nakajima
// DCT whose output scaling is folded into the quantisation multipliers, a
// zig-zag non-zero mask that lets the entropy coder jump over zero runs, and
// a 64-bit bit accumulator that writes 32 bits at a time straight into the
// destination slice. An Encoder reuses its tables and buffers, so encoding
// does not allocate apart from growing dst.
//
// It does not do other subsampling ratios, grayscale, progressive or
// arithmetic coding, optimised Huffman tables, restart markers or metadata
// beyond JFIF.
//
// Its speed against image/jpeg (about 5× at 1200×675) is measured in
// BENCHMARKS.md, "Vision".
package jpegenc
