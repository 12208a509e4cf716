package callbot

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/events"
)

func TestReplyOver(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ev := func(ms int, e events.Event) timedEvent { return timedEvent{at: at(ms), ev: e} }
	state := func(ms int, s string) timedEvent { return ev(ms, events.Event{Type: events.TypeState, State: s}) }
	typed := func(ms int, typ string, id int) timedEvent { return ev(ms, events.Event{Type: typ, TurnID: id}) }
	assistant := []timedEvent{
		state(100, events.StateUserSpeaking),
		state(900, events.StateThinking),
		typed(1000, events.TypeTranscriptFinal, 3),
		typed(1100, events.TypeReplyDelta, 3),
		state(1300, events.StateSpeaking),
		typed(2000, events.TypeReplyDone, 3),
	}
	cases := []struct {
		name             string
		evs              []timedEvent
		first, last, now time.Time
		want             bool
	}{
		{name: "nothing yet", now: at(5000)},
		{name: "reply.done, audio quiet long enough", evs: assistant, first: at(1350), last: at(1990), now: at(2400), want: true},
		{name: "reply.done, audio still arriving", evs: assistant, first: at(1350), last: at(2100), now: at(2400)},
		{name: "reply.done just now", evs: assistant, first: at(1350), last: at(1900), now: at(2399)},
		{name: "listening after reply.done", evs: append(assistant[:len(assistant):len(assistant)], state(2010, events.StateListening)), last: at(2005), now: at(2010), want: true},
		{
			name: "the first final after user_speaking names the turn",
			evs: []timedEvent{
				state(100, events.StateUserSpeaking),
				typed(150, events.TypeReplyDone, 2),
				typed(1000, events.TypeTranscriptFinal, 2),
				typed(1100, events.TypeTranscriptFinal, 3),
				typed(2000, events.TypeReplyDone, 2),
			},
			now: at(9000), want: true, // the first final after user_speaking is 2
		},
		{
			name: "a split turn: its first part's reply cut, the rest's reply not done",
			evs: []timedEvent{
				state(100, events.StateUserSpeaking),
				typed(1000, events.TypeTranscriptFinal, 2),
				state(1200, events.StateUserSpeaking),
				typed(1900, events.TypeReplyInterrupted, 2),
				typed(1900, events.TypeTranscriptFinal, 3),
				typed(2300, events.TypeReplyDelta, 3),
			},
			now: at(9000),
		},
		{
			name: "a split turn: the rest's reply done",
			evs: []timedEvent{
				state(100, events.StateUserSpeaking),
				typed(1000, events.TypeTranscriptFinal, 2),
				typed(1900, events.TypeReplyInterrupted, 2),
				typed(1900, events.TypeTranscriptFinal, 3),
				typed(3000, events.TypeReplyDone, 3),
			},
			last: at(2900), now: at(3400), want: true,
		},
		{
			name: "a typed turn's final before user_speaking is not ours",
			evs: []timedEvent{
				typed(50, events.TypeTranscriptFinal, 1),
				typed(60, events.TypeReplyDone, 1),
				state(100, events.StateUserSpeaking),
				state(900, events.StateThinking),
				typed(1000, events.TypeTranscriptFinal, 2),
			},
			now: at(9000),
		},
		{
			name: "no user_speaking: the first final",
			evs:  []timedEvent{typed(1000, events.TypeTranscriptFinal, 4), typed(2000, events.TypeReplyInterrupted, 4)},
			now:  at(2400), want: true,
		},
		{
			name: "echo: listening after speaking",
			evs:  []timedEvent{state(100, events.StateUserSpeaking), state(900, events.StateThinking), state(1300, events.StateSpeaking), state(2300, events.StateListening)},
			now:  at(2300), want: true,
		},
		{
			name:  "echo: listening after reply audio",
			evs:   []timedEvent{state(100, events.StateUserSpeaking), state(2300, events.StateListening)},
			first: at(1500), now: at(2300), want: true,
		},
		{
			name:  "listening before any reply",
			evs:   []timedEvent{state(100, events.StateUserSpeaking), state(900, events.StateListening)},
			first: at(1500), now: at(9000),
		},
	}
	for _, tc := range cases {
		if got := replyOver(tc.evs, tc.first, tc.last, tc.now); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

func TestNewScript(t *testing.T) {
	tone := make([]int16, 16000)
	for i := range tone {
		tone[i] = 5000
	}
	bad := []struct {
		opt  Options
		want string
	}{
		{Options{Audio: tone, Turns: [][]int16{tone}, AudioRate: 16000}, "not both"},
		{Options{Turns: [][]int16{tone}}, "AudioRate"},
		{Options{BargeIn: tone, AudioRate: 16000}, "at least one turn"},
		{Options{Turns: [][]int16{tone, nil}, AudioRate: 16000}, "turn 2 has no audio"},
		{Options{Turns: [][]int16{tone}, BargeIn: tone, BargeInAfter: -time.Second, AudioRate: 16000}, "negative"},
		{Options{Turns: [][]int16{tone}, AudioRate: 7}, "resample"},
		{Options{Turns: [][]int16{make([]int16, maxReceivedSamples+1)}, AudioRate: sampleRate}, "limit"},
	}
	for _, tc := range bad {
		if _, err := newScript(tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("newScript: error %v, want %q", err, tc.want)
		}
	}
	s, err := newScript(Options{Audio: tone, AudioRate: 16000, Lead: 100 * time.Millisecond, Gap: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.turns) != 1 || len(s.turns[0]) != 48000 || s.lead != 5 || s.gap != 0 {
		t.Errorf("script: %d turns, %d samples, lead %d, gap %d", len(s.turns), len(s.turns[0]), s.lead, s.gap)
	}
}

// TestScriptSequence drives the script with a fake clock and fake server
// events: lead, turn 1, wait for its reply, gap, turn 2, barge-in.
func TestScriptSequence(t *testing.T) {
	turn := make([]int16, 3*frameSamples)
	for i := range turn {
		turn[i] = 8000
	}
	s, err := newScript(Options{Turns: [][]int16{turn, turn}, BargeIn: turn, BargeInAfter: 100 * time.Millisecond,
		AudioRate: sampleRate, Lead: 40 * time.Millisecond, Gap: 40 * time.Millisecond, TurnTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := &call{sc: s, peer: peer{log: zerolog.Nop()}}
	now := time.Unix(1000, 0)
	var kinds strings.Builder
	step := func(n int) {
		for range n {
			_, k := s.next(c, now)
			kinds.WriteByte("stb"[k])
			if k != frameSilence {
				s.lastSpeech = now
			}
			now = now.Add(20 * time.Millisecond)
		}
	}
	step(2 + 3 + 5) // lead, turn 1, then waiting
	if s.phase != phaseWait {
		t.Fatalf("phase %d after turn 1", s.phase)
	}
	c.mu.Lock()
	c.events = append(c.events,
		timedEvent{at: now, ev: events.Event{Type: events.TypeState, State: events.StateUserSpeaking}},
		timedEvent{at: now, ev: events.Event{Type: events.TypeState, State: events.StateSpeaking}},
		timedEvent{at: now, ev: events.Event{Type: events.TypeState, State: events.StateListening}},
	)
	c.mu.Unlock()
	step(2 + 3 + 4) // the wait ends: gap, turn 2, waiting for reply audio
	if s.phase != phaseBargeWait {
		t.Fatalf("phase %d after turn 2", s.phase)
	}
	c.mu.Lock()
	c.watchFirst = now
	c.mu.Unlock()
	step(5 + 3 + 2) // 100 ms, the barge-in, done
	if got, want := kinds.String(), "ss"+"ttt"+"sssss"+"ss"+"ttt"+"ssss"+"sssss"+"bbb"+"ss"; got != want {
		t.Errorf("frames %s\n  want %s", got, want)
	}
	if s.phase != phaseDone || len(c.errs) != 0 {
		t.Errorf("phase %d, errors %v", s.phase, c.errs)
	}
}

func TestScriptTimeouts(t *testing.T) {
	turn := make([]int16, frameSamples)
	s, err := newScript(Options{Turns: [][]int16{turn, turn}, BargeIn: turn, AudioRate: sampleRate, Lead: -1, Gap: -1, TurnTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := &call{sc: s, peer: peer{log: zerolog.Nop()}}
	now := time.Unix(1000, 0)
	for range 30 {
		s.next(c, now)
		now = now.Add(20 * time.Millisecond)
	}
	if s.phase != phaseDone || len(c.errs) != 2 || !strings.Contains(c.errs[0], "turn 1") || !strings.Contains(c.errs[1], "barge-in") {
		t.Errorf("phase %d, errors %q", s.phase, c.errs)
	}
}

// TestScriptSpeechFrames: which sent frames count as the caller's speech
// (the start of the client latency): above -40 dBFS, or for a quietly
// recorded turn within 20 dB of its loudest frame but 10 dB over its room
// tone.
func TestScriptSpeechFrames(t *testing.T) {
	frames := func(levels ...float64) []int16 {
		var pcm []int16
		for _, l := range levels {
			v := int16(math.Round(32768 * math.Pow(10, l/20)))
			for range frameSamples {
				pcm = append(pcm, v)
			}
		}
		return pcm
	}
	cases := []struct {
		name string
		pcm  []int16
		want string // per frame: s speech, - not
	}{
		// A loud voice's quiet tail is not speech: its end is the -40 dBFS cut.
		{"loud", frames(-10, -12, -30, -45, -60), "sss--"},
		// A quiet voice (peak -38 dBFS) speaks on below -40 dBFS, down to -58.
		{"quiet", frames(-70, -38, -50, -55, -62, -70), "-sss--"},
		// A quiet recording over loud room tone (-47 dBFS, as librivox 0880):
		// the tone and a frame just over it are not speech.
		{"room tone", frames(-47, -47, -47, -21.5, -30, -44, -47), "---ss--"},
	}
	for _, tc := range cases {
		s, err := newScript(Options{Turns: [][]int16{tc.pcm}, AudioRate: sampleRate, Lead: -1})
		if err != nil {
			t.Fatal(err)
		}
		c := &call{sc: s, peer: peer{log: zerolog.Nop()}}
		now := time.Unix(1000, 0)
		var got strings.Builder
		for range len(tc.pcm) / frameSamples {
			pcm, k := s.next(c, now)
			if k != frameTurn {
				t.Fatalf("%s: frame kind %d", tc.name, k)
			}
			if s.isSpeech(k, dbfs(pcm)) {
				got.WriteByte('s')
			} else {
				got.WriteByte('-')
			}
			now = now.Add(20 * time.Millisecond)
		}
		if got.String() != tc.want {
			t.Errorf("%s: speech frames %s, want %s", tc.name, got.String(), tc.want)
		}
	}
}
