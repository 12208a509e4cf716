package vad

import (
	"testing"
	"time"
)

// TestDetectorTentative: with the fixed 300 ms silence, a turn becomes
// tentative at 60 % of it (180 ms), stops being so when speech resumes,
// and is not tentative once ended or while idle.
func TestDetectorTentative(t *testing.T) {
	d := newScripted(t, TurnOptions{})
	var at time.Duration
	push := func(speech bool) []Event {
		at += 20 * ms
		return d.Push(script(20*ms, speech), at)
	}
	frame := func(speech bool) { push(speech) }
	if d.Tentative(0.6) {
		t.Fatal("tentative while idle")
	}
	for range 15 {
		frame(true)
	}
	// 160 ms of silence: not yet (60 % of 300 ms is 180 ms).
	for range 8 {
		frame(false)
		if d.Tentative(0.6) {
			t.Fatalf("tentative after %v of silence", d.silence)
		}
	}
	frame(false) // 180 ms
	if !d.Tentative(0.6) {
		t.Fatal("not tentative after 180 ms of silence")
	}
	frame(true) // the user goes on
	if d.Tentative(0.6) {
		t.Fatal("tentative while speaking again")
	}
	var ended bool
	for i := 0; i < 20 && !ended; i++ {
		for _, ev := range push(false) {
			ended = ended || ev.Type == SpeechEnded
		}
	}
	if !ended || d.Tentative(0.6) {
		t.Fatalf("ended %v, tentative %v after the end", ended, d.Tentative(0.6))
	}
}

// TestDetectorTentativeAdaptive: with adaptive endpointing the bar is a
// fraction of the current wait, so a digit hint (longer wait) holds it off.
func TestDetectorTentativeAdaptive(t *testing.T) {
	d := newScripted(t, TurnOptions{Endpointing: &EndpointOptions{}})
	var at time.Duration
	frame := func(speech bool) {
		at += 20 * ms
		d.Push(script(20*ms, speech), at)
	}
	for range 40 {
		frame(true)
	}
	d.SetHint(HintDigits)
	for range 6 {
		frame(false)
	}
	if d.Tentative(0.6) {
		t.Fatalf("tentative after 120 ms of a digit string's pause (wait %v)", d.wait)
	}
	d.SetHint(HintComplete) // wait 170 ms: tentative from 102 ms
	frame(false)
	if !d.Tentative(0.6) || !d.Speaking() {
		t.Fatalf("not tentative (or ended) after a complete request's 140 ms pause (wait %v)", d.wait)
	}
}
