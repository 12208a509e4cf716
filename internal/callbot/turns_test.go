package callbot

import (
	"reflect"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/events"
)

func TestBuildTurns(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ev := func(ms int, e events.Event) timedEvent { return timedEvent{at: at(ms), ev: e} }
	ms := func(v ...int) []time.Time {
		out := make([]time.Time, len(v))
		for i, x := range v {
			out[i] = at(x)
		}
		return out
	}
	final := func(id int, text string) events.Event {
		return events.Event{Type: events.TypeTranscriptFinal, TurnID: id, Text: text}
	}
	delta := func(id int, text string) events.Event {
		return events.Event{Type: events.TypeReplyDelta, TurnID: id, Text: text}
	}
	done := func(id int, text string) events.Event {
		return events.Event{Type: events.TypeReplyDone, TurnID: id, Text: text}
	}
	cases := []struct {
		name           string
		evs            []timedEvent
		speech, voiced []time.Time
		want           []Turn
	}{
		{name: "no events", want: []Turn{}},
		{
			name: "spoken turn with latency and metrics",
			evs: []timedEvent{
				ev(0, events.Event{Type: events.TypeSessionReady, CallID: "c"}),
				ev(100, events.Event{Type: events.TypeTranscriptPartial, TurnID: 1, Text: "hel"}),
				ev(1500, final(1, "hello")),
				ev(1600, delta(1, "Hi ")),
				ev(1650, delta(1, "there.")),
				ev(1700, done(1, "")),
				ev(1800, events.Event{Type: events.TypeTurnMetrics, TurnID: 1, Metrics: &events.TurnMetrics{LatencyMS: 420}}),
			},
			speech: ms(200, 400, 1000, 1600), // the 1600 frame is after the final
			voiced: ms(50, 1400, 1720, 1740),
			want:   []Turn{{User: "hello", Reply: "Hi there.", LatencyMS: 720, ServerLatencyMS: 420}},
		},
		{
			name:   "typed turn opens on reply.delta, no latency",
			evs:    []timedEvent{ev(10, delta(3, "Sure")), ev(20, done(3, "Sure thing"))},
			speech: ms(0), voiced: ms(30),
			want: []Turn{{Reply: "Sure thing"}},
		},
		{
			name: "reply.done text replaces the deltas",
			evs:  []timedEvent{ev(10, delta(1, "abc")), ev(20, done(1, "abc, def"))},
			want: []Turn{{Reply: "abc, def"}},
		},
		{
			name: "reply.interrupted text replaces the deltas",
			evs: []timedEvent{
				ev(10, delta(1, "Once")),
				ev(20, events.Event{Type: events.TypeReplyInterrupted, TurnID: 1, Heard: "On", Text: "Once upon"}),
			},
			want: []Turn{{Reply: "Once upon", Interrupted: true, Heard: "On"}},
		},
		{
			name: "reply.done with text opens a turn",
			evs:  []timedEvent{ev(10, done(4, "whole"))},
			want: []Turn{{Reply: "whole"}},
		},
		{
			name: "events for unopened turns are ignored",
			evs: []timedEvent{
				ev(10, done(9, "")),
				ev(20, events.Event{Type: events.TypeReplyInterrupted, TurnID: 9, Heard: "x"}),
				ev(30, events.Event{Type: events.TypeTurnMetrics, TurnID: 9, Metrics: &events.TurnMetrics{LatencyMS: 1}}),
			},
			want: []Turn{},
		},
		{
			name: "interrupted turn, then a second turn bounds the first's reply search",
			evs: []timedEvent{
				ev(1000, final(1, "tell me a story")),
				ev(1100, delta(1, "Once upon")),
				ev(1900, events.Event{Type: events.TypeReplyInterrupted, TurnID: 1, Heard: "Once"}),
				ev(3000, final(2, "stop")),
				ev(3010, final(2, "please")),
			},
			speech: ms(800, 900, 1800, 2900),
			voiced: ms(1300, 3400),
			want: []Turn{
				{User: "tell me a story", Reply: "Once upon", LatencyMS: 400, Interrupted: true, Heard: "Once"},
				{User: "stop please", LatencyMS: 500},
			},
		},
		{
			name:   "no reply audio before the next turn: no latency",
			evs:    []timedEvent{ev(1000, final(1, "a")), ev(2000, final(2, "b"))},
			speech: ms(900, 1900),
			voiced: ms(2100),
			want:   []Turn{{User: "a"}, {User: "b", LatencyMS: 200}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := buildTurns(tc.evs, tc.speech, tc.voiced)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestPercentiles(t *testing.T) {
	cases := []struct {
		in   []float64
		want Percentiles
	}{
		{nil, Percentiles{}},
		{[]float64{0, 0}, Percentiles{}},
		{[]float64{300}, Percentiles{300, 300, 300}},
		{[]float64{200, 100}, Percentiles{100, 200, 200}},
		{[]float64{5, 1, 4, 2, 3}, Percentiles{3, 5, 5}},
		{[]float64{0, 400, 100, 300, 200}, Percentiles{200, 400, 400}},
		{func() []float64 {
			v := make([]float64, 100)
			for i := range v {
				v[i] = float64(100 - i)
			}
			return v
		}(), Percentiles{50, 95, 100}},
	}
	for _, tc := range cases {
		if got := percentiles(tc.in); got != tc.want {
			t.Errorf("percentiles(%v) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestWaitSatisfied(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name       string
		wait       int
		met        time.Time
		lastVoiced time.Time
		want       bool
	}{
		{"wait disabled", 0, now.Add(-time.Hour), time.Time{}, false},
		{"not enough replies", 1, time.Time{}, time.Time{}, false},
		{"replies done, no audio for a while", 1, now.Add(-2 * waitQuiet), time.Time{}, true},
		{"replies done just now", 1, now.Add(-waitQuiet / 2), time.Time{}, false},
		{"reply audio still playing", 2, now.Add(-5 * waitQuiet), now.Add(-waitQuiet / 10), false},
		{"reply audio ended", 2, now.Add(-5 * waitQuiet), now.Add(-waitQuiet - time.Millisecond), true},
	}
	for _, tc := range cases {
		c := &call{opt: Options{Wait: tc.wait}, waitMetAt: tc.met}
		if !tc.lastVoiced.IsZero() {
			c.lastVoiced.Store(tc.lastVoiced.UnixNano())
		}
		if got := c.waitSatisfied(now); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}
