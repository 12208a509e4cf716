package browser

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/llm/local"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/stt/sphinx"
	"github.com/duplex-ai/duplex/tts/espeak"
	"github.com/duplex-ai/duplex/vad"
)

// assistantPipeline returns the server's default offline assistant
// pipeline (speech to text, language model, text to speech, vision; no
// network), or nil while it is not wired in: the scenarios that need it
// then skip. To enable them, return the pipeline the server starts by
// default, built as cmd/duplex builds it (and t.Skip with the reason if its
// models are missing on this machine).
func assistantPipeline(t *testing.T) pipeline.Pipeline {
	t.Helper()
	s, err := sphinx.NewEngine(sphinx.Options{})
	if err != nil {
		t.Fatalf("offline STT: %v (make test installs pocketsphinx)", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	// As cmd/duplex does: build a decoder now, not in the first turn.
	if err := s.Warm(t.Context()); err != nil {
		t.Fatalf("offline STT: %v", err)
	}
	tt, err := espeak.New(espeak.Options{})
	if err != nil {
		t.Fatalf("offline TTS: %v (make test installs libespeak-ng-dev)", err)
	}
	t.Cleanup(func() { _ = tt.Close() })
	det, err := dialogue.VADFactory(vad.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := dialogue.NewAssistant(dialogue.Options{STT: s, LLM: local.New(local.Options{}), TTS: tt, NewDetector: det, Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// needAssistant starts a server with the assistant pipeline or skips.
func needAssistant(t *testing.T) (*server, string) {
	t.Helper()
	p := assistantPipeline(t)
	if p == nil {
		t.Skip("the offline assistant pipeline is not wired in yet: make assistantPipeline (e2e/browser/assistant_test.go) return it")
	}
	if p.Name() == "echo" {
		t.Skip("assistantPipeline returned the echo pipeline")
	}
	return newServer(t, p), p.Name()
}

// turn is one completed turn as the page shows it.
type turn struct {
	TurnID  int     `json:"turnId"`
	User    string  `json:"user"`
	Reply   string  `json:"reply"`
	Latency float64 `json:"latencyMs"`
}

// waitTurn waits for the first turn with a final user transcript and a
// complete (not interrupted) reply in the page's transcript.
func (b *browser) waitTurn(timeout time.Duration) turn {
	b.t.Helper()
	const find = `(() => {
		const t = duplex.transcript;
		for (const a of t) {
			if (a.role !== 'assistant' || !a.final || a.interrupted || !a.text) continue;
			const u = t.find((e) => e.role === 'user' && e.turnId === a.turnId && e.final);
			if (u) return {turnId: a.turnId, user: u.text, reply: a.text, latencyMs: a.latencyMs || 0};
		}
		return null;
	})()`
	b.waitJS(timeout, "a completed turn", find)
	return eval[turn](b, find)
}

// hourPattern matches the hour of t written as a number (12 or 24 hour
// clock, not a minute such as ":03") or a word, or noon/midnight.
func hourPattern(times ...time.Time) *regexp.Regexp {
	words := []string{"twelve", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
		"twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
		"twenty[- ]one", "twenty[- ]two", "twenty[- ]three"}
	var alts []string
	for _, t := range times {
		h := t.Hour()
		h12 := h % 12
		if h12 == 0 {
			h12 = 12
		}
		alts = append(alts, fmt.Sprintf("%d", h), fmt.Sprintf("%02d", h), fmt.Sprintf("%d", h12), words[h%12], words[h])
		switch h {
		case 0:
			alts = append(alts, "midnight")
		case 12:
			alts = append(alts, "noon", "midday")
		}
	}
	return regexp.MustCompile(`(?i)(?:^|[^:\w])(?:` + strings.Join(alts, "|") + `)(?:\b|:)`)
}

// TestAssistantTime: asked "what time is it" aloud, the assistant answers
// with the hour; the page shows both lines and the turn's latency.
func TestAssistantTime(t *testing.T) {
	srv, name := needAssistant(t)
	b := newBrowser(t, browserOptions{
		audio: speechWAV(t, "What time is it?", 500*time.Millisecond, 8*time.Second),
		video: solidY4M(t, yuvGrey, 4),
	})
	b.open(srv.URL)
	before := time.Now()
	b.startCall(name)

	tr := b.waitTurn(45 * time.Second)
	t.Logf("turn %d: user %q, reply %q, latency %.0f ms", tr.TurnID, tr.User, tr.Reply, tr.Latency)
	if !strings.Contains(strings.ToLower(tr.User), "time") {
		t.Errorf("user transcript %q does not contain \"time\"", tr.User)
	}
	if re := hourPattern(before, time.Now()); !re.MatchString(tr.Reply) {
		t.Errorf("reply %q does not give the hour (%s)", tr.Reply, re)
	}

	b.waitJS(10*time.Second, "the latency", `document.getElementById('latency').dataset.ms !== ''`)
	lat := eval[string](b, `document.getElementById('latency').textContent`)
	if !regexp.MustCompile(`^Last latency: \d+ ms$`).MatchString(lat) {
		t.Errorf("#latency = %q", lat)
	}
	if ms := eval[float64](b, `Number(document.getElementById('latency').dataset.ms)`); ms <= 0 || ms > 20000 {
		t.Errorf("latency %v ms is not plausible", ms)
	}
	b.expectNoPageErrors()
}

// TestAssistantVision: with a red picture as the camera, "what do you see"
// gets a reply that names the colour.
// visionWired says whether the assistant pipeline receives camera
// snapshots yet (the vision issue).
const visionWired = true

func TestAssistantVision(t *testing.T) {
	if !visionWired {
		t.Skip("camera snapshots are not wired into the assistant yet")
	}
	srv, name := needAssistant(t)
	b := newBrowser(t, browserOptions{
		// The fake mic loops the file: leave room for the long answer.
		audio: speechWAV(t, "What do you see?", 500*time.Millisecond, 25*time.Second),
		video: solidY4M(t, yuvRed, 4),
	})
	b.open(srv.URL)
	b.startCall(name)
	b.waitJS(5*time.Second, "the camera", `document.getElementById('self-view').videoWidth > 0`)

	tr := b.waitTurn(45 * time.Second)
	t.Logf("turn %d: user %q, reply %q, latency %.0f ms", tr.TurnID, tr.User, tr.Reply, tr.Latency)
	if !regexp.MustCompile(`(?i)\bsee\b`).MatchString(tr.User) {
		t.Errorf("user transcript %q does not contain \"see\"", tr.User)
	}
	if !regexp.MustCompile(`(?i)\bred\b`).MatchString(tr.Reply) {
		t.Errorf("reply %q does not name the colour red", tr.Reply)
	}
	b.expectNoPageErrors()
}

func TestHourPattern(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 1, 2, h, m, 0, 0, time.Local) }
	for _, tc := range []struct {
		at    time.Time
		reply string
		want  bool
	}{
		{at(15, 4), "It's 3:04 PM.", true},
		{at(15, 4), "It is 15:04.", true},
		{at(15, 4), "It is three oh four in the afternoon.", true},
		{at(15, 4), "It is fifteen hundred.", true},
		{at(3, 4), "It's 03:04.", true},
		{at(12, 0), "It is noon.", true},
		{at(0, 5), "Just after midnight.", true},
		{at(15, 4), "It is 2:03 PM.", false},
		{at(15, 4), "It is 4:15 PM.", false},
		{at(15, 4), "I do not know.", false},
		{at(15, 4), "It is 13:15.", false},
	} {
		if got := hourPattern(tc.at).MatchString(tc.reply); got != tc.want {
			t.Errorf("%s, %q: match %v, want %v", tc.at.Format("15:04"), tc.reply, got, tc.want)
		}
	}
}
