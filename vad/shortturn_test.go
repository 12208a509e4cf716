package vad

import (
	"encoding/binary"
	"os"
	"testing"
	"time"
)

// goforward is pocketsphinx-testdata's "go forward ten meters" (16 kHz):
// a 140 ms breath after "go forward" (a 640 ms run), then "ten meters".
const goforward = "/usr/share/pocketsphinx/test/data/goforward.raw"

// goforwardLead and goforwardTail pad the recording with silence (the
// turn eval's lead-in and tail).
const (
	goforwardLead = 300 * time.Millisecond
	goforwardTail = 1600 * time.Millisecond
)

func loadGoforward(t testing.TB) []int16 {
	t.Helper()
	b, err := os.ReadFile(goforward)
	if err != nil {
		t.Skipf("pocketsphinx-testdata: %v", err)
	}
	pcm := make([]int16, goforwardLead*fs/time.Second, len(b)/2+int((goforwardLead+goforwardTail)*fs/time.Second))
	for i := 0; i+1 < len(b); i += 2 {
		pcm = append(pcm, int16(binary.LittleEndian.Uint16(b[i:])))
	}
	return speechAt(pcm, goforwardTail, 0)
}

// timedText is a partial and the sample of the padded recording at which
// the engine reads it.
type timedText struct {
	at   int
	text string
}

// The partials stt/sphinx gave for the padded recording (decoded once,
// 2026-12-06): the skills-grammar pass forces it into digits, the
// streaming general-LM pass hears "go forward ten years"; each read one
// frame after the audio it covers, the LM's as it would arrive in a call
// (turn-eval's srvPartials: after 1 s, at 0.3 of real time).
var (
	goforwardGrammar = []timedText{{14400, "two"}, {17600, "good"}, {19200, "two oh four"},
		{25600, "two oh four eight"}, {27200, "two oh four four two"}, {33600, "two oh four four two one eight"}}
	goforwardLM = []timedText{{20896, "go"}, {21856, "go for"}, {23776, "go forward"},
		{26176, "go forward and the"}, {26656, "go forward and major"}, {27616, "go forward ten years"}}
)

// goforwardEnds runs the padded recording through an adaptive detector on
// the spectral classifier, in media time, setting the hint from grammar and
// lm partials (vad.CombinePartials; either may be nil), and returns the
// SpeechEnded events.
func goforwardEnds(t *testing.T, opt EndpointOptions, grammar, lm []timedText) []Event {
	t.Helper()
	pcm := loadGoforward(t)
	c, err := NewClassifier(Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDetector(c, TurnOptions{Endpointing: &opt})
	if err != nil {
		t.Fatal(err)
	}
	var ends []Event
	var g, l string
	for i := 0; i+320 <= len(pcm); i += 320 {
		changed := false
		for len(grammar) > 0 && i >= grammar[0].at+320 {
			g, grammar, changed = grammar[0].text, grammar[1:], true
		}
		for len(lm) > 0 && i >= lm[0].at+320 {
			l, lm, changed = lm[0].text, lm[1:], true
		}
		if changed {
			d.SetHint(CombinePartials(g, l))
		}
		for _, e := range d.Push(pcm[i:i+320], time.Duration(i)*time.Second/fs) {
			if e.Type == SpeechEnded {
				ends = append(ends, e)
			}
		}
	}
	return ends
}

// The breath in "go forward … ten meters" does not end the turn, whatever
// partial stands at it: the turn ends once, after "meters".
func TestEndpointGoforwardPauseHolds(t *testing.T) {
	for _, tc := range []struct {
		name        string
		grammar, lm []timedText
	}{
		{"audio only", nil, nil},
		{"both partials", goforwardGrammar, goforwardLM},
		{"LM partial only (grammar late)", nil, goforwardLM},
		{"grammar's early \"good\"", goforwardGrammar[1:2], nil},
	} {
		ends := goforwardEnds(t, EndpointOptions{}, tc.grammar, tc.lm)
		if len(ends) != 1 || ends[0].At < 2500*ms {
			t.Errorf("%s: ends %+v, want one, after \"meters\" (At ≥ 2.5 s)", tc.name, ends)
		}
	}
	// The rule before ShortTurn cut it at the breath (the test can fail).
	if ends := goforwardEnds(t, EndpointOptions{ShortTurn: -1}, nil, nil); len(ends) < 2 {
		t.Errorf("ShortTurn off: ends %+v, want the turn cut at the breath", ends)
	}
}

// A short turn that is a finished request still ends before the fixed
// threshold; without a complete partial it ends after the short-turn wait,
// unless a partial has three words or more.
func TestEndpointShortTurnCompleteEndsEarly(t *testing.T) {
	for _, tc := range []struct {
		hint     Hint
		min, max time.Duration // the decision's wait after the end of speech
		opt      EndpointOptions
	}{
		{HintComplete, DefaultEndpointFloor, DefaultMinSilence, EndpointOptions{}},
		{HintNone, DefaultEndpointBase + DefaultEndpointShort - DefaultEndpointFall, DefaultEndpointCeiling, EndpointOptions{}},
		// "tell me a short": three words or more, no lone word cut by a
		// breath (the grammar words' own hold after a run under MaybeRun
		// off: that one holds a lone word read as words, not this rule).
		{CombinePartials("tell me a short", "to"), DefaultEndpointFloor, DefaultEndpointBase + DefaultEndpointShort - DefaultEndpointFall,
			EndpointOptions{}},
	} {
		var pcm []int16
		pcm = speechAt(pcm, 200*ms, 0)
		pcm = speechAt(pcm, 350*ms, 8000) // a run of ShortRun, a turn under ShortTurn
		pcm = speechAt(pcm, 250*ms, 5000)
		pcm = speechAt(pcm, 1500*ms, 0)
		d, err := NewDetector(levelled{}, TurnOptions{Endpointing: &tc.opt})
		if err != nil {
			t.Fatal(err)
		}
		ends := endsWithHints(d, pcm, map[time.Duration]Hint{0: tc.hint})
		if len(ends) != 1 {
			t.Fatalf("%v: ends %+v, want one", tc.hint, ends)
		}
		if got := ends[0].DecidedAt - ends[0].At; got < tc.min || got >= tc.max {
			t.Errorf("%v: decided %v after the end, want in [%v, %v)", tc.hint, got, tc.min, tc.max)
		}
	}
}
