package callbot

import (
	"encoding/json"
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
	state := func(s string) events.Event { return events.Event{Type: events.TypeState, State: s} }
	metrics := func(id int, ms float64) events.Event {
		return events.Event{Type: events.TypeTurnMetrics, TurnID: id, Metrics: &events.TurnMetrics{LatencyMS: ms}}
	}
	ptr := func(v float64) *float64 { return &v }
	cases := []struct {
		name           string
		evs            []timedEvent
		speech, voiced []time.Time
		bargeIn        time.Time
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
		{
			name: "assistant pipeline: user_speaking and transcript.final make one turn",
			evs: []timedEvent{
				ev(0, state(events.StateListening)),
				ev(1000, state(events.StateUserSpeaking)),
				ev(2300, state(events.StateThinking)),
				ev(2500, final(1, "hello")),
				ev(2600, delta(1, "Hi.")),
				ev(2900, state(events.StateSpeaking)),
				ev(2910, metrics(1, 400)),
				ev(3500, done(1, "Hi.")),
				ev(3520, state(events.StateListening)),
				ev(5000, state(events.StateUserSpeaking)),
				ev(6300, state(events.StateThinking)),
				ev(6400, final(2, "bye")),
				ev(6500, delta(2, "Bye.")),
				ev(6800, state(events.StateSpeaking)),
				ev(7000, done(2, "Bye.")),
				ev(7010, state(events.StateListening)),
			},
			speech: ms(1100, 2000, 5100, 6000),
			voiced: ms(2950, 3400, 6850),
			want: []Turn{
				{User: "hello", Reply: "Hi.", LatencyMS: 950, ServerLatencyMS: 400},
				{User: "bye", Reply: "Bye.", LatencyMS: 850},
			},
		},
		{
			name: "echo pipeline: turns from state events, latency from the end of the utterance",
			evs: []timedEvent{
				ev(0, state(events.StateListening)),
				ev(1000, state(events.StateUserSpeaking)),
				ev(2300, state(events.StateListening)),
				ev(2800, state(events.StateSpeaking)),
				ev(3800, state(events.StateListening)),
				ev(5000, state(events.StateUserSpeaking)),
				ev(5000, state(events.StateUserSpeaking)), // repeated: no new turn
				ev(6300, state(events.StateThinking)),
				ev(6700, state(events.StateSpeaking)),
				ev(7500, state(events.StateListening)),
				ev(9000, state(events.StateUserSpeaking)), // the call ended mid-utterance
			},
			speech: ms(1100, 2000, 5100, 6000, 9000),
			voiced: ms(2100, 2810, 3700, 6750), // 2100: echo before the utterance ended
			want:   []Turn{{LatencyMS: 810}, {LatencyMS: 750}, {}},
		},
		{
			name: "assistant pipeline barge-in",
			evs: []timedEvent{
				ev(1000, state(events.StateUserSpeaking)),
				ev(2300, state(events.StateThinking)),
				ev(2400, final(1, "tell me a story")),
				ev(2500, delta(1, "Once upon a time")),
				ev(2800, state(events.StateSpeaking)),
				ev(2810, metrics(1, 500)),
				ev(4000, state(events.StateUserSpeaking)),
				ev(4300, state(events.StateThinking)),
				ev(4900, events.Event{Type: events.TypeReplyInterrupted, TurnID: 1, Heard: "Once upon", Text: "Once upon a time"}),
				ev(5000, final(2, "stop")),
				ev(5100, delta(2, "OK.")),
				ev(5400, state(events.StateSpeaking)),
				ev(5410, metrics(2, 300)),
				ev(5600, done(2, "OK.")),
				ev(5610, state(events.StateListening)),
			},
			speech:  ms(1100, 2000, 3800, 4500),
			voiced:  ms(2850, 3000, 3900, 4050, 5450),
			bargeIn: at(3800),
			want: []Turn{
				{User: "tell me a story", Reply: "Once upon a time", LatencyMS: 850, Interrupted: true, Heard: "Once upon", ServerLatencyMS: 500, BargeInStopMS: ptr(250)},
				{User: "stop", Reply: "OK.", LatencyMS: 950, ServerLatencyMS: 300},
			},
		},
		{
			name: "barge-in: the next reply's audio right after the interruption is not the old reply's",
			evs: []timedEvent{
				ev(1000, state(events.StateUserSpeaking)),
				ev(2300, state(events.StateThinking)),
				ev(2400, final(1, "tell me a story")),
				ev(2800, state(events.StateSpeaking)),
				ev(4000, state(events.StateUserSpeaking)),
				ev(4300, state(events.StateThinking)),
				ev(4900, events.Event{Type: events.TypeReplyInterrupted, TurnID: 1, Heard: "Once"}),
				ev(4905, final(2, "what time is it")),
				ev(4910, delta(2, "It's noon.")),
			},
			speech:  ms(1100, 2000, 3800, 4500),
			voiced:  ms(2850, 3000, 3900, 4050, 4950, 4970),
			bargeIn: at(3800),
			want: []Turn{
				{User: "tell me a story", LatencyMS: 850, Interrupted: true, Heard: "Once", BargeInStopMS: ptr(250)},
				{User: "what time is it", Reply: "It's noon.", LatencyMS: 450},
			},
		},
		{
			name: "barge-in: the next reply's first frames beat the events to the client",
			evs: []timedEvent{
				ev(1000, state(events.StateUserSpeaking)),
				ev(2300, state(events.StateThinking)),
				ev(2400, final(1, "tell me a story")),
				ev(2800, state(events.StateSpeaking)),
				ev(4000, state(events.StateUserSpeaking)),
				ev(4300, state(events.StateThinking)),
				ev(4900, events.Event{Type: events.TypeReplyInterrupted, TurnID: 1, Heard: "Once"}),
				ev(4905, final(2, "what time is it")),
				ev(4910, delta(2, "It's noon.")),
			},
			speech:  ms(1100, 2000, 3800, 4500),
			voiced:  ms(2850, 3000, 3900, 4050, 4850, 4870, 4950),
			bargeIn: at(3800),
			want: []Turn{
				{User: "tell me a story", LatencyMS: 850, Interrupted: true, Heard: "Once", BargeInStopMS: ptr(250)},
				{User: "what time is it", Reply: "It's noon.", LatencyMS: 450},
			},
		},
		{
			name: "barge-in: a quick answer to a short barge-in, its audio before its events",
			evs: []timedEvent{
				ev(1000, state(events.StateUserSpeaking)),
				ev(2300, state(events.StateThinking)),
				ev(2400, final(1, "tell me a story")),
				ev(2800, state(events.StateSpeaking)),
				ev(4000, state(events.StateUserSpeaking)),
				ev(4540, events.Event{Type: events.TypeReplyInterrupted, TurnID: 1, Heard: "Once"}),
				ev(4545, final(2, "stop")),
				ev(4550, delta(2, "Okay.")),
			},
			speech:  ms(1100, 2000, 3800, 4400),
			voiced:  ms(2850, 3000, 3900, 3940, 4520, 4580), // 4520: "Okay." 120 ms after "stop"
			bargeIn: at(3800),
			want: []Turn{
				{User: "tell me a story", LatencyMS: 850, Interrupted: true, Heard: "Once", BargeInStopMS: ptr(140)},
				{User: "stop", Reply: "Okay.", LatencyMS: 180},
			},
		},
		{
			name: "states-only pipeline barge-in: reply.interrupted goes to the reply in progress",
			evs: []timedEvent{
				ev(1000, state(events.StateUserSpeaking)),
				ev(2300, state(events.StateThinking)),
				ev(2800, state(events.StateSpeaking)),
				ev(4000, state(events.StateUserSpeaking)),
				ev(4010, events.Event{Type: events.TypeReplyInterrupted, TurnID: 7, Heard: "beep"}),
				ev(5300, state(events.StateThinking)),
				ev(5600, state(events.StateSpeaking)),
				ev(5610, metrics(8, 120)), // attaches to the turn whose reply is under way
				ev(6600, state(events.StateListening)),
			},
			speech:  ms(1100, 2000, 3900, 5000),
			voiced:  ms(2810, 3950, 4040, 4200, 5650), // 4200: after the grace, not the same reply
			bargeIn: at(3900),
			want: []Turn{
				{LatencyMS: 810, Interrupted: true, Heard: "beep", BargeInStopMS: ptr(140)},
				{LatencyMS: 650, ServerLatencyMS: 120},
			},
		},
		{
			name: "barge-in after the reply went quiet: stop time 0",
			evs: []timedEvent{
				ev(1000, state(events.StateUserSpeaking)),
				ev(2300, state(events.StateThinking)),
				ev(2400, final(1, "hi")),
				ev(3000, state(events.StateUserSpeaking)),
				ev(3500, events.Event{Type: events.TypeReplyInterrupted, TurnID: 1}),
			},
			speech:  ms(2000, 3000),
			voiced:  ms(2500, 2600),
			bargeIn: at(3000),
			want:    []Turn{{User: "hi", LatencyMS: 500, Interrupted: true, BargeInStopMS: ptr(0)}},
		},
		{
			name: "assistant pipeline: noise and a backchannel make no turns",
			evs: []timedEvent{
				ev(1000, state(events.StateUserSpeaking)),
				ev(1500, state(events.StateThinking)),
				ev(1800, state(events.StateListening)), // empty transcript
				ev(3000, state(events.StateUserSpeaking)),
				ev(4000, state(events.StateThinking)),
				ev(4100, final(1, "hi")),
				ev(4500, state(events.StateSpeaking)),
				ev(4600, state(events.StateUserSpeaking)), // "mhm"
				ev(4800, state(events.StateThinking)),     // reply paused
				ev(5200, state(events.StateSpeaking)),     // resumed
				ev(5500, done(1, "Hello")),
				ev(5510, state(events.StateListening)),
			},
			speech: ms(1100, 3100, 3900, 4600),
			voiced: ms(4550, 5300),
			want:   []Turn{{User: "hi", Reply: "Hello", LatencyMS: 650}},
		},
		{
			name: "assistant pipeline: a transcript that arrives after the next utterance began",
			evs: []timedEvent{
				ev(1000, state(events.StateUserSpeaking)),
				ev(2000, state(events.StateThinking)),
				ev(2100, state(events.StateUserSpeaking)),
				ev(2200, final(1, "one")),
				ev(3000, state(events.StateThinking)),
				ev(3100, final(2, "two")),
				ev(3200, delta(2, "Two.")),
			},
			speech: ms(1900, 2900),
			voiced: ms(3500),
			want:   []Turn{{User: "one"}, {User: "two", Reply: "Two.", LatencyMS: 600}},
		},
		{
			name: "assistant pipeline: a turn cut in a pause, its reply begun over the rest",
			evs: []timedEvent{
				ev(1000, state(events.StateUserSpeaking)),
				ev(2300, state(events.StateThinking)),
				ev(2450, final(1, "part one")),
				ev(2460, state(events.StateSpeaking)),
				ev(2480, state(events.StateUserSpeaking)),
				ev(3600, state(events.StateThinking)),
				ev(3700, events.Event{Type: events.TypeReplyInterrupted, TurnID: 1, Heard: "Sorry"}),
				ev(3700, final(2, "part two")),
				ev(3800, done(2, "Yes.")),
			},
			speech: ms(1100, 2200, 2400, 3400), // the rest from 2400
			voiced: ms(2470, 3800),
			want: []Turn{
				{User: "part one", Interrupted: true, Heard: "Sorry"},
				{User: "part two", Reply: "Yes.", LatencyMS: 400},
			},
		},
		{
			name: "assistant pipeline: a cut turn's transcript after the rest was spoken",
			evs: []timedEvent{
				ev(1000, state(events.StateUserSpeaking)),
				ev(2300, state(events.StateThinking)),
				ev(2600, state(events.StateUserSpeaking)),
				ev(3600, state(events.StateThinking)),
				ev(4000, final(1, "part one")), // recognition lagged: the first part's
				ev(4010, state(events.StateSpeaking)),
				ev(4200, events.Event{Type: events.TypeReplyInterrupted, TurnID: 1, Heard: "Sorry"}),
				ev(4200, final(2, "part two")),
				ev(4600, done(2, "Yes.")),
			},
			speech: ms(1100, 2200, 2700, 3400),
			voiced: ms(4050, 4500),
			want: []Turn{
				{User: "part one", Interrupted: true, Heard: "Sorry"},
				{User: "part two", Reply: "Yes.", LatencyMS: 1100},
			},
		},
		{
			name: "typed turn during a call with speech turns",
			evs: []timedEvent{
				ev(100, final(1, "typed")),
				ev(200, delta(1, "Sure.")),
				ev(300, done(1, "")),
				ev(1000, state(events.StateUserSpeaking)),
				ev(2000, state(events.StateThinking)),
				ev(2100, final(2, "spoken")),
				ev(2200, done(2, "Yes.")),
			},
			speech: ms(1900),
			voiced: ms(2300),
			want:   []Turn{{User: "typed", Reply: "Sure."}, {User: "spoken", Reply: "Yes.", LatencyMS: 400}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := buildTurns(tc.evs, tc.speech, tc.voiced, tc.bargeIn)
			if !reflect.DeepEqual(got, tc.want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(tc.want)
				t.Fatalf("got  %s\nwant %s", g, w)
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
	now := time.Unix(1000, 0)
	spoken := now.Add(-10 * waitQuiet) // the last turn's audio ended
	cases := []struct {
		name       string
		wait, n    int
		last       time.Time // the latest reply.done / reply.interrupted
		lastVoiced time.Time
		want       bool
	}{
		{"wait disabled", 0, 3, now.Add(-time.Hour), time.Time{}, false},
		{"not enough replies", 1, 0, time.Time{}, time.Time{}, false},
		{"replies done, no audio for a while", 1, 1, now.Add(-2 * waitQuiet), time.Time{}, true},
		{"replies done just now", 1, 1, now.Add(-waitQuiet / 2), time.Time{}, false},
		{"reply audio still playing", 2, 2, now.Add(-5 * waitQuiet), now.Add(-waitQuiet / 10), false},
		{"reply audio ended", 2, 2, now.Add(-5 * waitQuiet), now.Add(-waitQuiet - time.Millisecond), true},
		// A split turn's cut reply made up the count before the last turn
		// was spoken: its reply is still to come.
		{"count met before the last turn", 2, 2, spoken.Add(-waitQuiet), time.Time{}, false},
		{"the last turn's reply done", 2, 3, spoken.Add(waitQuiet), time.Time{}, true},
	}
	for _, tc := range cases {
		c := &call{opt: Options{Wait: tc.wait}, finished: tc.n, lastFinished: tc.last}
		if !tc.lastVoiced.IsZero() {
			c.lastVoiced.Store(tc.lastVoiced.UnixNano())
		}
		if got := c.waitSatisfied(now, spoken); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}
