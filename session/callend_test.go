package session_test

import (
	"context"
	"os"
	"testing"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/transcript"
)

// endingPipeline records, when its call ends, a reply cut by the end with
// the reason the session gave, as the dialogue engine does.
type endingPipeline struct{}

func (endingPipeline) Name() string               { return "ending" }
func (endingPipeline) Engines() map[string]string { return nil }
func (endingPipeline) Run(ctx context.Context, io *pipeline.IO) error {
	io.Emit(pipeline.TranscriptFinal{TurnID: 1, Text: "tell me a story"})
	<-ctx.Done()
	io.Emit(pipeline.ReplyInterrupted{TurnID: 1, Text: "Once upon a time.", Heard: "Once upon", Reason: pipeline.EndReason(ctx)})
	return nil
}

// TestCallEndReachesClientAndTranscript: a call closed by the server
// (the client still there) tells the pipeline why; what the pipeline
// records then reaches the client and the transcript, before call.end.
func TestCallEndReachesClientAndTranscript(t *testing.T) {
	store, err := transcript.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, session.Config{Pipeline: endingPipeline{}, Transcripts: store})
	p := dial(t, m)
	p.next(t, events.TypeTranscriptFinal)
	p.call.Close(session.ReasonMaxDuration)
	ev := p.next(t, events.TypeReplyInterrupted)
	if ev.Reason != string(session.ReasonMaxDuration) || ev.Heard != "Once upon" {
		t.Fatalf("client got %+v, want the reply cut by max_duration", ev)
	}
	b, err := os.ReadFile(store.Path(p.call.ID()))
	if err != nil {
		t.Fatal(err)
	}
	es, err := transcript.Entries(b)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range es {
		kinds = append(kinds, e.Kind)
	}
	if len(es) != 4 || es[2].Kind != transcript.KindAssistant || !es[2].Interrupted ||
		es[2].Reason != string(session.ReasonMaxDuration) || es[2].Heard != "Once upon" || es[3].Kind != transcript.KindEnd {
		t.Fatalf("transcript %v:\n%s", kinds, b)
	}
}
