package session_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/testpeer"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/transcript"
)

// burstPipeline emits n user turns at once, then waits for the call's end.
type burstPipeline struct{ n int }

func (burstPipeline) Name() string               { return "burst" }
func (burstPipeline) Engines() map[string]string { return nil }
func (b burstPipeline) Run(ctx context.Context, io *pipeline.IO) error {
	for i := 1; i <= b.n; i++ {
		io.Emit(pipeline.ReplyDelta{TurnID: i, Text: "not recorded"})
		io.Emit(pipeline.TranscriptFinal{TurnID: i, Text: "turn"})
	}
	<-ctx.Done()
	return nil
}

// TestTranscriptDrainedBeforeEnd: the transcript writer runs off the
// pipeline's goroutine, and every entry queued before the call ends is on
// disk before call.end.
func TestTranscriptDrainedBeforeEnd(t *testing.T) {
	dir := t.TempDir()
	store, err := transcript.NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 800
	m := newManager(t, session.Config{Pipeline: burstPipeline{n: n}, Transcripts: store})
	offer, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := m.Create(context.Background(), offer)
	if err != nil {
		t.Fatal(err)
	}
	c.Close(session.ReasonClientHangup)
	b, err := os.ReadFile(store.Path(c.ID()))
	if err != nil {
		t.Fatal(err)
	}
	es, err := transcript.Entries(b)
	if err != nil {
		t.Fatal(err)
	}
	users := 0
	for i, e := range es {
		switch e.Kind {
		case transcript.KindUser:
			users++
			if e.TurnID != users {
				t.Fatalf("entry %d is turn %d, want %d", i, e.TurnID, users)
			}
		case transcript.KindEnd:
			if i != len(es)-1 {
				t.Fatalf("call.end is entry %d of %d", i, len(es))
			}
		}
	}
	if users != n {
		t.Fatalf("%d user entries, want %d", users, n)
	}
	if last := es[len(es)-1]; last.Kind != transcript.KindEnd {
		t.Fatalf("last entry %+v, want call.end", last)
	}
}

// modePipeline answers session.update the way the engine does.
type modePipeline struct{}

func (modePipeline) Name() string               { return "modes" }
func (modePipeline) Engines() map[string]string { return map[string]string{"llm": "none"} }
func (modePipeline) Run(ctx context.Context, io *pipeline.IO) error {
	for {
		select {
		case c := <-io.Commands:
			if c.Kind == pipeline.CmdSessionUpdate {
				io.Emit(pipeline.ModeChanged{Mode: c.Mode})
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// TestReadyOnOpenAndModeChange: session.ready comes once when the channel
// opens and again, complete, as the answer to a mode change.
func TestReadyOnOpenAndModeChange(t *testing.T) {
	m := newManager(t, session.Config{Pipeline: modePipeline{}})
	p := dial(t, m)
	first := p.next(t, events.TypeSessionReady)
	if first.CallID != p.call.ID() || first.Mode != events.ModeFullDuplex || first.Pipeline != "modes" || first.Engines["llm"] != "none" {
		t.Fatalf("first session.ready %+v", first)
	}
	if err := p.dc.SendText(`{"type":"session.update","mode":"half_duplex"}`); err != nil {
		t.Fatal(err)
	}
	again := p.next(t, events.TypeSessionReady)
	if again.CallID != first.CallID || again.Mode != events.ModeHalfDuplex || again.Pipeline != "modes" || again.Engines["llm"] != "none" {
		t.Fatalf("session.ready after the update %+v", again)
	}
}

// helloCodec is a protocol of its own: Ready is {"type":"hello"}, nothing
// else is sent, every message is a response.cancel.
type helloCodec struct{}

func (helloCodec) Name() string { return "hello" }
func (helloCodec) Encode(ev pipeline.Event) ([][]byte, error) {
	if _, ok := ev.(pipeline.Ready); ok {
		return [][]byte{[]byte(`{"type":"hello"}`)}, nil
	}
	return nil, nil
}
func (helloCodec) Decode([]byte, bool) (pipeline.Command, error) {
	return pipeline.Command{Kind: pipeline.CmdResponseCancel}, nil
}

// TestProtocolPerCall: the codec comes from the call's options, keyed by
// the data channel's label.
func TestProtocolPerCall(t *testing.T) {
	m := newManager(t, session.Config{})
	p := dialWith(t, m, session.CreateOptions{Protocols: map[string]func() pipeline.Protocol{
		events.Label: func() pipeline.Protocol { return helloCodec{} },
	}})
	if ev := p.next(t, "hello"); ev.Type != "hello" {
		t.Fatalf("first message %+v, want the codec's hello", ev)
	}
	select {
	case ev := <-p.events:
		t.Fatalf("the codec sends only hello, got %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}
}
