package espeak

import (
	"strings"

	"github.com/duplex-ai/duplex/tts"
)

// segment is a piece of the text synthesized under one hold of the library
// lock, with its byte offset in the text.
type segment struct {
	text   string
	offset int
}

// segmentMinChars merges short sentences so the lock changes hands a few
// times per text, not per word.
const segmentMinChars = 20

// segments cuts text at sentence ends with the tts.Chunker (no early comma
// cut: prosody runs to the sentence end) and locates each piece in text.
func segments(text string) []segment {
	c := tts.NewChunker(tts.ChunkerOptions{MinChars: segmentMinChars, FirstMaxChars: -1})
	pieces := append(c.Push(text), c.Flush()...)
	out := make([]segment, 0, len(pieces))
	pos := 0
	for _, p := range pieces {
		i := strings.Index(text[pos:], p)
		if i < 0 { // cannot happen: pieces are trimmed substrings, in order
			return []segment{{text: text}}
		}
		out = append(out, segment{text: p, offset: pos + i})
		pos += i + len(p)
	}
	return out
}
