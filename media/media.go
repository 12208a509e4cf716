// Package media turns caller audio (RTP/Opus) into 16 kHz PCM frames for the
// pipeline and assistant speech (PCM at any rate) into paced Opus samples for a
// WebRTC track.
//
// Inbound:  RTP/Opus → AudioReceiver (reorder, conceal, decode 48 kHz,
// resample to 16 kHz, cut into 20 ms frames).
// Outbound: PCM → PacedWriter (resample to 48 kHz, encode 20 ms Opus frames,
// one write per 20 ms tick, ClearQueue for barge-in).
package media

import "time"

const (
	// OpusSampleRate is the RTP clock rate and decode rate of Opus.
	OpusSampleRate = 48000
	// PipelineSampleRate is the rate of the PCM handed to VAD and STT.
	PipelineSampleRate = 16000
	// FrameDuration is the duration of one pipeline frame and one Opus packet.
	FrameDuration = 20 * time.Millisecond
	// FrameSamples is the number of samples of one frame: 20 ms at 16 kHz mono.
	FrameSamples = 320

	// opusFrameSamples is 20 ms at 48 kHz, per channel.
	opusFrameSamples = OpusSampleRate / 50
)

// Frame is 20 ms of 16 kHz mono PCM from the caller.
type Frame struct {
	// PCM holds FrameSamples samples; it is a fresh slice the receiver of the
	// Frame owns.
	PCM []int16
	// At is the media time of the frame's first sample since the stream's
	// first frame, derived from RTP timestamps and frame counts (never from
	// the wall clock).
	At time.Duration
	// Concealed reports that (part of) the frame was produced by packet loss
	// concealment or FEC instead of a received packet.
	Concealed bool
}

// samplesToDuration converts a sample count at rate into a duration without
// accumulating rounding error.
func samplesToDuration(n int64, rate int) time.Duration {
	return time.Duration(n * int64(time.Second) / int64(rate))
}
