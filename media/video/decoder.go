package video

/*
#cgo pkg-config: libavcodec libavutil libswscale
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

static int dx_send(AVCodecContext *c, AVPacket *p, uint8_t *data, int n) {
	p->data = data;
	p->size = n;
	int r = avcodec_send_packet(c, p);
	p->data = NULL;
	p->size = 0;
	return r;
}

// dx_convert converts f to full-range 4:2:0 at w×h (area scaling) into
// the three planes given.
static int dx_convert(struct SwsContext **sws, AVFrame *f, int w, int h,
		uint8_t *y, uint8_t *cb, uint8_t *cr, int ys, int cs) {
	*sws = sws_getCachedContext(*sws, f->width, f->height, f->format,
		w, h, AV_PIX_FMT_YUV420P, SWS_AREA, NULL, NULL, NULL);
	if (!*sws) return AVERROR(EINVAL);
	int srcFull = f->color_range == AVCOL_RANGE_JPEG ||
		f->format == AV_PIX_FMT_YUVJ420P || f->format == AV_PIX_FMT_YUVJ422P ||
		f->format == AV_PIX_FMT_YUVJ444P;
	const int *coef = sws_getCoefficients(SWS_CS_ITU601);
	sws_setColorspaceDetails(*sws, coef, srcFull, coef, 1, 0, 1 << 16, 1 << 16);
	uint8_t *dst[4] = {y, cb, cr, NULL};
	int stride[4] = {ys, cs, cs, 0};
	int r = sws_scale(*sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, stride);
	return r > 0 ? 0 : AVERROR(EINVAL);
}

static void dx_err(int e, char *buf, size_t n) { av_strerror(e, buf, n); }
static int dx_eagain(void) { return AVERROR(EAGAIN); }
static int dx_eof(void) { return AVERROR_EOF; }
*/
import "C"

import (
	"fmt"
	"github.com/duplex-ai/duplex/media"
	"image"
	"sync"
	"unsafe"
)

// quietOnce silences libav's log: it writes to stderr on every corrupt
// frame, which is network input (errors are returned instead).
var quietOnce sync.Once

const (
	// videoMaxPixels bounds the picture size a stream may declare
	// (4096×2304: 4K UHD fits); libavcodec refuses larger ones.
	videoMaxPixels = 4096 * 2304
	// videoMaxFrameBytes bounds one compressed frame handed to Decode.
	videoMaxFrameBytes = 16 << 20
)

// Decoder decodes one H.264, VP8 or VP9 stream with libavcodec, one
// thread, no frame delay. It is stateful (inter frames refer to earlier
// ones): one per stream, used from one goroutine, closed when done. Bad
// input returns an error wrapping ErrDecode and never crashes; the
// decoder recovers at the next key frame.
type Decoder struct {
	codec Codec
	ctx   *C.AVCodecContext
	frame *C.AVFrame // the newest picture
	tmp   *C.AVFrame // receives; moved to frame on success
	pkt   *C.AVPacket
	sws   *C.struct_SwsContext
	buf   *C.uint8_t // input copy with libavcodec's padding
	bufN  int
	have  bool // frame holds a decoded picture
}

// NewDecoder opens a libavcodec decoder for codec.
func NewDecoder(codec Codec) (*Decoder, error) {
	var id C.enum_AVCodecID
	switch codec {
	case VP8:
		id = C.AV_CODEC_ID_VP8
	case VP9:
		id = C.AV_CODEC_ID_VP9
	case H264:
		id = C.AV_CODEC_ID_H264
	default:
		return nil, fmt.Errorf("%w: %v", ErrCodec, codec)
	}
	quietOnce.Do(func() { C.av_log_set_level(C.AV_LOG_QUIET) })
	dec := C.avcodec_find_decoder(id)
	if dec == nil {
		return nil, fmt.Errorf("%w: libavcodec has no %v decoder", ErrCodec, codec)
	}
	d := &Decoder{codec: codec}
	d.ctx = C.avcodec_alloc_context3(dec)
	d.frame = C.av_frame_alloc()
	d.tmp = C.av_frame_alloc()
	d.pkt = C.av_packet_alloc()
	if d.ctx == nil || d.frame == nil || d.tmp == nil || d.pkt == nil {
		d.Close()
		return nil, fmt.Errorf("%w: out of memory", ErrDecode)
	}
	d.ctx.thread_count = 1
	d.ctx.flags |= C.AV_CODEC_FLAG_LOW_DELAY
	d.ctx.max_pixels = videoMaxPixels
	if r := C.avcodec_open2(d.ctx, dec, nil); r < 0 {
		d.Close()
		return nil, fmt.Errorf("%w: open %v: %s", ErrDecode, codec, averr(r))
	}
	return d, nil
}

// Codec is the decoder's codec.
func (d *Decoder) Codec() Codec { return d.codec }

// SetSkipNonRef makes the decoder skip frames no other frame refers to
// (libavcodec's AVDISCARD_NONREF) while on: they are not decoded at all.
func (d *Decoder) SetSkipNonRef(on bool) {
	if d.ctx == nil {
		return
	}
	if on {
		d.ctx.skip_frame = C.AVDISCARD_NONREF
	} else {
		d.ctx.skip_frame = C.AVDISCARD_DEFAULT
	}
}

// Decode decodes one complete compressed frame (an H.264 access unit in
// Annex-B form, a VP8 frame or a VP9 frame/superframe). It reports whether
// a picture came out; Picture converts it. data is not retained.
func (d *Decoder) Decode(data []byte) (bool, error) {
	if d.ctx == nil {
		return false, fmt.Errorf("%w: decoder closed", ErrDecode)
	}
	if len(data) == 0 {
		return false, fmt.Errorf("%w: empty frame", ErrDecode)
	}
	if len(data) > videoMaxFrameBytes {
		return false, fmt.Errorf("%w: frame of %d bytes", ErrDecode, len(data))
	}
	if need := len(data) + C.AV_INPUT_BUFFER_PADDING_SIZE; need > d.bufN {
		C.av_free(unsafe.Pointer(d.buf))
		d.buf = (*C.uint8_t)(C.av_malloc(C.size_t(need)))
		if d.buf == nil {
			d.bufN = 0
			return false, fmt.Errorf("%w: out of memory", ErrDecode)
		}
		d.bufN = need
	}
	in := unsafe.Slice((*byte)(unsafe.Pointer(d.buf)), d.bufN)
	copy(in, data)
	clear(in[len(data) : len(data)+C.AV_INPUT_BUFFER_PADDING_SIZE])
	r := C.dx_send(d.ctx, d.pkt, d.buf, C.int(len(data)))
	if r < 0 && r != C.dx_eagain() {
		return false, fmt.Errorf("%w: %v: %s", ErrDecode, d.codec, averr(r))
	}
	got := false
	for {
		r = C.avcodec_receive_frame(d.ctx, d.tmp)
		if r == C.dx_eagain() || r == C.dx_eof() {
			break
		}
		if r < 0 {
			return got, fmt.Errorf("%w: %v: %s", ErrDecode, d.codec, averr(r))
		}
		// A later frame replaces an earlier one: the newest is kept.
		C.av_frame_unref(d.frame)
		C.av_frame_move_ref(d.frame, d.tmp)
		got = true
	}
	if got {
		d.have = true
	}
	return got, nil
}

// Picture returns the last decoded picture as full-range 4:2:0 (what
// color.YCbCr and image/jpeg assume), downscaled to fit maxW×maxH (aspect
// kept; <= 0 means no limit), in a new image the caller owns, and the
// decoded size. media.ErrNoVideo if nothing was decoded yet.
func (d *Decoder) Picture(maxW, maxH int) (*image.YCbCr, int, int, error) {
	if d.ctx == nil || !d.have {
		return nil, 0, 0, media.ErrNoVideo
	}
	f := d.frame
	sw, sh := int(f.width), int(f.height)
	if sw <= 0 || sh <= 0 || sw*sh > videoMaxPixels {
		return nil, sw, sh, fmt.Errorf("%w: %dx%d", ErrFrameSize, sw, sh)
	}
	w, h := sw, sh
	if maxW > 0 && maxH > 0 {
		w, h = media.FitWithin(sw, sh, maxW, maxH)
	}
	format := C.enum_AVPixelFormat(f.format)
	if format == C.AV_PIX_FMT_YUV420P || format == C.AV_PIX_FMT_YUVJ420P {
		full := format == C.AV_PIX_FMT_YUVJ420P || f.color_range == C.AVCOL_RANGE_JPEG
		// The decoder's planes, seen in place (valid until the next Decode).
		cw, ch := (sw+1)/2, (sh+1)/2
		ys, cs := int(f.linesize[0]), int(f.linesize[1])
		if ys < sw || cs < cw || int(f.linesize[2]) != cs {
			return nil, sw, sh, fmt.Errorf("%w: odd plane layout", ErrDecode)
		}
		src := &image.YCbCr{
			Y:              unsafe.Slice((*byte)(unsafe.Pointer(f.data[0])), ys*(sh-1)+sw),
			Cb:             unsafe.Slice((*byte)(unsafe.Pointer(f.data[1])), cs*(ch-1)+cw),
			Cr:             unsafe.Slice((*byte)(unsafe.Pointer(f.data[2])), cs*(ch-1)+cw),
			YStride:        ys,
			CStride:        cs,
			SubsampleRatio: image.YCbCrSubsampleRatio420,
			Rect:           image.Rect(0, 0, sw, sh),
		}
		var img *image.YCbCr
		if w != sw || h != sh {
			img = media.ScaleYCbCr420(src, w, h)
		} else {
			img = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
			for y := range sh {
				copy(img.Y[y*img.YStride:y*img.YStride+sw], src.Y[y*ys:])
			}
			for y := range ch {
				copy(img.Cb[y*img.CStride:y*img.CStride+cw], src.Cb[y*cs:])
				copy(img.Cr[y*img.CStride:y*img.CStride+cw], src.Cr[y*cs:])
			}
		}
		if !full {
			media.FullRange(img)
		}
		return img, sw, sh, nil
	}
	// Any other layout (4:2:2, 4:4:4, high bit depth): libswscale converts
	// and scales in one pass.
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	r := C.dx_convert(&d.sws, f, C.int(w), C.int(h),
		(*C.uint8_t)(unsafe.Pointer(&img.Y[0])), (*C.uint8_t)(unsafe.Pointer(&img.Cb[0])),
		(*C.uint8_t)(unsafe.Pointer(&img.Cr[0])), C.int(img.YStride), C.int(img.CStride))
	if r < 0 {
		name := C.GoString(C.av_get_pix_fmt_name(format))
		return nil, sw, sh, fmt.Errorf("%w: convert %s: %s", ErrDecode, name, averr(r))
	}
	return img, sw, sh, nil
}

// Close frees the decoder; safe to call twice.
func (d *Decoder) Close() {
	if d.ctx != nil {
		C.avcodec_free_context(&d.ctx)
	}
	if d.frame != nil {
		C.av_frame_free(&d.frame)
	}
	if d.tmp != nil {
		C.av_frame_free(&d.tmp)
	}
	if d.pkt != nil {
		C.av_packet_free(&d.pkt)
	}
	if d.sws != nil {
		C.sws_freeContext(d.sws)
		d.sws = nil
	}
	C.av_free(unsafe.Pointer(d.buf))
	d.buf, d.bufN, d.have = nil, 0, false
}

func averr(r C.int) string {
	var b [128]C.char
	C.dx_err(r, &b[0], C.size_t(len(b)))
	return C.GoString(&b[0])
}
