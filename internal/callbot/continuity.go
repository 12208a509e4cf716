package callbot

import "time"

const (
	// stallThreshold: inside reply audio, packets arriving more than this
	// apart are a gap, and a frame arriving more than this behind the
	// playout schedule is late.
	stallThreshold = 60 * time.Millisecond
	// burstTail: RTP-contiguous frames up to this long after the last
	// voiced one still belong to the reply (pauses between words).
	burstTail = replyQuiet
)

// Continuity describes how smoothly reply audio arrived. Only reply audio
// counts: a voiced frame (> -45 dBFS), and the frames that follow it
// without a break in the RTP timeline for up to 400 ms (pauses between
// words). A server that sends nothing between replies (Duplex) and one
// that sends silence (aiortc) are measured alike.
type Continuity struct {
	// Frames are the reply packets received.
	Frames int64 `json:"frames"`
	// Gaps count arrivals more than 60 ms after the previous packet of the
	// same reply (a stall of the sender, the network or the receiver).
	Gaps int64 `json:"gaps"`
	// LateFrames missed the playout deadline of a 60 ms jitter buffer: the
	// deadline of a frame is the arrival of its reply's first frame plus
	// its RTP time offset plus 60 ms; after a miss the buffer restarts from
	// the late frame. Slow pacing that adds up (a sender that falls behind
	// a little at every frame) shows here, not as gaps.
	LateFrames int64 `json:"late_frames"`
	// Lost are sequence numbers missing inside reply audio.
	Lost int64 `json:"lost"`
	// GapFraction is Gaps / Frames, LateFraction LateFrames / Frames.
	GapFraction  float64 `json:"gap_fraction"`
	LateFraction float64 `json:"late_fraction"`
	// MaxGapMS is the longest gap.
	MaxGapMS float64 `json:"max_gap_ms"`
}

// Add sums o into c (the longest gap is the longer one) and updates the
// fractions.
func (c *Continuity) Add(o Continuity) {
	c.add(o)
	c.finish()
}

func (c *Continuity) add(o Continuity) {
	c.Frames += o.Frames
	c.Gaps += o.Gaps
	c.LateFrames += o.LateFrames
	c.Lost += o.Lost
	c.MaxGapMS = max(c.MaxGapMS, o.MaxGapMS)
}

func (c *Continuity) finish() {
	if c.Frames > 0 {
		c.GapFraction = float64(c.Gaps) / float64(c.Frames)
		c.LateFraction = float64(c.LateFrames) / float64(c.Frames)
	}
}

// continuityTracker follows one received stream. Not safe for concurrent
// use: the track goroutine owns it.
type continuityTracker struct {
	started   bool
	lastSeq   uint16
	lastTS    uint32
	lastLen   int64 // samples in the previous packet
	lastAt    time.Time
	pos       int64 // RTP time of the current packet, in samples from the first
	voicedPos int64 // RTP time of the last voiced packet
	hasVoiced bool
	inReply   bool // the previous packet belonged to a reply
	anchor    time.Duration
	c         Continuity
}

// offset is when a packet at RTP position pos arrived relative to the
// stream's timeline.
func offset(at time.Time, pos int64) time.Duration {
	return time.Duration(at.UnixNano()) - time.Duration(pos)*time.Second/sampleRate
}

// push records one packet: its sequence number and timestamp, its arrival,
// the samples it decoded to, and whether they were voiced. count false
// (outside the measured window) updates the state without counting.
func (t *continuityTracker) push(seq uint16, ts uint32, at time.Time, samples int, voiced, count bool) {
	if !t.started {
		t.started = true
		t.lastSeq, t.lastTS, t.lastAt, t.lastLen = seq, ts, at, int64(samples)
		if voiced {
			t.hasVoiced, t.voicedPos = true, 0
			t.inReply, t.anchor = true, offset(at, 0)
			if count {
				t.c.Frames++
			}
		}
		return
	}
	seqDelta := int16(seq - t.lastSeq)
	tsDelta := int32(ts - t.lastTS)
	if seqDelta <= 0 || tsDelta < 0 {
		// A duplicate, or reordered after its slot: too late to play.
		if count && t.inReply {
			t.c.LateFrames++
		}
		return
	}
	t.pos += int64(tsDelta)
	contiguous := int64(tsDelta) <= int64(seqDelta)*max(t.lastLen, frameSamples)
	if voiced {
		t.hasVoiced, t.voicedPos = true, t.pos
	}
	cur := voiced || (contiguous && t.hasVoiced && t.pos-t.voicedPos <= int64(burstTail/time.Millisecond)*sampleRate/1000)
	if cur {
		off := offset(at, t.pos)
		if !t.inReply || !contiguous {
			t.anchor = off // a new reply
		} else {
			if count {
				if seqDelta > 1 {
					t.c.Lost += int64(seqDelta - 1)
				}
				if gap := at.Sub(t.lastAt); gap > stallThreshold {
					t.c.Gaps++
					t.c.MaxGapMS = max(t.c.MaxGapMS, float64(gap)/float64(time.Millisecond))
				}
			}
			if off-t.anchor > stallThreshold {
				if count {
					t.c.LateFrames++
				}
				t.anchor = off
			}
		}
		if count {
			t.c.Frames++
		}
	}
	t.inReply = cur
	t.lastSeq, t.lastTS, t.lastAt, t.lastLen = seq, ts, at, int64(samples)
}
