package video

import "github.com/duplex-ai/duplex/media"

import "time"

// PictureAt returns the picture the camera showed at t: the latest one
// captured at or before t, else the oldest one held; nil if none. A turn
// asks for the moment of its question.
func (v *Receiver) PictureAt(t time.Time) *media.Snapshot {
	v.mu.Lock()
	defer v.mu.Unlock()
	var best, oldest *media.Snapshot
	for _, s := range v.ring {
		if oldest == nil || s.ID < oldest.ID {
			oldest = s
		}
		if !s.Captured.After(t) && (best == nil || s.ID > best.ID) {
			best = s
		}
	}
	if best == nil {
		return oldest
	}
	return best
}

// PicturesBetween returns up to n of the held pictures captured within
// [from, to], oldest first, spread evenly across it (the first and last
// always among them): the frames across a turn for motion questions.
func (v *Receiver) PicturesBetween(from, to time.Time, n int) []*media.Snapshot {
	if n <= 0 {
		return nil
	}
	v.mu.Lock()
	var in []*media.Snapshot
	for i := range v.ring {
		// Oldest first: the ring starts at ringAt once full.
		s := v.ring[(v.ringAt+i)%len(v.ring)]
		if !s.Captured.Before(from) && !s.Captured.After(to) {
			in = append(in, s)
		}
	}
	v.mu.Unlock()
	if len(in) <= n {
		return in
	}
	if n == 1 {
		return in[len(in)-1:]
	}
	out := make([]*media.Snapshot, n)
	for i := range n {
		out[i] = in[i*(len(in)-1)/(n-1)]
	}
	return out
}
