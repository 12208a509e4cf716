package callbot

import (
	"context"
	"encoding/json"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/events"

	"github.com/duplex-ai/duplex/internal/testtier"
)

// burst is ms of a 220 Hz tone at 16 kHz, loud enough to count as speech.
func burst(ms int) []int16 {
	out := make([]int16, 16*ms)
	for i := range out {
		out[i] = int16(6000 * math.Sin(2*math.Pi*220*float64(i)/16000))
	}
	return out
}

func startBotServer(t *testing.T, cfg botConfig) (*echoServer, *httptest.Server) {
	es := &echoServer{t: t, calls: map[string]*echoCall{}, bot: &cfg}
	return es, httptest.NewServer(es)
}

func lastBot(es *echoServer) *toneBot {
	es.mu.Lock()
	defer es.mu.Unlock()
	return es.last.bot
}

// TestEndToEndTurns: three turns against a server that sends only state
// events (like the echo pipeline); each turn waits for the previous reply.
func TestEndToEndTurns(t *testing.T) {
	testtier.Slow(t, "whole calls in real time")
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	es, srv := startBotServer(t, botConfig{})
	defer es.close()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	res, err := Run(ctx, Options{
		Server:      srv.URL,
		Turns:       [][]int16{burst(600), burst(400), burst(700)},
		AudioRate:   16000,
		Tail:        2500 * time.Millisecond,
		TurnTimeout: 5 * time.Second,
		Log:         testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	t.Logf("result: %s", b)
	if !res.OK {
		t.Fatalf("not OK: %v", res.Errors)
	}
	if len(res.Turns) != 3 {
		t.Fatalf("%d turns: %+v", len(res.Turns), res.Turns)
	}
	for i, tr := range res.Turns {
		// The bot answers 300 ms (end of speech) + 200 ms after the burst.
		if tr.LatencyMS < 300 || tr.LatencyMS > 2000 || tr.User != "" || tr.Interrupted || tr.BargeInStopMS != nil {
			t.Errorf("turn %d: %+v", i+1, tr)
		}
	}
	if res.LatencyMS.Max == 0 || res.BargeInStopMS != (Percentiles{}) {
		t.Errorf("latency %+v, barge-in %+v", res.LatencyMS, res.BargeInStopMS)
	}
	// Each turn waited for the reply: the bot was never talked over.
	if heard, cut := lastBot(es).counts(); heard != 3 || cut != 0 {
		t.Errorf("the bot heard %d utterances and was interrupted %d times", heard, cut)
	}
	if len(res.Sent) != int(res.AudioSentMS)*48 {
		t.Errorf("Sent has %d samples for %.0f ms", len(res.Sent), res.AudioSentMS)
	}
}

// TestEndToEndBargeIn: the caller talks over the reply to the last turn;
// the bot stops its tone and sends reply.interrupted.
func TestEndToEndBargeIn(t *testing.T) {
	testtier.Slow(t, "whole calls in real time")
	for _, tc := range []struct {
		name  string
		cfg   botConfig
		turns [][]int16
	}{
		{"transcripts", botConfig{transcripts: true}, [][]int16{burst(500), burst(500)}},
		{"states only", botConfig{}, [][]int16{burst(500)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			es, srv := startBotServer(t, tc.cfg)
			defer es.close()
			defer srv.Close()

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			opt := Options{
				Server:       srv.URL,
				Turns:        tc.turns,
				AudioRate:    16000,
				BargeIn:      burst(500),
				BargeInAfter: 300 * time.Millisecond,
				Tail:         2500 * time.Millisecond,
				TurnTimeout:  5 * time.Second,
				Log:          testLogger(t),
			}
			if tc.cfg.transcripts {
				opt.Wait = len(tc.turns) + 1 // end once the barge-in's reply is done
			}
			res, err := Run(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(res)
			t.Logf("result: %s", b)
			if !res.OK {
				t.Fatalf("not OK: %v", res.Errors)
			}
			n := len(tc.turns)
			if len(res.Turns) != n+1 {
				t.Fatalf("%d turns, want %d: %+v", len(res.Turns), n+1, res.Turns)
			}
			for i, tr := range res.Turns {
				if tr.LatencyMS <= 0 {
					t.Errorf("turn %d has no latency: %+v", i+1, tr)
				}
				if tc.cfg.transcripts && tr.User == "" {
					t.Errorf("turn %d has no transcript: %+v", i+1, tr)
				}
				if interrupted := i == n-1; tr.Interrupted != interrupted || (tr.BargeInStopMS != nil) != interrupted {
					t.Errorf("turn %d: %+v", i+1, tr)
				}
			}
			cut := res.Turns[n-1]
			if cut.Heard != botHeard {
				t.Errorf("heard %q", cut.Heard)
			}
			// A correctness bound, not a speed target: had the bot not
			// stopped, its 3 s tone would have run well past 2.5 s.
			if cut.BargeInStopMS == nil || *cut.BargeInStopMS <= 0 || *cut.BargeInStopMS >= 2500 {
				t.Fatalf("barge_in_stop_ms %v", cut.BargeInStopMS)
			}
			if s := *cut.BargeInStopMS; res.BargeInStopMS != (Percentiles{s, s, s}) {
				t.Errorf("summary %+v", res.BargeInStopMS)
			}
			if tc.cfg.transcripts && (res.Turns[n].Reply != botReplyText || res.Turns[n-1].ServerLatencyMS != 500) {
				t.Errorf("turns %+v", res.Turns)
			}
			if heard, cuts := lastBot(es).counts(); heard != n+1 || cuts != 1 {
				t.Errorf("the bot heard %d utterances and was interrupted %d times", heard, cuts)
			}
			var userSpeaking int
			for _, e := range res.Events {
				if e.Type == events.TypeState && e.State == events.StateUserSpeaking {
					userSpeaking++
				}
			}
			if userSpeaking != n+1 {
				t.Errorf("%d user_speaking events", userSpeaking)
			}
		})
	}
}
