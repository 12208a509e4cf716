package callbot

import (
	"math"
	"sort"
	"time"

	"github.com/duplex-ai/duplex/events"
)

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
}

// buildTurns folds the event stream into turns, in the order they opened.
//
// A turn opens on transcript.final or on the first reply.delta of a new
// turn_id (and, so that no reply text is lost, on a reply.done carrying
// text for an unknown turn_id). reply.delta appends to Reply; the text of
// reply.done (the whole reply, docs/protocol.md) replaces it, as does the
// optional text of reply.interrupted, which also sets Interrupted and
// Heard; turn.metrics sets
// ServerLatencyMS. Events for turn ids that never opened are ignored.
//
// speech holds the send times of the caller's speech frames, voiced the
// arrival times of non-silent reply frames, both ascending. A turn's
// LatencyMS runs from the last speech frame sent before its first
// transcript.final arrived to the first voiced reply frame that arrived at
// or after that transcript.final and before the next turn opened. Turns
// without a transcript.final (typed input), without prior speech or
// without reply audio have no latency (0).
func buildTurns(evs []timedEvent, speech, voiced []time.Time) []Turn {
	var acc []*turnAcc
	byID := map[int]*turnAcc{}
	get := func(e timedEvent, open bool) *turnAcc {
		if t, ok := byID[e.ev.TurnID]; ok {
			return t
		}
		if !open {
			return nil
		}
		t := &turnAcc{opened: e.at}
		byID[e.ev.TurnID] = t
		acc = append(acc, t)
		return t
	}
	for _, e := range evs {
		switch e.ev.Type {
		case events.TypeTranscriptFinal:
			t := get(e, true)
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
	turns := make([]Turn, len(acc))
	for i, t := range acc {
		if t.hasFinal {
			var bound time.Time
			if i+1 < len(acc) {
				bound = acc[i+1].opened
			}
			t.LatencyMS = clientLatency(t.final, bound, speech, voiced)
		}
		turns[i] = t.Turn
	}
	return turns
}

// clientLatency: from the last speech frame sent before final to the first
// voiced frame received in [final, bound) (bound zero = unbounded), in ms.
func clientLatency(final, bound time.Time, speech, voiced []time.Time) float64 {
	i := sort.Search(len(speech), func(i int) bool { return !speech[i].Before(final) })
	if i == 0 {
		return 0
	}
	last := speech[i-1]
	j := sort.Search(len(voiced), func(j int) bool { return !voiced[j].Before(final) })
	if j == len(voiced) || (!bound.IsZero() && !voiced[j].Before(bound)) {
		return 0
	}
	return roundMS(voiced[j].Sub(last))
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
