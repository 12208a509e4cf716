package tts

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// chunkAll pushes deltas one by one and flushes, returning every piece.
func chunkAll(c *Chunker, deltas []string) []string {
	var out []string
	for _, d := range deltas {
		out = append(out, c.Push(d)...)
	}
	return append(out, c.Flush()...)
}

// byRunes splits s into deltas of n runes, like a token stream.
func byRunes(s string, n int) []string {
	var out []string
	r := []rune(s)
	for len(r) > 0 {
		k := min(n, len(r))
		out = append(out, string(r[:k]))
		r = r[k:]
	}
	return out
}

func TestChunker(t *testing.T) {
	tests := []struct {
		name string
		opt  ChunkerOptions
		in   string
		want []string
	}{
		{
			name: "two sentences",
			in:   "The weather is sunny today. Tomorrow it will rain a lot.",
			want: []string{"The weather is sunny today.", "Tomorrow it will rain a lot."},
		},
		{
			name: "short sentences merged",
			in:   "Hi. Sure! I can help you with that. Okay?",
			want: []string{"Hi. Sure! I can help you with that.", "Okay?"},
		},
		{
			name: "decimal number is not a cut",
			in:   "The value is about 3.5 percent higher. That is all for now.",
			want: []string{"The value is about 3.5 percent higher.", "That is all for now."},
		},
		{
			name: "thousands comma is not a comma cut",
			in:   "There were 1,000,000 people at the big event. It was packed.",
			want: []string{"There were 1,000,000 people at the big event.", "It was packed."},
		},
		{
			name: "abbreviations",
			opt:  ChunkerOptions{FirstMaxChars: -1},
			in:   "Ask Mr. Smith about fruit, e.g. apples and pears. Dr. Who agrees with him.",
			want: []string{"Ask Mr. Smith about fruit, e.g. apples and pears.", "Dr. Who agrees with him."},
		},
		{
			name: "first piece cut at comma when long",
			in:   "Well, to be perfectly honest with you, the answer depends on many things. Here they are.",
			want: []string{"Well, to be perfectly honest with you,", "the answer depends on many things.", "Here they are."},
		},
		{
			name: "only the first piece is cut at a comma",
			in: "This first sentence is quite short. But the second one, which is much longer, " +
				"is never cut at a comma.",
			want: []string{"This first sentence is quite short.", "But the second one, which is much longer, is never cut at a comma."},
		},
		{
			name: "first comma rule disabled",
			opt:  ChunkerOptions{FirstMaxChars: -1},
			in:   "Well, to be perfectly honest with you, the answer depends on many things.",
			want: []string{"Well, to be perfectly honest with you, the answer depends on many things."},
		},
		{
			name: "newline cuts and list numbers do not",
			in:   "Here are the steps to follow:\n1. Open the settings app.\n2. Tap on the network item.\n",
			want: []string{"Here are the steps to follow:", "1. Open the settings app.", "2. Tap on the network item."},
		},
		{
			name: "quotes stay with their sentence",
			in:   `He said "I will be there soon." Then he left the house.`,
			want: []string{`He said "I will be there soon."`, "Then he left the house."},
		},
		{
			name: "question and exclamation runs",
			in:   "Are you really serious about that?! I could not believe it...",
			want: []string{"Are you really serious about that?!", "I could not believe it..."},
		},
		{
			name: "semicolon",
			in:   "I like the first option a lot; the second one is fine too.",
			want: []string{"I like the first option a lot;", "the second one is fine too."},
		},
		{
			name: "mandarin",
			in:   "你好，我是你的语音助手。今天的天气很好，适合出去散步。你想去哪里？",
			want: []string{"你好，我是你的语音助手。", "今天的天气很好，适合出去散步。", "你想去哪里？"},
		},
		{
			name: "mandarin first piece cut at comma",
			in:   "根据我查到的最新天气预报信息，明天下午北京会有一场比较大的雷阵雨，请记得带伞。",
			want: []string{"根据我查到的最新天气预报信息，", "明天下午北京会有一场比较大的雷阵雨，请记得带伞。"},
		},
		{
			name: "mandarin closing quote",
			in:   "他说：「我明天一定会准时到达那里。」然后他就离开了这个地方。",
			want: []string{"他说：「我明天一定会准时到达那里。」", "然后他就离开了这个地方。"},
		},
		{
			name: "run-on text cut at MaxChars",
			opt:  ChunkerOptions{MaxChars: 40, FirstMaxChars: -1},
			in:   "and then we went to the market and bought some apples and then we went home",
			want: []string{"and then we went to the market and bought some", "apples and then we went home"},
		},
		{
			name: "no punctuation short",
			in:   "ok",
			want: []string{"ok"},
		},
		{
			name: "whitespace only",
			in:   " \n\t  \n",
			want: nil,
		},
		{
			name: "empty",
			in:   "",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, n := range []int{1, 3, 7, 1000} {
				got := chunkAll(NewChunker(tt.opt), byRunes(tt.in, n))
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("deltas of %d runes:\n got  %q\n want %q", n, got, tt.want)
				}
			}
		})
	}
}

func TestChunkerEmitsWhenSentenceCompletes(t *testing.T) {
	c := NewChunker(ChunkerOptions{})
	if got := c.Push("The weather is sunny today."); len(got) != 0 {
		t.Fatalf("cut before seeing what follows the period: %q", got)
	}
	if got := c.Push(" Tomorrow"); !reflect.DeepEqual(got, []string{"The weather is sunny today."}) {
		t.Fatalf("got %q", got)
	}
	if got := c.Flush(); !reflect.DeepEqual(got, []string{"Tomorrow"}) {
		t.Fatalf("flush got %q", got)
	}
	// Flush resets: the first-piece comma rule applies again.
	got := chunkAll(c, []string{"Well, to be perfectly honest with you, the answer depends on many things."})
	if len(got) != 2 {
		t.Fatalf("after Flush the first-piece rule should apply again, got %q", got)
	}
}

func TestChunkerFirstPieceEarly(t *testing.T) {
	// The first piece comes out while the first sentence is still streaming.
	c := NewChunker(ChunkerOptions{})
	var got []string
	for _, d := range byRunes("Sure thing my good friend Anna, here is what I found about the weather in your city", 2) {
		got = append(got, c.Push(d)...)
	}
	if !reflect.DeepEqual(got, []string{"Sure thing my good friend Anna,"}) {
		t.Fatalf("got %q before the sentence ended", got)
	}
}

func TestChunkerSplitRune(t *testing.T) {
	// A delta boundary inside a UTF-8 sequence must not corrupt the text.
	in := "今天的天气很好，适合出去散步，我们可以去公园看看花，然后吃个午饭再回家休息一下。"
	var deltas []string
	for i := 0; i < len(in); i += 2 {
		deltas = append(deltas, in[i:min(i+2, len(in))])
	}
	got := chunkAll(NewChunker(ChunkerOptions{MaxChars: 20}), deltas)
	for _, p := range got {
		if !utf8.ValidString(p) {
			t.Fatalf("piece %q is not valid UTF-8 (all %q)", p, got)
		}
	}
	if strings.Join(got, "") != in {
		t.Fatalf("pieces %q do not rebuild the input", got)
	}
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func FuzzChunker(f *testing.F) {
	for _, s := range []string{
		"The weather is sunny today. Tomorrow it will rain.",
		"Well, to be perfectly honest with you, the answer depends.",
		"3.5 e.g. Mr. Smith\n1. one\n2. two",
		"你好，我是你的语音助手。今天的天气很好！",
		"...?!;;\n\n,,，、。",
		"\xe4\xbd",
	} {
		f.Add(s, uint8(3), uint8(0))
	}
	f.Fuzz(func(t *testing.T, in string, step, minChars uint8) {
		n := int(step%16) + 1
		c := NewChunker(ChunkerOptions{MinChars: int(minChars % 40), MaxChars: 50})
		var got []string
		for i := 0; i < len(in); i += n {
			got = append(got, c.Push(in[i:min(i+n, len(in))])...)
		}
		got = append(got, c.Flush()...)
		var rebuilt strings.Builder
		for _, p := range got {
			if p == "" || strings.TrimSpace(p) != p {
				t.Fatalf("piece %q is empty or not trimmed", p)
			}
			// Strip each piece on its own: with invalid UTF-8, joining two
			// pieces could fuse stray bytes into a rune.
			rebuilt.WriteString(stripSpace(p))
		}
		if a, b := rebuilt.String(), stripSpace(in); a != b {
			t.Fatalf("pieces %q rebuild %q, want %q", got, a, b)
		}
	})
}

func TestChunkerFirstMinChars(t *testing.T) {
	deltas := strings.SplitAfter("It is ten past four. Anything else? Yes. No more.", " ")
	// Default: the 16-wide first sentence waits for the next one.
	if got := chunkAll(NewChunker(ChunkerOptions{}), deltas); !reflect.DeepEqual(got, []string{"It is ten past four. Anything else?", "Yes. No more."}) {
		t.Fatalf("default got %q", got)
	}
	// FirstMinChars 10: the first sentence goes as soon as its end is seen;
	// later pieces keep MinChars (the 17-wide "Anything else? Yes." is merged).
	c := NewChunker(ChunkerOptions{FirstMinChars: 10})
	var got []string
	for i, d := range deltas {
		got = append(got, c.Push(d)...)
		if i == 4 && !reflect.DeepEqual(got, []string{"It is ten past four."}) {
			t.Fatalf("after %q got %q, want the first sentence", d, got)
		}
	}
	got = append(got, c.Flush()...)
	if want := []string{"It is ten past four.", "Anything else? Yes. No more."}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	// A short reply is not cut: "Sure." is below FirstMinChars.
	if got := chunkAll(NewChunker(ChunkerOptions{FirstMinChars: 10}), []string{"Sure. ", "Done."}); !reflect.DeepEqual(got, []string{"Sure. Done."}) {
		t.Fatalf("short reply got %q", got)
	}
	// After Flush the first-piece rule applies again.
	if got := c.Push("Okay then, fine. "); !reflect.DeepEqual(got, []string{"Okay then, fine."}) {
		t.Fatalf("second reply got %q", got)
	}
}

func TestChunkerFirstWords(t *testing.T) {
	// Leading-space tokens, as OpenAI streams them: "ten" is whole only
	// once " past" has come.
	deltas := []string{"It", " is", " ten", " past", " four", ".", " Anything", " else", "?"}
	c := NewChunker(ChunkerOptions{FirstMinChars: 10, FirstWords: 3})
	var got []string
	for i, d := range deltas {
		got = append(got, c.Push(d)...)
		if i == 2 && len(got) != 0 {
			t.Fatalf("after %q got %q: the third word may go on", d, got)
		}
		if i == 3 && !reflect.DeepEqual(got, []string{"It is ten"}) {
			t.Fatalf("after %q got %q, want the first three words", d, got)
		}
	}
	got = append(got, c.Flush()...)
	// Later pieces are whole sentences again.
	if want := []string{"It is ten", "past four. Anything else?"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	// A first sentence whose end is already here is not cut at words; a
	// short one ("Sure.") holds the word rule back (it waits for MinChars).
	for _, tc := range []struct {
		deltas []string
		want   []string
	}{
		{[]string{"It is four now. ", "Anything else? "}, []string{"It is four now.", "Anything else?"}},
		{[]string{"It is four. ", "Anything else? "}, []string{"It is four. Anything else?"}},
		{[]string{"Sure. ", "Let ", "me ", "see ", "that."}, []string{"Sure. Let me see that."}},
		{[]string{"Twenty", "-one ", "items."}, []string{"Twenty-one items."}},
	} {
		if got := chunkAll(NewChunker(ChunkerOptions{FirstMinChars: 10, FirstWords: 2}), tc.deltas); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.deltas, got, tc.want)
		}
	}
	// After Flush the rule applies to the next reply again; off by default.
	if got := c.Push("One two three four five "); !reflect.DeepEqual(got, []string{"One two three"}) {
		t.Fatalf("second reply got %q", got)
	}
	if got := chunkAll(NewChunker(ChunkerOptions{}), []string{"One two three four five six seven"}); len(got) != 1 {
		t.Fatalf("default got %q, want one piece", got)
	}
}
