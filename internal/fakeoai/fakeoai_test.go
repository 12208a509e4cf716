package fakeoai

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/llm"
	llmopenai "github.com/duplex-ai/duplex/llm/openai"
	"github.com/duplex-ai/duplex/stt"
	sttopenai "github.com/duplex-ai/duplex/stt/openai"
	"github.com/duplex-ai/duplex/tts"
	ttsopenai "github.com/duplex-ai/duplex/tts/openai"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// tone is a synthesizer of 10 ms of 16 kHz audio per byte of text.
type tone struct{}

func (tone) Name() string { return "tone" }
func (tone) Synthesize(_ context.Context, text string, _ tts.Options) (tts.Stream, error) {
	pcm := make([]int16, 160*len(text))
	for i := range pcm {
		pcm[i] = int16(1000 * (i % 2))
	}
	return &toneStream{c: []tts.Chunk{{PCM: pcm, SampleRate: 16000}}}, nil
}

type toneStream struct{ c []tts.Chunk }

func (s *toneStream) Next() (tts.Chunk, error) {
	if len(s.c) == 0 {
		return tts.Chunk{}, io.EOF
	}
	c := s.c[0]
	s.c = s.c[1:]
	return c, nil
}
func (s *toneStream) Close() error { return nil }

// TestClientsAgainstFake: the repo's own OpenAI-compatible clients talk
// to the fake: a transcription of the uploaded audio, a streamed chat
// answer to the last user message, and 24 kHz speech of the right length.
func TestClientsAgainstFake(t *testing.T) {
	var heard int
	s := Start(Options{
		TTS: tone{},
		Transcribe: func(pcm []int16, rate int) string {
			heard = len(pcm) * 1000 / rate
			return "what time is it"
		},
		Reply: func(user string) string { return "You asked " + user + ". It is noon." },
	})
	defer s.Close()
	ctx := t.Context()

	se, err := sttopenai.New(sttopenai.Options{BaseURL: s.URL(), APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := se.NewStream(ctx, stt.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(make([]int16, stt.SampleRate/2)); err != nil {
		t.Fatal(err)
	}
	res, err := st.Finish(ctx)
	_ = st.Close()
	if err != nil || res.Text != "what time is it" || heard != 500 {
		t.Fatalf("transcript %q, %v; the fake heard %d ms, want 500", res.Text, err, heard)
	}

	le, err := llmopenai.New(llmopenai.Options{BaseURL: s.URL(), APIKey: "k", Model: "fake"})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := le.Stream(ctx, llm.Request{History: []llm.Message{{Role: llm.RoleUser, Text: "what time is it"}}})
	if err != nil {
		t.Fatal(err)
	}
	var reply strings.Builder
	n := 0
	for {
		d, err := ls.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		reply.WriteString(d)
		n++
	}
	_ = ls.Close()
	if reply.String() != "You asked what time is it. It is noon." || n < 5 {
		t.Fatalf("reply %q in %d deltas", reply.String(), n)
	}

	te, err := ttsopenai.New(ttsopenai.Options{BaseURL: s.URL(), APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	defer te.Close()
	ts, err := te.Synthesize(ctx, "Hello.", tts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	samples := 0
	for {
		c, err := ts.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.SampleRate != SpeechRate {
			t.Fatalf("chunk at %d Hz", c.SampleRate)
		}
		samples += len(c.PCM)
	}
	_ = ts.Close()
	// "Hello." is 60 ms of tone at 16 kHz: 1440 samples at 24 kHz.
	if samples < 1400 || samples > 1480 {
		t.Fatalf("%d samples of speech, want about 1440", samples)
	}
	if st := s.Stats(); st.Transcriptions != 1 || st.Chats != 1 || st.Speeches != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestBadRequests: missing fields get OpenAI-style 400s.
func TestBadRequests(t *testing.T) {
	s := Start(Options{TTS: tone{}})
	defer s.Close()
	le, err := llmopenai.New(llmopenai.Options{BaseURL: s.URL(), APIKey: "k", Model: "fake"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := le.Stream(t.Context(), llm.Request{}); err == nil {
		t.Fatal("a chat without messages was answered")
	}
	te, err := ttsopenai.New(ttsopenai.Options{BaseURL: s.URL(), APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	defer te.Close()
	if st, err := te.Synthesize(t.Context(), " ", tts.Options{}); err == nil {
		_, err = st.Next()
		_ = st.Close()
		if err == nil {
			t.Fatal("empty input was voiced")
		}
	}
}
