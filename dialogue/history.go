package dialogue

import (
	"time"

	"github.com/duplex-ai/duplex/llm"
)

// history is the conversation memory: the last Memory of turns, at most
// MaxHistory messages. Old turns are dropped whole, never summarised.
type history struct {
	window time.Duration
	max    int
	msgs   []llm.Message
}

func (h *history) add(m llm.Message) {
	h.msgs = append(h.msgs, m)
}

// trim drops messages older than the window and beyond the cap, oldest
// first.
func (h *history) trim(now time.Time) {
	cut := 0
	for cut < len(h.msgs) && now.Sub(h.msgs[cut].At) > h.window {
		cut++
	}
	if n := len(h.msgs) - cut; n > h.max {
		cut += n - h.max
	}
	if cut > 0 {
		h.msgs = append(h.msgs[:0:0], h.msgs[cut:]...)
	}
}

// snapshot returns a copy for a request.
func (h *history) snapshot() []llm.Message {
	return append([]llm.Message(nil), h.msgs...)
}
