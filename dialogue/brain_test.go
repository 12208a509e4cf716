package dialogue

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/tts"
)

// recordingBrain is a Brain of its own (the cascade underneath) that
// records what the engine asks of it.
type recordingBrain struct {
	*Cascade
	mu        sync.Mutex
	sessions  int
	closed    int
	requests  []brain.Request
	truncated []truncation
}

type truncation struct {
	turn   int
	played time.Duration
	heard  string
}

func (b *recordingBrain) Engines() map[string]string { return map[string]string{"model": "recording"} }

func (b *recordingBrain) NewSession(context.Context) (brain.Session, error) {
	b.mu.Lock()
	b.sessions++
	b.mu.Unlock()
	return b, nil
}

func (b *recordingBrain) Respond(ctx context.Context, req brain.Request, out brain.Output) {
	b.mu.Lock()
	b.requests = append(b.requests, req)
	b.mu.Unlock()
	b.Cascade.Respond(ctx, req, out)
}

func (b *recordingBrain) Truncate(turn int, played time.Duration, heard string) {
	b.mu.Lock()
	b.truncated = append(b.truncated, truncation{turn, played, heard})
	b.mu.Unlock()
}

func (b *recordingBrain) Close() error {
	b.mu.Lock()
	b.closed++
	b.mu.Unlock()
	return nil
}

// TestBrainSeam: a Brain given in Options produces the replies, is told
// what the user heard when cut off, and is closed with the call.
func TestBrainSeam(t *testing.T) {
	var rb *recordingBrain
	t.Cleanup(func() { // runs after the harness has ended the call
		if rb.closed != 1 {
			t.Errorf("brain session closed %d times, want once", rb.closed)
		}
	})
	h := newHarness(t, func(o *Options) {
		rb = &recordingBrain{Cascade: &Cascade{STT: o.STT, LLM: o.LLM, TTS: o.TTS, LLMTimeout: time.Minute, TTSTimeout: time.Minute, MaxReplyChars: 4000, Clock: o.Clock}}
		o.Brain = rb
	})
	h.say("tell me a story", 20)
	h.waitPlaying("speaking", isState(events.StateSpeaking))
	h.tick(40)
	h.stt.say("stop")
	h.speech(20)
	h.silence(fdEnd)
	ev := h.waitFor("reply.interrupted", isType(events.TypeReplyInterrupted))
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if rb.sessions != 1 {
		t.Fatalf("%d sessions, want 1", rb.sessions)
	}
	if len(rb.requests) == 0 || rb.requests[0].TurnID != 1 || rb.requests[0].LLM.History[len(rb.requests[0].LLM.History)-1].Text != "tell me a story" {
		t.Fatalf("requests %+v", rb.requests)
	}
	if len(rb.truncated) != 1 {
		t.Fatalf("truncations %+v, want one", rb.truncated)
	}
	if tr := rb.truncated[0]; tr.turn != 1 || tr.heard != ev.Heard || tr.played <= 0 {
		t.Fatalf("truncation %+v, want turn 1, heard %q, played > 0", tr, ev.Heard)
	}
	a, err := NewAssistant(Options{Brain: rb, NewDetector: func() Detector { return &fakeDetector{} }})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Engines()["model"]; got != "recording" {
		t.Fatalf("Engines = %v, want the brain's", a.Engines())
	}
}

// pieceOutput records the texts of a reply's pieces.
type pieceOutput struct {
	mu     sync.Mutex
	pieces []string
}

func (o *pieceOutput) Delta(string)                    {}
func (o *pieceOutput) Mark(brain.Milestone, time.Time) {}
func (o *pieceOutput) Audio([]int16, int) error        { return nil }
func (o *pieceOutput) Failed(brain.Stage, error)       {}
func (o *pieceOutput) Produced(bool)                   {}
func (o *pieceOutput) Spoken(i int, p brain.Piece) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if i == len(o.pieces) {
		o.pieces = append(o.pieces, p.Text)
	}
}

// The cascade's Chunker options reach its chunker: with FirstMinChars a
// short first sentence is synthesized on its own; without, it is not.
func TestCascadeFirstPieceMinChars(t *testing.T) {
	const reply = "It is ten past four. Anything else?"
	for _, tc := range []struct {
		first int
		want  []string
	}{
		{0, []string{reply}},
		{10, []string{"It is ten past four.", "Anything else?"}},
	} {
		c := &Cascade{LLM: &fakeLLM{reply: reply}, TTS: &fakeTTS{}, LLMTimeout: time.Minute, TTSTimeout: time.Minute,
			MaxReplyChars: 4000, Clock: newFakeClock(), Chunker: tts.ChunkerOptions{FirstMinChars: tc.first}}
		out := &pieceOutput{}
		c.Respond(context.Background(), brain.Request{TurnID: 1}, out)
		if !slices.Equal(out.pieces, tc.want) {
			t.Errorf("FirstMinChars %d: pieces %q, want %q", tc.first, out.pieces, tc.want)
		}
	}
}

// The assistant's first-piece options reach its cascade's chunker.
func TestAssistantFirstPieceOptions(t *testing.T) {
	a, err := NewAssistant(Options{STT: &fakeSTT{}, LLM: &fakeLLM{}, TTS: &fakeTTS{}, FirstPieceMinChars: 10, FirstPieceWords: 3,
		NewDetector: func() Detector { return &fakeDetector{} }})
	if err != nil {
		t.Fatal(err)
	}
	c, ok := a.brain(newFakeClock()).(*Cascade)
	if !ok {
		t.Fatalf("brain %T, want the cascade", a.brain(newFakeClock()))
	}
	if c.Chunker.FirstMinChars != 10 || c.Chunker.FirstWords != 3 {
		t.Fatalf("chunker %+v, want FirstMinChars 10, FirstWords 3", c.Chunker)
	}
}

// quietTTS speaks every piece as 50 ms of near-silence, then 100 ms of voice.
type quietTTS struct{}

func (quietTTS) Name() string { return "quiet" }
func (quietTTS) Synthesize(ctx context.Context, text string, _ tts.Options) (tts.Stream, error) {
	pcm := make([]int16, 2400)
	for i := 800; i < len(pcm); i++ {
		pcm[i] = 1000
	}
	return &fakeTTSStream{ctx: ctx, chunks: []tts.Chunk{{PCM: pcm, SampleRate: 16000}}}, nil
}

// audioOutput records the audio of a reply.
type audioOutput struct {
	pieceOutput
	pcm []int16
}

func (o *audioOutput) Audio(pcm []int16, _ int) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pcm = append(o.pcm, pcm...)
	return nil
}

// The reply's first piece starts with its voice: the synthesizer's leading
// quiet is dropped there, and kept in later pieces (a pause between them).
func TestCascadeTrimsFirstPieceLead(t *testing.T) {
	c := &Cascade{LLM: &fakeLLM{reply: "It is ten past four. Anything else?"}, TTS: quietTTS{}, LLMTimeout: time.Minute, TTSTimeout: time.Minute,
		MaxReplyChars: 4000, Clock: newFakeClock(), Chunker: tts.ChunkerOptions{FirstMinChars: 10}}
	out := &audioOutput{}
	c.Respond(context.Background(), brain.Request{TurnID: 1}, out)
	if len(out.pieces) != 2 || len(out.pcm) != 1600+2400 {
		t.Fatalf("pieces %q, %d samples; want 2 pieces, the first without its 800 quiet samples", out.pieces, len(out.pcm))
	}
	if out.pcm[0] != 1000 || out.pcm[1600] != 0 {
		t.Fatalf("first sample %d, second piece's first %d: want the first piece trimmed only", out.pcm[0], out.pcm[1600])
	}
}
