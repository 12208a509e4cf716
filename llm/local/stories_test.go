package local

import (
	"strings"
	"testing"
)

func TestStoriesAreLong(t *testing.T) {
	for i, s := range stories {
		if n := len(strings.Fields(s)); n < 350 {
			t.Errorf("story %d has %d words, want at least 350", i, n)
		}
		if n := strings.Count(s, ". "); n < 10 {
			t.Errorf("story %d has %d sentences", i, n)
		}
	}
}
