// Package heardcheck holds the checks the whole-call tests share for a
// reply that the end of the call cut: the transcript ends with it,
// interrupted, and its heard prefix matches the audio the caller got.
package heardcheck

import (
	"context"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/transcript"
	"github.com/duplex-ai/duplex/tts"
	"github.com/duplex-ai/duplex/tts/espeak"
)

// Slack is how far the received audio may stray outside the heard words'
// span: pieces are synthesized a sentence at a time (pauses between them)
// and the last packets may be in flight (runs measured at most 140 ms).
const Slack = 300 * time.Millisecond

// VoicedSpan is the time from the first to the last 20 ms window above
// -45 dBFS (RMS), the callbot's measure of voiced audio.
func VoicedSpan(pcm []int16, rate int) time.Duration {
	win := rate / 50
	first, last := -1, -1
	for i := 0; i+win <= len(pcm); i += win {
		var e float64
		for _, v := range pcm[i : i+win] {
			e += float64(v) * float64(v)
		}
		if 20*math.Log10(math.Sqrt(e/float64(win))/32768+1e-12) > -45 {
			if first < 0 {
				first = i
			}
			last = i + win
		}
	}
	if first < 0 {
		return 0
	}
	return time.Duration(last-first) * time.Second / time.Duration(rate)
}

// spokenSpan is the voiced span of text as the server's default voice
// (espeak-ng, en-us) says it.
func spokenSpan(t testing.TB, eng *espeak.Engine, text string) time.Duration {
	t.Helper()
	if strings.TrimSpace(text) == "" {
		return 0
	}
	st, err := eng.Synthesize(context.Background(), text, tts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var pcm []int16
	rate := 0
	for {
		c, err := st.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pcm, rate = append(pcm, c.PCM...), c.SampleRate
	}
	return VoicedSpan(pcm, rate)
}

// CutTail checks that the transcript es (raw is its file, for messages)
// ends with call.end for reason just after the assistant reply that
// reason interrupted, with a non-empty prefix of it heard; it returns
// that reply.
func CutTail(t testing.TB, es []transcript.Entry, raw []byte, reason string) transcript.Entry {
	t.Helper()
	n := len(es)
	if n < 3 || es[n-1].Kind != transcript.KindEnd || es[n-1].Reason != reason {
		t.Fatalf("transcript does not end with call.end %s:\n%s", reason, raw)
	}
	a := es[n-2]
	if a.Kind != transcript.KindAssistant || !a.Interrupted || a.Reason != reason || a.Heard == "" || !strings.HasPrefix(a.Text, a.Heard) {
		t.Fatalf("entry before call.end %+v: want the reply interrupted by %s with a heard prefix\n%s", a, reason, raw)
	}
	return a
}

// WithinOneWord checks that received (48 kHz, what the caller got of the
// reply a) holds at least the audio of a's heard words but the last and
// less than that of one word more, within Slack.
func WithinOneWord(t testing.TB, a transcript.Entry, received []int16) {
	t.Helper()
	eng, err := espeak.New(espeak.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	heard, planned := strings.Fields(a.Heard), strings.Fields(a.Text)
	if len(heard) == 0 {
		t.Fatalf("reply %+v: nothing heard", a)
	}
	lo := spokenSpan(t, eng, strings.Join(heard[:len(heard)-1], " "))
	hi := spokenSpan(t, eng, strings.Join(planned[:min(len(heard)+1, len(planned))], " "))
	recv := VoicedSpan(received, 48000)
	t.Logf("%s: heard %q (%d of %d words); caller received %v of voiced reply, heard words span %v..%v",
		a.Reason, a.Heard, len(heard), len(planned), recv.Round(time.Millisecond), lo.Round(time.Millisecond), hi.Round(time.Millisecond))
	if recv < lo-Slack || recv > hi+Slack {
		t.Errorf("caller received %v of the reply; heard %q spans %v..%v (±one word)", recv, a.Heard, lo, hi)
	}
}
