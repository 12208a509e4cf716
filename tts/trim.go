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
	cut     LeadTrimmer // Limit set by the first chunk
}

func (t *leadTrim) Next() (Chunk, error) {
	for {
		c, err := t.Stream.Next()
		if err != nil {
			return c, err
		}
		if t.cut.Limit == 0 && c.SampleRate > 0 {
			t.cut.Limit = max(1, int(t.maxLead*time.Duration(c.SampleRate)/time.Second))
		}
		if c, ok := t.cut.Trim(c); ok {
			return c, nil
		}
	}
}

// LeadTrimmer drops a stream's leading quiet chunk by chunk: samples within
// ±LeadQuiet until the first louder one, at most Limit of them. The marks
// of what it drops go with the first audio; later marks move back by the
// samples dropped.
type LeadTrimmer struct {
	Limit   int
	audible bool
	trimmed int
	carry   []Mark
}

// Trim returns c without its part of the leading quiet; false when all of
// c was dropped.
func (t *LeadTrimmer) Trim(c Chunk) (Chunk, bool) {
	if !t.audible {
		i := 0
		for i < len(c.PCM) && t.trimmed < t.Limit && c.PCM[i] < LeadQuiet && c.PCM[i] > -LeadQuiet {
			i++
			t.trimmed++
		}
		c.PCM = c.PCM[i:]
		t.carry = append(t.carry, c.Marks...)
		if len(c.PCM) == 0 {
			return c, false
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
	return c, true
}
