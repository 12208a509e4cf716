package faults

import (
	"context"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/internal/callbot"
)

// turnTimeout bounds the caller's wait for each reply. A reply normally
// ends 3 s after its turn; the slack keeps a test run on a starved machine
// from reporting a late reply as a missing one.
const turnTimeout = 10 * time.Second

// randomLoss speaks the three echo turns while the router drops each of
// the caller's RTP packets with probability loss (seeded), and returns
// how the turns fared. Only the caller's audio is impaired: ICE, DTLS, the
// data channel and the reply audio go through untouched, so what is
// measured is the server's turn detection on damaged audio.
func randomLoss(t *testing.T, loss float64, defSeed int64) turnCount {
	t.Helper()
	turns, rate, longest := speakAll(t, echoTurns)
	s := seed(t, defSeed)
	b := newBed(t, bedOptions{pipeline: echoPipeline(t), seed: s})
	b.link.set(func(p packet) bool {
		return !p.up || !p.rtp || b.link.float() >= loss
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res := b.call(ctx, callbot.Options{
		Turns: turns, AudioRate: rate,
		Lead: 500 * time.Millisecond,
		// The echo sends no reply.done: the tail covers the last echo.
		Tail:        longest + 2*time.Second,
		TurnTimeout: turnTimeout,
	})
	b.close()
	logResult(t, res)
	st := b.link.stats()
	packets, lost, concealed := b.audioTrackStats()
	c := countTurns(res, len(turns))
	t.Logf("loss %.0f %% (seed %d): dropped %d of %d caller RTP packets (%.1f %%); server receiver: %.0f packets, %.0f lost, %.0f frames concealed; %v",
		loss*100, s, st.upRTPDropped, st.upRTP, st.upLoss()*100, packets, lost, concealed, c)
	if st.upRTPDropped == 0 || st.otherDropped != 0 || st.downRTPDropped != 0 {
		t.Fatalf("the link dropped %d caller RTP, %d other and %d reply packets", st.upRTPDropped, st.otherDropped, st.downRTPDropped)
	}
	// The server saw the loss the link made (sequence gaps; a drop among
	// the last packets before the hang-up goes unseen) and concealed every
	// lost frame: at these rates no run of losses outlasts the receiver's
	// 200 ms of concealment, so nothing is skipped.
	if lost < float64(st.upRTPDropped)-3 || lost > float64(st.upRTPDropped) || concealed != lost {
		t.Errorf("the link dropped %d packets; the server counted %.0f lost and concealed %.0f frames", st.upRTPDropped, lost, concealed)
	}
	if len(res.Errors) > 0 {
		t.Errorf("callbot errors %v", res.Errors)
	}
	return c
}

// Thresholds of the random loss tests. Turn detection turned out to be
// far more robust to random loss than feared: Opus concealment fills
// short gaps with sound like the speech around them, and ending a turn
// takes 300 ms of silence, which random loss at these rates never makes.
// Measured with the seeds 1–10 at 5 % (30 of 30 turns answered once) and
// 1–20 at 20 % (60 of 60), and even seeds 1–2 at 30, 40 and 50 % (all 18).
// The draws are seeded, so what varies between runs is only timing: the
// bar is every turn, at both rates.

// TestRandomLoss5: with 5 % of the caller's packets lost, every turn is
// detected once and answered.
func TestRandomLoss5(t *testing.T) {
	if c := randomLoss(t, 0.05, 1); c.successes() != c.sent || c.detected != c.sent {
		t.Fatalf("5 %% loss: %v; want every turn answered once", c)
	}
}

// TestRandomLoss20: with 20 % of the caller's packets lost, every turn is
// still detected once (not missed, not split) and answered.
func TestRandomLoss20(t *testing.T) {
	if c := randomLoss(t, 0.20, 1); c.successes() != c.sent || c.detected != c.sent {
		t.Fatalf("20 %% loss: %v; want every turn answered once", c)
	}
}

// TestBurstLoss: 300 ms of the caller's packets are lost in the middle of
// an utterance, where the speech runs on at both edges of the gap. The
// server conceals 200 ms, skips the rest, and must still hear one
// utterance: one turn, one reply (one continuous run of reply audio).
func TestBurstLoss(t *testing.T) {
	sp := speak(t, "en-us", "the weather is lovely in the middle of summer")
	const (
		lead  = 500 * time.Millisecond
		burst = 300 * time.Millisecond
		frame = 20 * time.Millisecond
	)
	// The burst window nearest the middle with voiced speech on both sides.
	db := sp.frameDBFS()
	n := int(burst / frame)
	voiced := func(i int) bool { return i >= 0 && i < len(db) && db[i] > -35 }
	k := -1
	for d := 0; d < len(db)/2 && k < 0; d++ {
		for _, c := range []int{len(db)/2 - n/2 + d, len(db)/2 - n/2 - d} {
			if voiced(c-2) && voiced(c-1) && voiced(c+n) && voiced(c+n+1) {
				k = c
				break
			}
		}
	}
	if k < 0 {
		t.Fatal("no burst position with speech on both sides")
	}
	from := lead + time.Duration(k)*frame
	until := from + burst
	t.Logf("utterance %v; burst loss at %v–%v of it", sp.duration(), time.Duration(k)*frame, time.Duration(k)*frame+burst)

	b := newBed(t, bedOptions{pipeline: echoPipeline(t)})
	b.link.set(func(p packet) bool {
		return !p.up || !p.rtp || p.media < from || p.media >= until
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res := b.call(ctx, callbot.Options{
		Turns: [][]int16{sp.pcm}, AudioRate: sp.rate,
		Lead: lead, Tail: sp.duration() + 2*time.Second, TurnTimeout: turnTimeout,
	})
	b.close()
	logResult(t, res)
	st := b.link.stats()
	packets, lost, concealed := b.audioTrackStats()
	lengths, seqBreaks := runs(st.down)
	c := countTurns(res, 1)
	t.Logf("dropped %d caller RTP packets; server receiver: %.0f packets, %.0f lost, %.0f concealed; %v; reply runs %v",
		st.upRTPDropped, packets, lost, concealed, c, lengths)
	if want := int(burst / frame); st.upRTPDropped != want || lost != float64(want) {
		t.Fatalf("the link dropped %d packets and the server lost %.0f, want %d", st.upRTPDropped, lost, want)
	}
	if c.detected != 1 || c.answered != 1 || len(res.Turns) != 1 {
		t.Fatalf("%v, %d turns: want one turn, answered", c, len(res.Turns))
	}
	if len(lengths) != 1 || seqBreaks != 0 {
		t.Fatalf("reply audio in %d runs %v (%d sequence breaks), want one reply", len(lengths), lengths, seqBreaks)
	}
	// The echo is the whole utterance (less the skipped 100 ms).
	if got := time.Duration(lengths[0]) * frame; got < sp.duration()-burst {
		t.Fatalf("the reply is %v of audio for a %v utterance", got, sp.duration())
	}
	if !res.OK {
		t.Fatalf("callbot errors %v", res.Errors)
	}
}
