package sphinx

import (
	"testing"

	"github.com/duplex-ai/duplex/internal/testtier"
	"github.com/duplex-ai/duplex/stt"
)

// TestCheckedPassAside: with a spare decoder free the final's grammar pass
// runs on it beside the phone loop, and the transcript and verdict are
// those of the two passes run one after the other on the stream's decoder.
func TestCheckedPassAside(t *testing.T) {
	testtier.Slow(t, "pocketsphinx decodes on two engines")
	requireTools(t, true)
	seq := newTestEngine(t, Options{PoolSize: 1, NoLMStream: true})
	busy, ok, err := seq.asidePool.tryAcquire() // no spare: one pass after the other
	if err != nil || !ok {
		t.Fatalf("spare decoder: %v %v", ok, err)
	}
	defer seq.asidePool.release(busy, false)
	par := newTestEngine(t, Options{PoolSize: 1, NoLMStream: true})
	for _, p := range []struct{ voice, text string }{{"en-us+f2", "what is the date today"}, {"en+m5", "what is one hundred divided by five"}} {
		pcm := speak(t, p.voice, p.text)
		var got [2]stt.Result
		var v [2]verdict
		for i, e := range []*Engine{seq, par} {
			st, err := e.NewStream(t.Context(), stt.StreamOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s := st.(*stream)
			writeAll(t, s, pcm)
			waitSpeculated(t, s, 1)
			if got[i], err = s.Finish(t.Context()); err != nil {
				t.Fatal(err)
			}
			v[i] = s.spec.v
			if aside := s.passesAside.Load(); (aside > 0) != (e == par) {
				t.Errorf("%q: %d grammar passes aside with the spare decoder %s", p.text, aside, map[bool]string{true: "free", false: "busy"}[e == par])
			}
			_ = s.Close()
		}
		if got[0].Text != got[1].Text || got[0].NotUnderstood != got[1].NotUnderstood || v[0].accept != v[1].accept {
			t.Errorf("%q: one after the other %q (accepted %v), side by side %q (accepted %v)", p.text, got[0].Text, v[0].accept, got[1].Text, v[1].accept)
		}
		if got[1].Text != p.text || !v[1].accept {
			t.Errorf("%q: heard %q (accepted %v)", p.text, got[1].Text, v[1].accept)
		}
	}
}
