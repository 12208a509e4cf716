package local

import (
	"context"
	"errors"
	"image"
	"image/color"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/llm"
)

// now is Tuesday, March 4, 2025, 15:07 local to a fixed zone.
var now = time.Date(2025, 3, 4, 15, 7, 0, 0, time.FixedZone("CET", 3600))

func ask(t *testing.T, history ...string) (skill, reply string) {
	t.Helper()
	req := llm.Request{Now: now}
	for i, h := range history {
		role := llm.RoleUser
		if (len(history)-1-i)%2 == 1 {
			role = llm.RoleAssistant
		}
		req.History = append(req.History, llm.Message{Role: role, Text: h, At: now})
	}
	skill, reply, err := New(Options{}).Reply(req)
	if err != nil {
		t.Fatal(err)
	}
	return skill, reply
}

// streamAll runs a request through Stream and joins the deltas.
func streamAll(t *testing.T, req llm.Request) (string, int) {
	t.Helper()
	s, err := New(Options{}).Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var b strings.Builder
	n := 0
	for {
		d, err := s.Next()
		if errors.Is(err, io.EOF) {
			return b.String(), n
		}
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(d)
		n++
	}
}

func TestSkills(t *testing.T) {
	for _, tc := range []struct {
		history []string // alternating, ending with the user turn
		skill   string
		want    []string // substrings of the reply
		maxLen  int      // 0: no limit
	}{
		// greeting
		{[]string{"Hello"}, "greeting", []string{"Hello!", "time", "story"}, 200},
		{[]string{"hi"}, "greeting", []string{"Hello!"}, 200},
		{[]string{"Good morning!"}, "greeting", []string{"Good morning!"}, 200},
		{[]string{"hey there"}, "greeting", []string{"Hello!"}, 200},
		{[]string{"hello, how are you?"}, "greeting", []string{"Hello! I'm fine"}, 200},
		{[]string{"how are you"}, "greeting", []string{"I'm fine"}, 200},
		{[]string{"you see, I was thinking"}, "fallback", []string{"offline"}, 0},
		// time
		{[]string{"What time is it?"}, "time", []string{"3:07 PM"}, 40},
		{[]string{"what's the time"}, "time", []string{"3:07"}, 40},
		{[]string{"whats the time now please"}, "time", []string{"3:07"}, 40},
		{[]string{"hello what time is it"}, "time", []string{"3:07"}, 40},
		// date
		{[]string{"What is the date today?"}, "date", []string{"Tuesday", "March", "4", "2025"}, 60},
		{[]string{"what day is it"}, "date", []string{"Tuesday, March 4, 2025"}, 60},
		{[]string{"what's today's date"}, "date", []string{"March 4, 2025"}, 60},
		// arithmetic
		{[]string{"What is twelve times seven?"}, "arithmetic", []string{"Twelve times seven is 84."}, 0},
		{[]string{"what's 12 x 7"}, "arithmetic", []string{"12 times 7 is 84."}, 0},
		{[]string{"12*7"}, "arithmetic", []string{"84"}, 0},
		{[]string{"what is seventy-seven plus twenty three"}, "arithmetic", []string{"Seventy-seven plus twenty-three is 100."}, 0},
		{[]string{"what is seventy seven minus ninety"}, "arithmetic", []string{"is minus 13."}, 0},
		{[]string{"a hundred divided by eight"}, "arithmetic", []string{"One hundred divided by eight is 12.5."}, 0},
		{[]string{"what is one hundred over three"}, "arithmetic", []string{"is about 33.33."}, 0},
		{[]string{"what is six multiplied by nine"}, "arithmetic", []string{"Six times nine is 54."}, 0},
		{[]string{"five divided by zero"}, "arithmetic", []string{"undefined", "zero"}, 0},
		{[]string{"what is 10 / 4"}, "arithmetic", []string{"10 divided by 4 is 2.5."}, 0},
		{[]string{"what is 12 - 5"}, "arithmetic", []string{"12 minus 5 is 7."}, 0},
		{[]string{"what is 2 + 2"}, "arithmetic", []string{"2 plus 2 is 4."}, 0},
		{[]string{"what is to plus to"}, "arithmetic", []string{"Two plus two is 4."}, 0},         // recognizer slip
		{[]string{"what is six time for"}, "arithmetic", []string{"Six times four is 24."}, 0},    // slips
		{[]string{"add five to three"}, "arithmetic", []string{"Five plus three is 8."}, 0},       // "to" as a word
		{[]string{"subtract three from ten"}, "arithmetic", []string{"Ten minus three is 7."}, 0}, // reversed
		{[]string{"multiply six by seven"}, "arithmetic", []string{"42"}, 0},
		{[]string{"divide ninety by nine"}, "arithmetic", []string{"Ninety divided by nine is 10."}, 0},
		{[]string{"what's the product of three and five"}, "arithmetic", []string{"15"}, 0},
		// memory
		{[]string{"my cat is called Tom", "Nice name.", "what did I just say?"}, "repeat-me", []string{`You said: "my cat is called Tom".`}, 0},
		{[]string{"the sky is blue.", "Okay.", "what did I say before"}, "repeat-me", []string{`"the sky is blue"`}, 0},
		{[]string{"what did I just say"}, "repeat-me", []string{"haven't said anything"}, 0},
		{[]string{"tell me a story", "Once upon a", "what did you say"}, "repeat-you", []string{"I said: Once upon a"}, 0},
		// story
		{[]string{"Tell me a story."}, "story", []string{"Once"}, 0},
		{[]string{"tell me a storey please"}, "story", []string{"Once"}, 0},
		// help
		{[]string{"What can you do?"}, "help", []string{"time", "date", "arithmetic", "camera", "story"}, 0},
		{[]string{"help"}, "help", []string{"offline"}, 0},
		// camera (no image)
		{[]string{"what do you see"}, "camera", []string{"I can't see anything — the camera is off or not sending video."}, 0},
		{[]string{"What can you see?"}, "camera", []string{"camera is off"}, 0},
		{[]string{"look at this"}, "camera", []string{"camera is off"}, 0},
		// stop / hold on: a short acknowledgement
		{[]string{"stop"}, "stop", []string{"Okay."}, 10},
		{[]string{"Stop talking, please."}, "stop", []string{"Okay."}, 10},
		{[]string{"wait a second"}, "stop", []string{"Okay."}, 10},
		{[]string{"never mind"}, "stop", []string{"Okay."}, 10},
		{[]string{"okay that's enough"}, "stop", []string{"Okay."}, 10},
		// acknowledgements
		{[]string{"okay"}, "ack", []string{"Okay."}, 10},
		{[]string{"Yeah."}, "ack", []string{"Okay."}, 10},
		{[]string{"right"}, "ack", []string{"Okay."}, 10},
		{[]string{"thanks"}, "thanks", []string{"You're welcome."}, 20},
		{[]string{"thank you very much"}, "thanks", []string{"You're welcome."}, 20},
		{[]string{"goodbye"}, "goodbye", []string{"Goodbye"}, 40},
		// anything else
		{[]string{"what is the capital of France"}, "fallback", []string{"offline", "-llm openai -llm-url http://", "/v1", "11434"}, 300},
		{[]string{"..."}, "empty", []string{"didn't catch"}, 0},
	} {
		t.Run(tc.history[len(tc.history)-1], func(t *testing.T) {
			skill, reply := ask(t, tc.history...)
			if skill != tc.skill {
				t.Fatalf("skill %q, want %q (reply %q)", skill, tc.skill, reply)
			}
			for _, w := range tc.want {
				if !strings.Contains(reply, w) {
					t.Fatalf("reply %q lacks %q", reply, w)
				}
			}
			if tc.maxLen > 0 && len(reply) > tc.maxLen {
				t.Fatalf("reply is %d bytes, want ≤ %d: %q", len(reply), tc.maxLen, reply)
			}
		})
	}
}

func TestTimeIn24HourClockHasHourDigits(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2025, 1, 1, 0, 5, 0, 0, time.UTC), "12:05 AM"},
		{time.Date(2025, 1, 1, 9, 30, 0, 0, time.UTC), "9:30 AM"},
		{time.Date(2025, 1, 1, 23, 59, 0, 0, time.UTC), "11:59 PM"},
	} {
		req := llm.Request{Now: tc.at, History: []llm.Message{{Role: llm.RoleUser, Text: "what time is it"}}}
		if got, _ := streamAll(t, req); !strings.Contains(got, tc.want) {
			t.Fatalf("%v: %q lacks %q", tc.at, got, tc.want)
		}
	}
}

func TestStoryIsLongAndStreamed(t *testing.T) {
	req := llm.Request{Now: now, History: []llm.Message{{Role: llm.RoleUser, Text: "tell me a story"}}}
	text, deltas := streamAll(t, req)
	if n := len(strings.Fields(text)); n < 350 {
		t.Fatalf("story has %d words, want ≥ 350", n)
	}
	if deltas < 300 {
		t.Fatalf("%d deltas: not streamed word by word", deltas)
	}
	if text != stories[0] {
		t.Fatal("deltas do not join back to the story")
	}
	// The next request for a story gets the other one.
	req.History = append(req.History,
		llm.Message{Role: llm.RoleAssistant, Text: stories[0][:200], Interrupted: true},
		llm.Message{Role: llm.RoleUser, Text: "another story please"})
	if text, _ := streamAll(t, req); text != stories[1] {
		t.Fatalf("second story: %.60q", text)
	}
	req.History[len(req.History)-1].Text = "sorry what did you say"
	if text, _ := streamAll(t, req); !strings.HasPrefix(text, "I was saying: Once") || !strings.HasSuffix(text, "you stopped me.") {
		t.Fatalf("repeat after interruption: %q", text)
	}
}

func TestStreamCancelAndClose(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e := New(Options{})
	s, err := e.Stream(ctx, llm.Request{Now: now, History: []llm.Message{{Role: llm.RoleUser, Text: "tell me a story"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := s.Next(); !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v, want context.Canceled", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := e.Stream(ctx, llm.Request{History: []llm.Message{{Role: llm.RoleUser, Text: "hi"}}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream with a cancelled ctx: %v", err)
	}
}

func TestNoUserTurn(t *testing.T) {
	e := New(Options{})
	for _, h := range [][]llm.Message{nil, {{Role: llm.RoleUser, Text: "hi"}, {Role: llm.RoleAssistant, Text: "Hello"}}} {
		if _, err := e.Stream(context.Background(), llm.Request{History: h}); !errors.Is(err, llm.ErrNoUserTurn) {
			t.Fatalf("%v: %v", h, err)
		}
	}
	if e.Name() != "local" {
		t.Fatal(e.Name())
	}
}

func TestDefaultClockWhenNowIsZero(t *testing.T) {
	fixed := time.Date(2030, 7, 1, 8, 15, 0, 0, time.UTC)
	e := New(Options{Now: func() time.Time { return fixed }})
	_, reply, _ := e.Reply(llm.Request{History: []llm.Message{{Role: llm.RoleUser, Text: "what time is it"}}})
	if !strings.Contains(reply, "8:15 AM") {
		t.Fatal(reply)
	}
}

func TestSplitDeltas(t *testing.T) {
	for _, s := range []string{"", "one", "one two", "a  b ", " lead", "It's 3:07 PM."} {
		d := splitDeltas(s)
		if strings.Join(d, "") != s {
			t.Fatalf("%q -> %q", s, d)
		}
		for _, x := range d {
			if x == "" {
				t.Fatalf("%q: empty delta", s)
			}
		}
	}
}

func solid(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

// A turn the recogniser did not understand gets what was heard and what
// the brain can do, never a skill answer made up from the words; only a
// whole request phrase in the general model's words gets its skill.
func TestNotUnderstood(t *testing.T) {
	e := New(Options{})
	for _, tc := range []struct {
		text      string
		conf      float64
		skill     string
		want, not string
	}{
		{"go forward ten meters", 0.6, "heard", "I heard 'go forward ten meters'. Offline I can tell the time", ""},
		// words a skill would take, heard by the general model only
		{"what is ninety nine plus one", 0.9, "heard", "I heard 'what is ninety nine plus one'.", "199"},
		{"two times two at the time", 0.5, "heard", "I heard 'two times two at the time'.", "PM"},
		// a whole request phrase in the general model's own words
		{"what time is it", 0.5, "time", "It's", "heard"},
		{"please tell me what you see in front of me right now", 0.6, "camera", "", "heard"},
		{"tell me a story about a lighthouse", 0.6, "story", "", "heard"},
		{"he was not an ill disposed young man", 0.1, "not-caught", "Sorry, I didn't catch that.", "heard"},
		{"", 0.9, "not-caught", "Sorry, I didn't catch that.", ""},
	} {
		req := llm.Request{Now: now, History: []llm.Message{{Role: llm.RoleUser, Text: tc.text, NotUnderstood: true, Confidence: tc.conf}}}
		skill, reply, err := e.Reply(req)
		if err != nil {
			t.Fatal(err)
		}
		if skill != tc.skill || !strings.Contains(reply, tc.want) || (tc.not != "" && strings.Contains(reply, tc.not)) {
			t.Errorf("%q (%.1f) → %s %q; want %s with %q, without %q", tc.text, tc.conf, skill, reply, tc.skill, tc.want, tc.not)
		}
	}
}

// Digit strings are quoted, not summed; sums in digits still work.
func TestDigitStrings(t *testing.T) {
	for _, tc := range []struct{ text, skill, want string }{
		{"3719", "digits", "I heard '3719'."},
		{"555 0123", "digits", "I heard '555 0123'."},
		{"12 times 7", "arithmetic", "84"},
		{"what is twelve times seven", "arithmetic", "84"},
	} {
		skill, reply := ask(t, tc.text)
		if skill != tc.skill || !strings.Contains(reply, tc.want) {
			t.Errorf("%q → %s %q; want %s with %q", tc.text, skill, reply, tc.skill, tc.want)
		}
	}
}
