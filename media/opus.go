package media

import (
	"fmt"

	"github.com/hraban/opus"
)

const (
	// maxOpusPacket is the largest Opus packet libopus produces (1275 bytes
	// per frame); the buffer leaves room for stereo at high bitrates.
	maxOpusPacket = 4000
	// maxOpusDuration is 120 ms, the longest Opus packet, in samples at 48 kHz.
	maxOpusDuration = 5760
)

// EncoderOptions configures an OpusEncoder. The zero value is usable.
type EncoderOptions struct {
	// Bitrate in bits per second; default 32000.
	Bitrate int
	// FEC turns on in-band forward error correction (LBRR), which lets the
	// receiver recover one lost packet from the next one.
	FEC bool
	// PacketLossPercent is the expected loss (0..100) the encoder plans
	// FEC for; default 0 (libopus then adds FEC only when told to expect loss,
	// so set it together with FEC, e.g. 10).
	PacketLossPercent int
	// Application is "voip" (default: speech-tuned, SILK/hybrid), "audio"
	// (music-tuned) or "lowdelay" (restricted low delay: CELT only).
	Application string
	// Complexity is libopus's computational complexity, 1..10; 0 keeps the
	// library default (10). On speech at 32 kbps, 5 costs about half the
	// CPU of 10 (BenchmarkOpusEncodeSpeech) for a small loss of quality;
	// WebRTC uses 5 to 9 depending on the device.
	Complexity int
}

// OpusEncoder encodes 20 ms frames with libopus. One per stream; not safe for
// concurrent use.
type OpusEncoder struct {
	enc      *opus.Encoder
	frameLen int // samples per 20 ms frame, all channels
	out      []byte
}

// NewOpusEncoder returns an encoder for sampleRate (8, 12, 16, 24 or 48 kHz)
// and 1 or 2 channels.
func NewOpusEncoder(sampleRate, channels int, opt EncoderOptions) (*OpusEncoder, error) {
	if !validOpusRate(sampleRate) {
		return nil, fmt.Errorf("%w: opus %d Hz", ErrInvalidSampleRate, sampleRate)
	}
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("%w: %d", ErrInvalidChannels, channels)
	}
	if opt.Bitrate == 0 {
		opt.Bitrate = 32000
	}
	if opt.Bitrate < 500 || opt.Bitrate > 512000 {
		return nil, fmt.Errorf("%w: bitrate %d", ErrInvalidOption, opt.Bitrate)
	}
	if opt.Complexity < 0 || opt.Complexity > 10 {
		return nil, fmt.Errorf("%w: complexity %d", ErrInvalidOption, opt.Complexity)
	}
	if opt.PacketLossPercent < 0 || opt.PacketLossPercent > 100 {
		return nil, fmt.Errorf("%w: packet loss %d%%", ErrInvalidOption, opt.PacketLossPercent)
	}
	var app opus.Application
	switch opt.Application {
	case "", "voip":
		app = opus.AppVoIP
	case "audio":
		app = opus.AppAudio
	case "lowdelay", "restricted-lowdelay":
		app = opus.AppRestrictedLowdelay
	default:
		return nil, fmt.Errorf("%w: application %q", ErrInvalidOption, opt.Application)
	}
	enc, err := opus.NewEncoder(sampleRate, channels, app)
	if err != nil {
		return nil, fmt.Errorf("%w: new encoder: %w", ErrOpus, err)
	}
	if err := enc.SetBitrate(opt.Bitrate); err != nil {
		return nil, fmt.Errorf("%w: set bitrate: %w", ErrOpus, err)
	}
	if err := enc.SetInBandFEC(opt.FEC); err != nil {
		return nil, fmt.Errorf("%w: set fec: %w", ErrOpus, err)
	}
	if err := enc.SetPacketLossPerc(opt.PacketLossPercent); err != nil {
		return nil, fmt.Errorf("%w: set packet loss: %w", ErrOpus, err)
	}
	if opt.Complexity != 0 {
		if err := enc.SetComplexity(opt.Complexity); err != nil {
			return nil, fmt.Errorf("%w: set complexity: %w", ErrOpus, err)
		}
	}
	return &OpusEncoder{
		enc:      enc,
		frameLen: sampleRate / 50 * channels,
		out:      make([]byte, maxOpusPacket),
	}, nil
}

// Encode encodes exactly one 20 ms frame (sampleRate/50·channels interleaved
// samples). The returned slice is valid until the next call.
func (e *OpusEncoder) Encode(pcm []int16) ([]byte, error) {
	if len(pcm) != e.frameLen {
		return nil, fmt.Errorf("%w: got %d samples, want %d", ErrFrameSize, len(pcm), e.frameLen)
	}
	n, err := e.enc.Encode(pcm, e.out)
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %w", ErrOpus, err)
	}
	return e.out[:n], nil
}

// OpusDecoder decodes Opus packets with libopus, including packet loss
// concealment and in-band FEC. One per stream; not safe for concurrent use.
type OpusDecoder struct {
	dec        *opus.Decoder
	sampleRate int
	channels   int
	pcm        []int16
}

// NewOpusDecoder returns a decoder producing sampleRate (8, 12, 16, 24 or
// 48 kHz) PCM with 1 or 2 interleaved channels. libopus down- or up-mixes as
// needed, so a stereo stream decodes to mono.
func NewOpusDecoder(sampleRate, channels int) (*OpusDecoder, error) {
	if !validOpusRate(sampleRate) {
		return nil, fmt.Errorf("%w: opus %d Hz", ErrInvalidSampleRate, sampleRate)
	}
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("%w: %d", ErrInvalidChannels, channels)
	}
	dec, err := opus.NewDecoder(sampleRate, channels)
	if err != nil {
		return nil, fmt.Errorf("%w: new decoder: %w", ErrOpus, err)
	}
	return &OpusDecoder{
		dec:        dec,
		sampleRate: sampleRate,
		channels:   channels,
		pcm:        make([]int16, maxOpusDuration*channels),
	}, nil
}

// Decode decodes one packet into interleaved PCM; the slice is valid until
// the next call.
func (d *OpusDecoder) Decode(payload []byte) ([]int16, error) {
	if len(payload) == 0 {
		return nil, ErrEmptyPayload
	}
	n, err := d.dec.Decode(payload, d.pcm)
	if err != nil {
		return nil, fmt.Errorf("%w: decode: %w", ErrOpus, err)
	}
	return d.pcm[:n*d.channels], nil
}

// DecodeFEC recovers the packet BEFORE payload from payload's in-band FEC
// data. samples is the duration to recover, per channel (960 for 20 ms at
// 48 kHz); it must be a multiple of 2.5 ms. When the lost span is longer than
// one packet, libopus conceals the earlier part with PLC. Without FEC data
// it falls back to PLC. The slice is valid until the next call.
func (d *OpusDecoder) DecodeFEC(payload []byte, samples int) ([]int16, error) {
	if len(payload) == 0 {
		return nil, ErrEmptyPayload
	}
	buf, err := d.concealBuf(samples)
	if err != nil {
		return nil, err
	}
	if err := d.dec.DecodeFEC(payload, buf); err != nil {
		return nil, fmt.Errorf("%w: decode fec: %w", ErrOpus, err)
	}
	return buf, nil
}

// DecodePLC synthesises samples (per channel, a multiple of 2.5 ms) of
// concealment audio continuing the last decoded packet. The slice is valid
// until the next call.
func (d *OpusDecoder) DecodePLC(samples int) ([]int16, error) {
	buf, err := d.concealBuf(samples)
	if err != nil {
		return nil, err
	}
	if err := d.dec.DecodePLC(buf); err != nil {
		return nil, fmt.Errorf("%w: decode plc: %w", ErrOpus, err)
	}
	return buf, nil
}

// concealBuf returns a buffer whose capacity is exactly samples·channels:
// libopus takes the frame size for PLC/FEC from the buffer capacity.
func (d *OpusDecoder) concealBuf(samples int) ([]int16, error) {
	step := d.sampleRate / 400
	if samples <= 0 || samples%step != 0 || samples > d.sampleRate*120/1000 {
		return nil, fmt.Errorf("%w: %d samples at %d Hz", ErrFrameSize, samples, d.sampleRate)
	}
	n := samples * d.channels
	return d.pcm[:n:n], nil
}

func validOpusRate(r int) bool {
	switch r {
	case 8000, 12000, 16000, 24000, 48000:
		return true
	}
	return false
}
