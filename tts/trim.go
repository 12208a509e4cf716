package tts

import "time"

// LeadQuiet is the level below which TrimLead drops leading samples: a
// peak of 100 (-50 dBFS), well under any voiced onset.
const LeadQuiet = 100

// TrimLead returns s without its leading quiet: the samples within
// ±LeadQuiet at its start, at most maxLead of them (at the first chunk's
// rate). Marks move with the audio. For a reply's first piece, whose
// leading quiet is latency the caller hears, whatever the synthesizer.
func TrimLead(s Stream, maxLead time.Duration) Stream {
	return &leadTrim{Stream: s, maxLead: maxLead}
}

type leadTrim struct {
	Stream
	maxLead time.Duration
	audible bool
	limit   int    // samples that may be dropped; set by the first chunk
	trimmed int    // samples dropped
	carry   []Mark // marks of chunks dropped whole
}

func (t *leadTrim) Next() (Chunk, error) {
	for {
		c, err := t.Stream.Next()
		if err != nil {
			return c, err
		}
		if !t.audible {
			if t.limit == 0 && c.SampleRate > 0 {
				t.limit = max(1, int(t.maxLead*time.Duration(c.SampleRate)/time.Second))
			}
			i := 0
			for i < len(c.PCM) && t.trimmed < t.limit && c.PCM[i] < LeadQuiet && c.PCM[i] > -LeadQuiet {
				i++
				t.trimmed++
			}
			c.PCM = c.PCM[i:]
			t.carry = append(t.carry, c.Marks...)
			if len(c.PCM) == 0 {
				continue // all quiet so far: its marks go with the first audio
			}
			t.audible = true
			c.Marks, t.carry = t.carry, nil
		}
		if t.trimmed > 0 && len(c.Marks) > 0 {
			marks := make([]Mark, len(c.Marks))
			for i, m := range c.Marks {
				m.Sample = max(0, m.Sample-t.trimmed)
				marks[i] = m
			}
			c.Marks = marks
		}
		return c, nil
	}
}
