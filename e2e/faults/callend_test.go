package faults

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/transcript"
	"github.com/duplex-ai/duplex/tts"
	"github.com/duplex-ai/duplex/tts/espeak"
)

// voicedSpan is the time from the first to the last 20 ms window above
// -45 dBFS (RMS), the callbot's measure of voiced audio.
func voicedSpan(pcm []int16, rate int) time.Duration {
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

// spokenSpan is the voiced span of text in the server's voice.
func spokenSpan(t *testing.T, eng *espeak.Engine, text string) time.Duration {
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
	return voicedSpan(pcm, rate)
}

// TestCallerVanishesMidReply: "tell me a story"; two seconds into the
// story the caller's network goes dead. The server reaps the call on the
// ICE timeouts, seconds later, yet the transcript keeps the story only up
// to what reached the caller (within one word), interrupted with
// ice_failed, before call.end; GET …/transcript serves the same lines.
func TestCallerVanishesMidReply(t *testing.T) {
	store, err := transcript.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sp := speak(t, "en-us", "tell me a story")
	b := newBed(t, bedOptions{pipeline: assistantPipeline(t), transcripts: store})
	c := &cut{n: 100} // 2 s of reply packets
	b.link.set(c.policy)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type outcome struct {
		res *callbot.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := callbot.Run(ctx, callbot.Options{
			Server: b.hs.URL, Net: b.callerNet, Log: b.callerLog,
			Turns: [][]int16{sp.pcm}, AudioRate: sp.rate, Tail: time.Minute,
		})
		done <- outcome{res, err}
	}()
	deadline := time.Now().Add(40 * time.Second)
	for !(b.mgr.Total() == 1 && b.mgr.Active() == 0) {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("%d calls, %d live: the vanished caller was not reaped", b.mgr.Total(), b.mgr.Active())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel() // the caller gives up; its DELETE finds no call
	o := <-done
	if o.err != nil {
		t.Fatalf("callbot: %v", o.err)
	}
	if reasons := b.mgr.ClosedByReason(); reasons[session.ReasonICEFailed] != 1 {
		t.Fatalf("close reasons %v, want %s", reasons, session.ReasonICEFailed)
	}

	u, err := url.Parse(o.res.CallURL)
	if err != nil || o.res.CallURL == "" {
		t.Fatalf("call URL %q: %v", o.res.CallURL, err)
	}
	raw, err := os.ReadFile(store.Path(path.Base(u.Path)))
	if err != nil {
		t.Fatal(err)
	}
	u.Path += "/transcript"
	resp, err := http.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(got) != string(raw) {
		t.Fatalf("GET transcript %d:\n%s\nthe file:\n%s", resp.StatusCode, got, raw)
	}
	es, err := transcript.Entries(raw)
	if err != nil {
		t.Fatal(err)
	}
	n := len(es)
	if n < 3 || es[n-1].Kind != transcript.KindEnd || es[n-1].Reason != string(session.ReasonICEFailed) {
		t.Fatalf("transcript does not end with call.end ice_failed:\n%s", raw)
	}
	a := es[n-2]
	if a.Kind != transcript.KindAssistant || !a.Interrupted || a.Reason != string(session.ReasonICEFailed) || a.Heard == "" || !strings.HasPrefix(a.Text, a.Heard) {
		t.Fatalf("entry before call.end %+v: want the story interrupted by ice_failed with a heard prefix\n%s", a, raw)
	}

	eng, err := espeak.New(espeak.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	heard, planned := strings.Fields(a.Heard), strings.Fields(a.Text)
	lo := spokenSpan(t, eng, strings.Join(heard[:len(heard)-1], " "))
	hi := spokenSpan(t, eng, strings.Join(planned[:min(len(heard)+1, len(planned))], " "))
	recv := voicedSpan(o.res.Received, 48000)
	const slack = 300 * time.Millisecond // sentence pauses, packets in flight
	t.Logf("heard %q (%d of %d words); caller received %v of voiced reply, heard words span %v..%v",
		a.Heard, len(heard), len(planned), recv.Round(time.Millisecond), lo.Round(time.Millisecond), hi.Round(time.Millisecond))
	if recv < lo-slack || recv > hi+slack {
		t.Errorf("caller received %v of the reply; heard %q spans %v..%v (±one word)", recv, a.Heard, lo, hi)
	}
}
