package callbot

import (
	"fmt"
	"time"

	"github.com/pion/rtp"
)

const (
	sampleRate   = 48000
	frameSamples = sampleRate / 50 // 20 ms
	// maxReceivedSamples bounds the recording (10 minutes), whatever RTP
	// timestamps the server sends.
	maxReceivedSamples = 10 * 60 * sampleRate
	// maxConcealed is the longest loss (in packets) filled with PLC; longer
	// gaps become silence.
	maxConcealed = 5
)

// opusDecoder is the part of media.OpusDecoder the receiver uses.
type opusDecoder interface {
	Decode(payload []byte) ([]int16, error)
	DecodePLC(samples int) ([]int16, error)
}

// receiver decodes the server's Opus RTP onto a timeline that starts at the
// arrival of the first packet and advances with the RTP timestamps, so
// pauses in the server's stream (timestamp jumps) become silence. Lost
// packets (sequence gaps) are concealed with PLC. Not safe for concurrent
// use: one goroutine owns it until the call is over.
type receiver struct {
	dec opusDecoder
	// onPCM, if set, gets every decoded packet and its arrival (the
	// speaker of an echo path).
	onPCM func(pcm []int16, at time.Time)

	started      bool
	firstArrival time.Time
	lastSeq      uint16
	lastTS       uint32
	pos          int64 // timeline position of the last packet, in samples
	lastLen      int   // samples decoded from the last packet

	buf           []int16
	voicedSamples int64
	samples       int64       // every decoded sample of a received packet
	voiced        []time.Time // arrival of each voiced packet

	packets, late, lost, decodeErrs int
	firstErr                        error
	overflow                        bool
}

func (r *receiver) push(p *rtp.Packet, at time.Time) {
	if len(p.Payload) == 0 {
		return
	}
	r.packets++
	if !r.started {
		r.started, r.firstArrival = true, at
		r.lastSeq, r.lastTS = p.SequenceNumber, p.Timestamp
		r.decode(p.Payload, 0, at)
		return
	}
	seqDelta := int16(p.SequenceNumber - r.lastSeq)
	tsDelta := int32(p.Timestamp - r.lastTS)
	if seqDelta <= 0 || tsDelta < 0 {
		r.late++ // duplicate or reordered after its slot: drop
		return
	}
	prevEnd := r.pos + int64(r.lastLen)
	r.pos += int64(tsDelta)
	r.lastSeq, r.lastTS = p.SequenceNumber, p.Timestamp
	if missing := int(seqDelta) - 1; missing > 0 {
		r.lost += missing
		if missing <= maxConcealed && r.lastLen > 0 {
			for k := 0; k < missing && prevEnd < r.pos; k++ {
				n := min(r.lastLen, int(r.pos-prevEnd))
				pcm, err := r.dec.DecodePLC(n)
				if err != nil {
					r.fail(fmt.Errorf("PLC: %w", err))
					break
				}
				r.place(prevEnd, pcm)
				prevEnd += int64(len(pcm))
			}
		}
	}
	r.decode(p.Payload, r.pos, at)
}

func (r *receiver) decode(payload []byte, pos int64, at time.Time) {
	pcm, err := r.dec.Decode(payload)
	if err != nil {
		r.fail(err)
		r.lastLen = 0
		return
	}
	r.lastLen = len(pcm)
	r.samples += int64(len(pcm))
	if r.onPCM != nil {
		r.onPCM(pcm, at)
	}
	if dbfs(pcm) > voicedDBFS {
		r.voicedSamples += int64(len(pcm))
		r.voiced = append(r.voiced, at)
	}
	r.place(pos, pcm)
}

func (r *receiver) fail(err error) {
	r.decodeErrs++
	if r.firstErr == nil {
		r.firstErr = err
	}
}

// place copies pcm to the timeline at pos, filling any gap with silence.
func (r *receiver) place(pos int64, pcm []int16) {
	end := pos + int64(len(pcm))
	if pos < 0 || end > maxReceivedSamples {
		r.overflow = true
		return
	}
	if n := int(end); n > len(r.buf) {
		if n > cap(r.buf) {
			nb := make([]int16, n, max(n, 2*cap(r.buf), sampleRate))
			copy(nb, r.buf)
			r.buf = nb
		} else {
			clear(r.buf[len(r.buf):n])
			r.buf = r.buf[:n]
		}
	}
	copy(r.buf[pos:end], pcm)
}

// timeline returns the recording aligned so that sample 0 is t0: the
// first packet is placed at its wall-clock arrival relative to t0.
func (r *receiver) timeline(t0 time.Time) []int16 {
	if !r.started || t0.IsZero() {
		return r.buf
	}
	shift := int64(r.firstArrival.Sub(t0).Seconds()*sampleRate + 0.5)
	if r.firstArrival.Before(t0) {
		shift = -int64(t0.Sub(r.firstArrival).Seconds()*sampleRate + 0.5)
	}
	switch {
	case shift >= 0:
		if shift+int64(len(r.buf)) > maxReceivedSamples {
			shift = max(0, maxReceivedSamples-int64(len(r.buf)))
		}
		out := make([]int16, int(shift)+len(r.buf))
		copy(out[shift:], r.buf)
		return out
	case -shift >= int64(len(r.buf)):
		return nil
	default:
		return r.buf[-shift:]
	}
}

// problems describes decoding trouble for Result.Errors.
func (r *receiver) problems() []string {
	var out []string
	if r.decodeErrs > 0 {
		out = append(out, fmt.Sprintf("audio: %d of %d packets failed to decode (first: %v)", r.decodeErrs, r.packets, r.firstErr))
	}
	if r.overflow {
		out = append(out, fmt.Sprintf("audio: received audio beyond the %s recording limit was dropped", time.Duration(maxReceivedSamples/sampleRate)*time.Second))
	}
	return out
}
