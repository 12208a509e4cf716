package callbot

import (
	"math"
	"sort"
	"time"

	"github.com/duplex-ai/duplex/events"
)

// interruptGrace: reply audio arriving this long after reply.interrupted
// still counts as the interrupted reply (RTP and the data channel are not
// ordered with each other).
const interruptGrace = 100 * time.Millisecond

// bargeTail: reply audio arriving this long after the last speech frame of
// the barge-in is the next reply's (the adaptive end of turn may answer
// 120 ms after the speech; the old reply stopped well before the end of
// any barge-in utterance).
const bargeTail = 100 * time.Millisecond

// timedEvent is a server event with the wall-clock time it arrived.
type timedEvent struct {
	at time.Time
	ev events.Event
}

type turnAcc struct {
	Turn
	opened   time.Time
	final    time.Time
	hasFinal bool

	// Speech turns, opened by state user_speaking.
	bySpeech bool
	ended    time.Time // the state event that ended user_speaking
	expired  bool      // may no longer take a transcript.final
	hasID    bool      // a turn_id maps to it

	interruptedAt time.Time // arrival of reply.interrupted
}

// buildTurns folds the event stream into turns, in the order they opened.
//
// Speech turns: a state user_speaking opens a turn; the next state event
// ends its utterance. A transcript.final of a new turn_id merges into the
// latest speech turn whose utterance ended, if that one has no transcript
// yet and has not expired (so the assistant pipeline, which sends
// user_speaking before transcript.final, gets one turn, not two); a
// speech turn expires when a listening, or a speaking other than the one
// that ended the utterance, arrives before its transcript (noise, a
// backchannel, an empty transcript). If any speech turn got a transcript
// the call has transcripts and speech turns without one are dropped;
// otherwise (the echo pipeline) every speech turn is kept, with an empty
// User.
//
// Transcript turns: a transcript.final that merges with no speech turn
// opens a turn, as does the first reply.delta of a new turn_id (and, so
// that no reply text is lost, a reply.done carrying text for an unknown
// turn_id). A reply event or turn.metrics of an unknown turn_id is first
// bound to the latest speech turn that ended and has neither transcript
// nor turn_id (the reply under way in a pipeline without transcripts).
// reply.delta appends to Reply; the text of reply.done (the whole reply,
// docs/protocol.md) replaces it, as does the optional text of
// reply.interrupted, which also sets Interrupted and Heard; turn.metrics
// sets ServerLatencyMS. Other events of unknown turn ids are ignored.
//
// speech holds the send times of the caller's speech frames, voiced the
// arrival times of non-silent reply frames, both ascending. LatencyMS runs
// from the caller's last speech frame before the turn's anchor to the first
// voiced reply frame at or after the anchor and before the next turn
// opened. The anchor of a turn with a transcript.final is its first
// transcript.final; that of a speech turn without one is the end of its
// utterance. Turns without an anchor (typed input), without prior speech or
// without reply audio have no latency (0), nor has a speech turn the server
// cut in a pause: the caller spoke again after its utterance ended and
// before its reply audio, and the server heard it (a later user_speaking);
// its last speech frame before the anchor is the rest's, its reply began
// over it.
//
// bargeIn is the send time of the first speech frame of the barge-in
// audio, zero if none. The first turn whose reply.interrupted arrived after
// it gets BargeInStopMS: from bargeIn to the last voiced reply frame that
// arrived after the turn's anchor and by the reply.interrupted (plus
// interruptGrace); 0 if the reply had gone quiet before bargeIn.
func buildTurns(evs []timedEvent, speech, voiced []time.Time, bargeIn time.Time) []Turn {
	var acc []*turnAcc
	byID := map[int]*turnAcc{}
	var cur *turnAcc // speech turn whose user_speaking is on
	bind := func(id int, t *turnAcc) {
		byID[id] = t
		t.hasID = true
	}
	// replyTurn: the latest speech turn that ended and has no turn id.
	replyTurn := func() *turnAcc {
		for i := len(acc) - 1; i >= 0; i-- {
			if t := acc[i]; t.bySpeech && !t.ended.IsZero() && !t.hasID && !t.hasFinal {
				return t
			}
		}
		return nil
	}
	// mergeTarget: the earliest of the speech turns that ended since the
	// last one with a transcript or turn id, if it may still take a
	// transcript.final (the first part of a turn cut in a pause may end
	// after the rest was spoken: its transcript is the first part's).
	mergeTarget := func() *turnAcc {
		var target *turnAcc
		for i := len(acc) - 1; i >= 0; i-- {
			t := acc[i]
			if !t.bySpeech || t.ended.IsZero() {
				continue
			}
			if t.hasFinal || t.hasID || t.expired {
				break
			}
			target = t
		}
		return target
	}
	get := func(e timedEvent, open bool) *turnAcc {
		if t, ok := byID[e.ev.TurnID]; ok {
			return t
		}
		if t := replyTurn(); t != nil {
			bind(e.ev.TurnID, t)
			return t
		}
		if !open {
			return nil
		}
		t := &turnAcc{opened: e.at}
		bind(e.ev.TurnID, t)
		acc = append(acc, t)
		return t
	}
	for _, e := range evs {
		switch e.ev.Type {
		case events.TypeState:
			if e.ev.State == events.StateUserSpeaking {
				if cur == nil {
					cur = &turnAcc{opened: e.at, bySpeech: true}
					acc = append(acc, cur)
				}
				continue
			}
			if cur != nil {
				cur.ended, cur = e.at, nil
				continue // the transition itself expires nothing
			}
			if e.ev.State == events.StateListening || e.ev.State == events.StateSpeaking {
				for _, t := range acc {
					if t.bySpeech && !t.ended.IsZero() && !t.hasFinal {
						t.expired = true
					}
				}
			}
		case events.TypeTranscriptFinal:
			t, ok := byID[e.ev.TurnID]
			if !ok {
				if t = mergeTarget(); t == nil {
					t = &turnAcc{opened: e.at}
					acc = append(acc, t)
				}
				bind(e.ev.TurnID, t)
			}
			if e.ev.Text != "" {
				if t.User != "" {
					t.User += " "
				}
				t.User += e.ev.Text
			}
			if !t.hasFinal {
				t.hasFinal, t.final = true, e.at
			}
		case events.TypeReplyDelta:
			get(e, true).Reply += e.ev.Text
		case events.TypeReplyDone:
			t := get(e, e.ev.Text != "")
			if t == nil || e.ev.Text == "" {
				continue
			}
			t.Reply = e.ev.Text // the whole reply; replaces the deltas
		case events.TypeReplyInterrupted:
			if t := get(e, false); t != nil {
				t.Interrupted = true
				t.Heard = e.ev.Heard
				if t.interruptedAt.IsZero() {
					t.interruptedAt = e.at
				}
				if e.ev.Text != "" {
					t.Reply = e.ev.Text // what was generated before the cut
				}
			}
		case events.TypeTurnMetrics:
			if t := get(e, false); t != nil && e.ev.Metrics != nil {
				t.ServerLatencyMS = e.ev.Metrics.LatencyMS
			}
		}
	}

	transcripts := false
	for _, t := range acc {
		if t.bySpeech && t.hasFinal {
			transcripts = true
		}
	}
	all := append([]*turnAcc(nil), acc...)
	// heardAgain: the server heard the caller again after t's utterance.
	heardAgain := func(t *turnAcc) bool {
		for _, u := range all {
			if u.bySpeech && u.opened.After(t.ended) {
				return true
			}
		}
		return false
	}
	kept := acc[:0]
	for _, t := range acc {
		if t.bySpeech && !t.hasFinal && transcripts {
			continue
		}
		kept = append(kept, t)
	}
	acc = kept

	turns := make([]Turn, len(acc))
	bargeDone := bargeIn.IsZero()
	for i, t := range acc {
		anchor := t.ended
		if t.hasFinal {
			anchor = t.final
		}
		if !anchor.IsZero() {
			var bound time.Time
			if i+1 < len(acc) {
				bound = acc[i+1].opened
			}
			t.LatencyMS = clientLatency(anchor, bound, speech, voiced)
			if t.LatencyMS > 0 && !t.ended.IsZero() && heardAgain(t) && spokeBefore(speech, voiced, t.ended, anchor) {
				t.LatencyMS = 0 // cut in a pause: the reply began over the rest
			}
		}
		if !bargeDone && !t.interruptedAt.IsZero() && !t.interruptedAt.Before(bargeIn) {
			bargeDone = true
			from := anchor
			if from.IsZero() {
				from = t.opened
			}
			// Audio after the next turn's transcript belongs to the next
			// reply (the server sends the transcript before its audio).
			until := t.interruptedAt.Add(interruptGrace)
			if i+1 < len(acc) && acc[i+1].hasFinal && acc[i+1].final.Before(until) {
				until = acc[i+1].final
			}
			// Nor can audio that arrives well after the barge-in utterance
			// ended be the old reply's: the server waits out at least its
			// end-of-turn silence before the next reply, whose first frame
			// may beat the events above to the client.
			next := time.Time{}
			if i+1 < len(acc) {
				next = acc[i+1].final
			}
			if end := lastSpeechBefore(speech, bargeIn, next); !end.IsZero() && end.Add(bargeTail).Before(until) {
				until = end.Add(bargeTail)
			}
			v := bargeInStop(bargeIn, from, until, voiced)
			t.BargeInStopMS = &v
		}
		turns[i] = t.Turn
	}
	return turns
}

// clientLatency: from the last speech frame sent before anchor to the first
// voiced frame received in [anchor, bound) (bound zero = unbounded), in ms.
func clientLatency(anchor, bound time.Time, speech, voiced []time.Time) float64 {
	i := sort.Search(len(speech), func(i int) bool { return !speech[i].Before(anchor) })
	if i == 0 {
		return 0
	}
	last := speech[i-1]
	j := sort.Search(len(voiced), func(j int) bool { return !voiced[j].Before(anchor) })
	if j == len(voiced) || (!bound.IsZero() && !voiced[j].Before(bound)) {
		return 0
	}
	return roundMS(voiced[j].Sub(last))
}

// spokeBefore reports whether a speech frame was sent at or after ended
// and before the first voiced frame received at or after anchor.
func spokeBefore(speech, voiced []time.Time, ended, anchor time.Time) bool {
	i := sort.Search(len(speech), func(i int) bool { return !speech[i].Before(ended) })
	j := sort.Search(len(voiced), func(j int) bool { return !voiced[j].Before(anchor) })
	return i < len(speech) && j < len(voiced) && speech[i].Before(voiced[j])
}

// lastSpeechBefore returns the last speech frame sent at or after from and
// before bound (zero bound: no bound), or zero.
func lastSpeechBefore(speech []time.Time, from, bound time.Time) time.Time {
	var last time.Time
	for _, s := range speech {
		if s.Before(from) {
			continue
		}
		if !bound.IsZero() && !s.Before(bound) {
			break
		}
		last = s
	}
	return last
}

// bargeInStop: from bargeIn to the last voiced frame received in
// [from, until], in ms; 0 when that frame came before bargeIn or there is
// none.
func bargeInStop(bargeIn, from, until time.Time, voiced []time.Time) float64 {
	j := sort.Search(len(voiced), func(j int) bool { return voiced[j].After(until) })
	if j == 0 || voiced[j-1].Before(from) || !voiced[j-1].After(bargeIn) {
		return 0
	}
	return roundMS(voiced[j-1].Sub(bargeIn))
}

func roundMS(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*10) / 10
}

// percentiles uses the nearest-rank method over the positive values.
func percentiles(v []float64) Percentiles {
	var s []float64
	for _, x := range v {
		if x > 0 {
			s = append(s, x)
		}
	}
	return nearestRank(s)
}

// nearestRank summarises s (any values); s is sorted in place.
func nearestRank(s []float64) Percentiles {
	if len(s) == 0 {
		return Percentiles{}
	}
	sort.Float64s(s)
	rank := func(p float64) float64 {
		k := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(0, min(k, len(s)-1))]
	}
	return Percentiles{P50: rank(0.50), P95: rank(0.95), Max: s[len(s)-1]}
}
