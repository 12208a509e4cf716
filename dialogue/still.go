package dialogue

import (
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/media"
)

// setStill keeps a picture the client sent (an input_image) for the next
// turn, in place of the camera's; nil changes nothing. Engine goroutine.
func (e *eyes) setStill(s *media.Snapshot) {
	if s == nil {
		return
	}
	e.mu.Lock()
	e.still = s
	e.mu.Unlock()
}

// takeStill returns the client's picture encoded for the model, once; nil
// when there is none. It runs in a reply's producer goroutine.
func (e *eyes) takeStill() *llm.Image {
	e.mu.Lock()
	s := e.still
	e.still = nil
	e.mu.Unlock()
	if s == nil {
		return nil
	}
	return e.encode(s)
}
