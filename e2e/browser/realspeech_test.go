package browser

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/internal/wav"
	"github.com/duplex-ai/duplex/media"
)

// librivoxWAV writes a real recording of pocketsphinx-testdata (a read
// sentence, asking for nothing) as a 48 kHz WAV for Chromium's fake
// microphone, with lead and trail of silence.
func librivoxWAV(t *testing.T, lead, trail time.Duration) string {
	t.Helper()
	src := "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"
	if _, err := os.Stat(src); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pocketsphinx-testdata is missing: run scripts/deps.sh")
		}
		t.Skip("pocketsphinx-testdata is missing")
	}
	pcm, rate, err := wav.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	const outRate = 48000
	if pcm, err = media.Resample(pcm, rate, outRate); err != nil {
		t.Fatal(err)
	}
	samples := func(d time.Duration) int { return int(d * outRate / time.Second) }
	out := append(make([]int16, samples(lead)), pcm...)
	out = append(out, make([]int16, samples(trail))...)
	path := filepath.Join(t.TempDir(), "librivox.wav")
	if err := wav.WriteFile(path, out, outRate); err != nil {
		t.Fatal(err)
	}
	return path
}

// skillReply matches the offline brain's skill answers: a sum, the time,
// the date, a greeting, a story, a memory.
var skillReply = regexp.MustCompile(`(?i)\b(plus|minus|times|divided by)\b.* is \d|^It's \d|^Today is|^Hello|^Good (morning|afternoon|evening)|once upon|^You said|^I said`)

// TestRealSpeechHonestReply: a real person reading "he was not an ill
// disposed young man" into the microphone gets no invented skill answer:
// the page shows the words heard, marked not understood, and the honest
// reply.
func TestRealSpeechHonestReply(t *testing.T) {
	srv, name := needAssistant(t)
	b := newBrowser(t, browserOptions{
		audio: librivoxWAV(t, 500*time.Millisecond, 25*time.Second), // Chromium loops the file: the honest reply (and its second decode) must end before the sentence comes back
		video: solidY4M(t, yuvGrey, 4),
	})
	b.open(srv.URL)
	b.startCall(name)

	const find = `(() => {
		const t = duplex.transcript;
		for (const a of t) {
			if (a.role !== 'assistant' || !a.final || a.interrupted || !a.text) continue;
			const u = t.find((e) => e.role === 'user' && e.turnId === a.turnId && e.final);
			if (u) return {user: u.text, understood: u.understood === undefined ? null : u.understood, reply: a.text,
				shown: document.body.innerText.includes('heard, not understood')};
		}
		return null;
	})()`
	b.waitJS(60*time.Second, "a completed turn", find)
	got := eval[struct {
		User       string `json:"user"`
		Understood *bool  `json:"understood"`
		Reply      string `json:"reply"`
		Shown      bool   `json:"shown"`
	}](b, find)
	understood := "absent"
	if got.Understood != nil {
		understood = fmt.Sprint(*got.Understood)
	}
	t.Logf("user %q (understood %s), reply %q", got.User, understood, got.Reply)
	if understood != "false" {
		t.Errorf("transcript %q: understood %s, want false", got.User, understood)
	}
	if !got.Shown {
		t.Error("the page does not mark the line as heard, not understood")
	}
	if skillReply.MatchString(got.Reply) {
		t.Errorf("reply %q is a skill answer", got.Reply)
	}
	quoted := "I heard '" + strings.TrimSpace(got.User) + "'. Offline I can"
	if !strings.HasPrefix(got.Reply, quoted) && got.Reply != "Sorry, I didn't catch that." {
		t.Errorf("reply %q neither quotes %q nor says it didn't catch it", got.Reply, got.User)
	}
	b.expectNoPageErrors()
}
