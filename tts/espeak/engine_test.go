package espeak

import (
	"context"
	"errors"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/duplex-ai/duplex/tts"
)

const (
	english  = "Hello there, I am your voice assistant. The weather today is sunny with a high of twenty three degrees."
	mandarin = "你好，我是你的语音助手。今天天气晴朗，最高气温二十三度。"
)

var modes = []Mode{ModeLibrary, ModeProcess, ModeAuto}

func longText(n int) string {
	return strings.Repeat("This is a rather long sentence that keeps the synthesizer busy for a while. ", n)
}

// collect reads a stream to the end.
func collect(t *testing.T, s tts.Stream) (pcm []int16, chunks []tts.Chunk) {
	t.Helper()
	defer s.Close()
	for {
		c, err := s.Next()
		if err == io.EOF {
			return pcm, chunks
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if c.SampleRate != SampleRate {
			t.Fatalf("sample rate %d, want %d", c.SampleRate, SampleRate)
		}
		pcm = append(pcm, c.PCM...)
		chunks = append(chunks, c)
	}
}

func rms(pcm []int16) float64 {
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(max(len(pcm), 1)))
}

func checkNoChildren(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		kids := childProcesses(t)
		if len(kids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("child processes left: %v", kids)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSpeech(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		opt      tts.Options
		min, max time.Duration
	}{
		{"english", english, tts.Options{}, 3 * time.Second, 12 * time.Second},
		{"english voice variant", english, tts.Options{Voice: "en-us+f3"}, 3 * time.Second, 12 * time.Second},
		{"mandarin by language", mandarin, tts.Options{Language: "zh"}, 2 * time.Second, 15 * time.Second},
		{"mandarin by voice", mandarin, tts.Options{Voice: "cmn"}, 2 * time.Second, 15 * time.Second},
	}
	for _, mode := range modes {
		e := newTestEngine(t, Options{Mode: mode})
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.name, func(t *testing.T) {
				s, err := e.Synthesize(context.Background(), tt.text, tt.opt)
				if err != nil {
					t.Fatal(err)
				}
				pcm, _ := collect(t, s)
				d := time.Duration(len(pcm)) * time.Second / SampleRate
				if d < tt.min || d > tt.max {
					t.Errorf("duration %v, want %v..%v", d, tt.min, tt.max)
				}
				if r := rms(pcm); r < 300 {
					t.Errorf("RMS %.0f: audio is (nearly) silent", r)
				}
			})
		}
	}
	checkNoChildren(t)
}

func TestRate(t *testing.T) {
	durations := map[int]int{}
	for _, rate := range []int{120, 300} {
		e := newTestEngine(t, Options{Mode: ModeLibrary, Rate: rate})
		s, err := e.Synthesize(context.Background(), english, tts.Options{})
		if err != nil {
			t.Fatal(err)
		}
		pcm, _ := collect(t, s)
		durations[rate] = len(pcm)
	}
	if durations[300] >= durations[120]*3/4 {
		t.Fatalf("300 wpm gave %d samples, 120 wpm %d: rate not applied", durations[300], durations[120])
	}
}

func TestWordMarks(t *testing.T) {
	e := newTestEngine(t, Options{Mode: ModeLibrary})
	for _, text := range []string{english, mandarin, "Héllo wörld, ça va? Naïve café."} {
		s, err := e.Synthesize(context.Background(), text, tts.Options{Language: map[bool]string{true: "zh"}[text == mandarin]})
		if err != nil {
			t.Fatal(err)
		}
		pcm, chunks := collect(t, s)
		var marks []tts.Mark
		at := 0
		for _, c := range chunks {
			for _, m := range c.Marks {
				if m.Sample > at+len(c.PCM) {
					t.Errorf("mark %+v after the end of its chunk [%d,%d)", m, at, at+len(c.PCM))
				}
			}
			marks = append(marks, c.Marks...)
			at += len(c.PCM)
		}
		words := len(strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }))
		if text == mandarin {
			words = 0
			for _, r := range text {
				if unicode.Is(unicode.Han, r) {
					words++
				}
			}
		}
		if len(marks) < words*3/4 {
			t.Fatalf("%q: %d marks for %d words", text, len(marks), words)
		}
		prev := tts.Mark{TextOffset: -1, Sample: -1}
		for _, m := range marks {
			if m.TextOffset <= prev.TextOffset || m.Sample < prev.Sample || m.Sample > len(pcm) {
				t.Fatalf("%q: marks not increasing / out of range: %+v after %+v (%d samples)", text, m, prev, len(pcm))
			}
			r, _ := utf8.DecodeRuneInString(text[m.TextOffset:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				t.Fatalf("%q: mark at byte %d starts with %q, not a word", text, m.TextOffset, r)
			}
			prev = m
		}
	}
}

func TestFirstChunkBeforeEnd(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newTestEngine(t, Options{Mode: mode})
			s, err := e.Synthesize(context.Background(), longText(8), tts.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, chunks := collect(t, s)
			total := 0
			for _, c := range chunks {
				total += len(c.PCM)
			}
			if len(chunks) < 2 || len(chunks[0].PCM) >= total/4 {
				t.Fatalf("first chunk %d samples of %d in %d chunks: not streamed", len(chunks[0].PCM), total, len(chunks))
			}
		})
	}
}

func TestCancel(t *testing.T) {
	for _, mode := range modes {
		for _, how := range []string{"context", "close", "engine close"} {
			t.Run(mode.String()+"/"+how, func(t *testing.T) {
				e := newTestEngine(t, Options{Mode: mode})
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				s, err := e.Synthesize(ctx, longText(200), tts.Options{}) // minutes of speech
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.Next(); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				want := context.Canceled
				switch how {
				case "context":
					cancel()
				case "close":
					want = ErrClosed
					s.Close()
				case "engine close":
					want = ErrClosed
					e.Close()
				}
				for {
					_, err := s.Next()
					if err == nil {
						continue
					}
					if !errors.Is(err, want) {
						t.Fatalf("Next after cancel: %v, want %v", err, want)
					}
					break
				}
				s.Close()
				if d := time.Since(start); d > time.Second {
					t.Fatalf("stopping took %v", d)
				}
				checkNoChildren(t)
			})
		}
	}
	// The library is usable after an aborted synthesis.
	e := newTestEngine(t, Options{Mode: ModeLibrary})
	s, err := e.Synthesize(context.Background(), english, tts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pcm, _ := collect(t, s); len(pcm) < 3*SampleRate || len(pcm) > 12*SampleRate {
		t.Fatalf("after an abort: %d samples", len(pcm))
	}
}

func TestCancelWhileWaiting(t *testing.T) {
	// A synthesis waiting for a worker is cancelled without starting.
	e := newTestEngine(t, Options{Mode: ModeProcess, PoolSize: 1})
	busy, err := e.Synthesize(context.Background(), longText(100), tts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := e.Synthesize(ctx, english, tts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := s.Next(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next: %v, want context.Canceled", err)
	}
	s.Close()
	busy.Close()
	checkNoChildren(t)
}

func TestConcurrent(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newTestEngine(t, Options{Mode: mode})
			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for i := range 20 {
				wg.Go(func() {
					text, opt := english, tts.Options{}
					if i%4 == 3 {
						text, opt = mandarin, tts.Options{Language: "zh"}
					}
					s, err := e.Synthesize(context.Background(), text, opt)
					if err != nil {
						errs <- err
						return
					}
					defer s.Close()
					n := 0
					for {
						c, err := s.Next()
						if err == io.EOF {
							break
						}
						if err != nil {
							errs <- err
							return
						}
						n += len(c.PCM)
					}
					if n < 2*SampleRate {
						errs <- errors.New("short audio")
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
	checkNoChildren(t)
}

func TestErrors(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newTestEngine(t, Options{Mode: mode})
			for _, text := range []string{"", "  \n\t "} {
				if _, err := e.Synthesize(context.Background(), text, tts.Options{}); !errors.Is(err, ErrEmptyText) {
					t.Fatalf("Synthesize(%q): %v, want ErrEmptyText", text, err)
				}
			}
			if _, err := e.Synthesize(context.Background(), english, tts.Options{Voice: "-x"}); !errors.Is(err, ErrInvalidOption) {
				t.Fatalf("voice -x: %v, want ErrInvalidOption", err)
			}
			s, err := e.Synthesize(context.Background(), english, tts.Options{Voice: "xx-nonexistent"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Next(); !errors.Is(err, ErrUnknownVoice) {
				t.Fatalf("unknown voice: %v, want ErrUnknownVoice", err)
			}
			s.Close()
			// The next synthesis with a good voice still works.
			s, err = e.Synthesize(context.Background(), english, tts.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if pcm, _ := collect(t, s); len(pcm) == 0 {
				t.Fatal("no audio after an unknown voice")
			}
			e.Close()
			if _, err := e.Synthesize(context.Background(), english, tts.Options{}); !errors.Is(err, ErrClosed) {
				t.Fatalf("after Close: %v, want ErrClosed", err)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	for _, opt := range []Options{{Rate: 10}, {Rate: 1000}, {PoolSize: -1}, {Voice: "--help"}, {Mode: Mode(7)}} {
		if _, err := New(opt); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("New(%+v): %v, want ErrInvalidOption", opt, err)
		}
	}
	if _, err := New(Options{Mode: ModeProcess, Binary: "/nonexistent/espeak-ng"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing binary: %v, want ErrUnavailable", err)
	}
	tests := []struct {
		def  string
		opt  tts.Options
		want string
	}{
		{"en-us", tts.Options{}, "en-us"},
		{"en-us+f3", tts.Options{Language: "en"}, "en-us+f3"},
		{"en-us", tts.Options{Language: "zh"}, "cmn"},
		{"en-us", tts.Options{Language: "zh-Hans-CN"}, "cmn"},
		{"cmn", tts.Options{Language: "en"}, "en-us"},
		{"en-us", tts.Options{Language: "de"}, "de"},
		{"en-us", tts.Options{Voice: "en-gb", Language: "zh"}, "en-gb"},
	}
	for _, tt := range tests {
		if got, err := voiceFor(tt.def, tt.opt); err != nil || got != tt.want {
			t.Errorf("voiceFor(%q, %+v) = %q, %v; want %q", tt.def, tt.opt, got, err, tt.want)
		}
	}
}

func TestSegments(t *testing.T) {
	text := "  Hello there, I am your voice assistant.\nThe weather is sunny. OK. 你好，我是你的语音助手。今天天气晴朗。"
	segs := segments(text)
	if len(segs) < 3 {
		t.Fatalf("segments %+v", segs)
	}
	for _, s := range segs {
		if text[s.offset:s.offset+len(s.text)] != s.text {
			t.Fatalf("segment %+v not at its offset", s)
		}
	}
}

// TestWarm: Warm speaks with the default voice; an unknown default voice
// fails there, at start, instead of in the first call; a closed engine
// reports ErrClosed.
func TestWarm(t *testing.T) {
	for _, mode := range modes {
		if err := newTestEngine(t, Options{Mode: mode}).Warm(t.Context()); err != nil {
			t.Fatalf("%v: %v", mode, err)
		}
		e := newTestEngine(t, Options{Mode: mode, Voice: "xx-nosuchvoice"})
		if err := e.Warm(t.Context()); !errors.Is(err, ErrUnknownVoice) {
			t.Fatalf("%v, unknown voice: %v, want ErrUnknownVoice", mode, err)
		}
		_ = e.Close()
		if err := e.Warm(t.Context()); !errors.Is(err, ErrClosed) {
			t.Fatalf("%v, closed: %v, want ErrClosed", mode, err)
		}
	}
}
