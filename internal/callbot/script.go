package callbot

import (
	"errors"
	"fmt"
	"time"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/media"
)

// replyQuiet: after reply.done or reply.interrupted of a turn, the reply
// audio must have been silent this long before the reply counts as over.
const replyQuiet = 400 * time.Millisecond

type phase int

const (
	phaseLead      phase = iota // lead silence
	phaseSpeak                  // sending turns[turn]
	phaseWait                   // silence until the reply to turns[turn] is over
	phaseGap                    // silence before turns[turn+1]
	phaseBargeWait              // silence until the reply audio + BargeInAfter
	phaseBargeIn                // sending bargeIn
	phaseDone                   // silence until the call ends
)

type frameKind int

const (
	frameSilence frameKind = iota
	frameTurn
	frameBargeIn
)

// script decides what the caller says, frame by frame. It is owned by the
// audio sender goroutine.
type script struct {
	turns   [][]int16 // 48 kHz, whole frames
	bargeIn []int16   // 48 kHz, whole frames; nil = none
	// The level above which a frame of each turn (of the barge-in) is
	// speech (speechLevel).
	turnSpeech  []float64
	bargeSpeech float64
	lead, gap   int // in frames
	bargeAfter  time.Duration
	turnTimeout time.Duration

	phase      phase
	turn       int       // index of the turn being spoken or answered
	pos        int       // frames of the current phase done
	mark       int       // events received before the current turn began
	turnStart  time.Time // when the current turn began
	lastSpeech time.Time // the last speech frame sent (set by the sender)
	audioEnd   time.Time // when the current turn's audio (or wait) ended
}

var silentFrame = make([]int16, frameSamples)

// newScript checks the audio options and converts the audio to 48 kHz
// whole frames.
func newScript(opt Options) (*script, error) {
	turns := opt.Turns
	if len(opt.Audio) > 0 {
		if len(turns) > 0 {
			return nil, errors.New("callbot: set Options.Audio or Options.Turns, not both")
		}
		turns = [][]int16{opt.Audio}
	}
	if (len(turns) > 0 || len(opt.BargeIn) > 0) && opt.AudioRate <= 0 {
		return nil, errors.New("callbot: Options.AudioRate must be set with Turns, Audio or BargeIn")
	}
	if len(opt.BargeIn) > 0 && len(turns) == 0 {
		return nil, errors.New("callbot: Options.BargeIn needs at least one turn to interrupt")
	}
	if opt.BargeInAfter < 0 {
		return nil, errors.New("callbot: Options.BargeInAfter must not be negative")
	}
	conv := func(what string, pcm []int16) ([]int16, error) {
		if len(pcm) == 0 {
			return nil, fmt.Errorf("callbot: %s has no audio", what)
		}
		if opt.AudioRate != sampleRate {
			var err error
			if pcm, err = media.Resample(pcm, opt.AudioRate, sampleRate); err != nil {
				return nil, fmt.Errorf("callbot: %s: resample %d Hz → %d Hz: %w", what, opt.AudioRate, sampleRate, err)
			}
		}
		n := (len(pcm) + frameSamples - 1) / frameSamples * frameSamples
		out := make([]int16, n)
		copy(out, pcm)
		return out, nil
	}
	s := &script{bargeAfter: opt.BargeInAfter, turnTimeout: opt.TurnTimeout}
	if opt.Lead > 0 {
		s.lead = int(opt.Lead / media.FrameDuration)
	}
	if opt.Gap > 0 {
		s.gap = int(opt.Gap / media.FrameDuration)
	}
	total := s.lead * frameSamples
	for i, t := range turns {
		pcm, err := conv(fmt.Sprintf("turn %d", i+1), t)
		if err != nil {
			return nil, err
		}
		s.turns = append(s.turns, pcm)
		s.turnSpeech = append(s.turnSpeech, speechLevel(pcm))
		total += len(pcm)
	}
	if len(opt.BargeIn) > 0 {
		pcm, err := conv("the barge-in", opt.BargeIn)
		if err != nil {
			return nil, err
		}
		s.bargeIn, s.bargeSpeech = pcm, speechLevel(pcm)
		total += len(pcm)
	}
	if total > maxReceivedSamples {
		return nil, fmt.Errorf("callbot: %s of audio is more than the %s limit", time.Duration(total/sampleRate)*time.Second, time.Duration(maxReceivedSamples/sampleRate)*time.Second)
	}
	return s, nil
}

// frame returns the pos-th frame of pcm and true, or false past its end.
func frame(pcm []int16, pos int) ([]int16, bool) {
	if (pos+1)*frameSamples > len(pcm) {
		return nil, false
	}
	return pcm[pos*frameSamples : (pos+1)*frameSamples], true
}

// isSpeech reports whether the frame next just returned, of kind and at
// level dBFS, is the caller's speech.
func (s *script) isSpeech(kind frameKind, level float64) bool {
	switch kind {
	case frameTurn:
		return level > s.turnSpeech[s.turn]
	case frameBargeIn:
		return level > s.bargeSpeech
	}
	return false
}

// next returns the frame to send now.
func (s *script) next(c *call, now time.Time) ([]int16, frameKind) {
	for {
		switch s.phase {
		case phaseLead:
			if s.pos < s.lead {
				s.pos++
				return silentFrame, frameSilence
			}
			if len(s.turns) == 0 {
				s.phase = phaseDone
				continue
			}
			s.startTurn(c, 0, now)
		case phaseSpeak:
			if f, ok := frame(s.turns[s.turn], s.pos); ok {
				s.pos++
				return f, frameTurn
			}
			s.audioEnd = now
			from := s.lastSpeech
			if from.Before(s.turnStart) || from.IsZero() {
				from = now // a turn without speech
			}
			c.watchReply(from)
			switch {
			case s.turn < len(s.turns)-1:
				s.phase = phaseWait
			case s.bargeIn != nil:
				s.phase = phaseBargeWait
			default:
				s.phase = phaseDone
			}
		case phaseWait:
			if !c.replyOver(s.mark, now) {
				if now.Sub(s.audioEnd) < s.turnTimeout {
					return silentFrame, frameSilence
				}
				c.addErr("turn %d: the reply was not over %s after the turn was spoken; going on", s.turn+1, s.turnTimeout)
			}
			s.phase, s.pos = phaseGap, 0
		case phaseGap:
			if s.pos < s.gap {
				s.pos++
				return silentFrame, frameSilence
			}
			s.startTurn(c, s.turn+1, now)
		case phaseBargeWait:
			first := c.firstReplyAudio()
			if first.IsZero() {
				if now.Sub(s.audioEnd) < s.turnTimeout {
					return silentFrame, frameSilence
				}
				c.addErr("barge-in: no reply audio %s after turn %d was spoken; not barging in", s.turnTimeout, s.turn+1)
				s.phase = phaseDone
				continue
			}
			if now.Before(first.Add(s.bargeAfter)) {
				return silentFrame, frameSilence
			}
			c.log.Debug().Dur("after_reply_start", now.Sub(first)).Msg("barging in")
			s.phase, s.pos = phaseBargeIn, 0
		case phaseBargeIn:
			if f, ok := frame(s.bargeIn, s.pos); ok {
				s.pos++
				return f, frameBargeIn
			}
			s.phase = phaseDone
		default: // phaseDone
			return silentFrame, frameSilence
		}
	}
}

func (s *script) startTurn(c *call, i int, now time.Time) {
	s.phase, s.turn, s.pos = phaseSpeak, i, 0
	s.turnStart = now
	c.mu.Lock()
	s.mark = len(c.events)
	c.mu.Unlock()
	c.log.Debug().Int("turn", i+1).Msg("speaking")
}

// watchReply arms the watch for the first voiced reply frame arriving at or
// after from.
func (c *call) watchReply(from time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.watchFrom, c.watchFirst = from, time.Time{}
}

func (c *call) firstReplyAudio() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.watchFirst
}

// replyOver reports whether the reply to the turn whose events start at
// index mark is over.
func (c *call) replyOver(mark int, now time.Time) bool {
	c.mu.Lock()
	var evs []timedEvent
	if mark <= len(c.events) {
		evs = c.events[mark:]
	}
	first := c.watchFirst
	over := replyOver(evs, first, c.lastVoicedTime(), now)
	c.mu.Unlock()
	return over
}

func (c *call) lastVoicedTime() time.Time {
	if v := c.lastVoiced.Load(); v != 0 {
		return time.Unix(0, v)
	}
	return time.Time{}
}

// replyOver: evs are the events since the turn began, firstVoiced the
// first voiced reply frame after its speech (zero: none yet), lastVoiced
// the latest voiced frame. The reply is over when
//
//   - reply.done or reply.interrupted of the turn arrived and the reply
//     audio has been quiet for replyQuiet since (the turn is the turn_id of
//     the first transcript.final after a state user_speaking, or of the
//     first transcript.final if the server sent no user_speaking; after
//     that turn's reply.interrupted, a later transcript.final's turn), or
//   - state listening arrived after a reply: after state speaking, a reply
//     event of the turn or the first voiced reply frame.
func replyOver(evs []timedEvent, firstVoiced, lastVoiced, now time.Time) bool {
	userSpoke := false
	for _, e := range evs {
		if e.ev.Type == events.TypeState && e.ev.State == events.StateUserSpeaking {
			userSpoke = true
			break
		}
	}
	var (
		id                int
		haveID, heardUser bool
		replied, cut      bool // cut: the turn's reply was interrupted
		doneAt            time.Time
	)
	for _, e := range evs {
		switch e.ev.Type {
		case events.TypeState:
			switch e.ev.State {
			case events.StateUserSpeaking:
				heardUser = true
			case events.StateSpeaking:
				replied = true
			case events.StateListening:
				if replied || (!firstVoiced.IsZero() && !firstVoiced.After(e.at)) {
					return true
				}
			}
		case events.TypeTranscriptFinal:
			switch {
			case !haveID && (heardUser || !userSpoke):
				id, haveID = e.ev.TurnID, true
			case haveID && cut && e.ev.TurnID > id:
				// The turn's reply was cut by the rest of what the caller
				// said (a pause inside it ended a turn): the reply to the
				// rest is the one to wait for.
				id, cut, replied, doneAt = e.ev.TurnID, false, false, time.Time{}
			}
		case events.TypeReplyDelta, events.TypeReplyDone, events.TypeReplyInterrupted:
			if !haveID || e.ev.TurnID != id {
				continue
			}
			replied = true
			if e.ev.Type != events.TypeReplyDelta && doneAt.IsZero() {
				doneAt = e.at
				cut = e.ev.Type == events.TypeReplyInterrupted
			}
		}
	}
	if doneAt.IsZero() {
		return false
	}
	quiet := doneAt
	if lastVoiced.After(quiet) {
		quiet = lastVoiced
	}
	return now.Sub(quiet) >= replyQuiet
}
