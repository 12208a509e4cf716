package sphinx

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestNumberWords(t *testing.T) {
	for n, want := range map[int]string{0: "zero", 7: "seven", 12: "twelve", 20: "twenty", 77: "seventy seven",
		99: "ninety nine", 100: "one hundred", -1: "", 101: ""} {
		if got := NumberWords(n); got != want {
			t.Errorf("NumberWords(%d) = %q, want %q", n, got, want)
		}
	}
}

// Every word of the skills grammar must be in the dictionary, or ps_init
// drops the grammar.
func TestGrammarWordsInDictionary(t *testing.T) {
	requireTools(t, false)
	f, err := os.Open(DefaultDict)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dict := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if w, _, ok := strings.Cut(sc.Text(), " "); ok {
			dict[w] = true
		}
	}
	g := SkillsGrammar()
	body := g[strings.Index(g, "public"):]
	body = regexp.MustCompile(`<[^>]+>|/[0-9.e-]+/|[=|;()\[\]+*]|\bpublic\b`).ReplaceAllString(body, " ")
	for _, w := range strings.Fields(body) {
		if !dict[w] {
			t.Errorf("grammar word %q not in %s", w, DefaultDict)
		}
	}
}

func TestDigitString(t *testing.T) {
	for in, want := range map[string]string{"three seven one nine": "3719", "oh five": "05", "seven": "7",
		"what is seven": "", "": "", "twelve": ""} {
		got, ok := DigitString(strings.Fields(in))
		if got != want || ok != (want != "") {
			t.Errorf("DigitString(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
