package eval

import (
	"slices"
	"time"

	"github.com/duplex-ai/duplex/vad"
)

// NewClassifier makes a fresh classifier for one stream.
type NewClassifier func() (vad.Classifier, error)

// Result scores one classifier on one mixture.
type Result struct {
	TP, FP, FN, TN        int
	Precision, Recall, F1 float64

	Onset    []time.Duration // SpeechStarted.At − labelled onset, per detected utterance
	Decision []time.Duration // SpeechStarted.DecidedAt − labelled onset
	EndExtra []time.Duration // SpeechEnded.DecidedAt − labelled end − MinSilence
	Utts     int
	Missed   int // utterances with no turn of their own (none started from 300 ms before their onset to MinSilence after their end)
	// MissedOpen counts the Missed utterances that began while an earlier
	// turn was still open (the previous utterance's, run on, or one that
	// the noise started); the rest started no turn at all.
	MissedOpen int
	Splits     int // extra turns started inside an utterance
	SplitUtts  int // utterances with more than one turn
	Spurious   int // turns started in the pauses between utterances
}

// notEnded is added to the end decision of a turn still open when the
// audio ran out: the report shows such delays as "open".
const notEnded = time.Hour

type turn struct {
	start, startDecided, end, endDecided time.Duration
}

// runDetector pushes pcm (at topt.SampleRate, default Rate) in 20 ms frames
// and returns the per-frame speech probabilities, the detector's per-frame
// decisions (vad.Detector.LastIsSpeech) and the turns.
func runDetector(pcm []int16, mk NewClassifier, topt vad.TurnOptions) ([]float64, []bool, []turn, error) {
	return runDetectorHook(pcm, mk, topt, nil)
}

// runDetectorHook is runDetector calling hook (when not nil) before each
// frame f is pushed: what a live recogniser tells the detector.
func runDetectorHook(pcm []int16, mk NewClassifier, topt vad.TurnOptions, hook func(f int, d *vad.Detector)) ([]float64, []bool, []turn, error) {
	return runDetectorEvents(pcm, mk, topt, hook, nil)
}

// runDetectorEvents is runDetectorHook also calling onEvent (when not nil)
// with each turn event as it is pushed out.
func runDetectorEvents(pcm []int16, mk NewClassifier, topt vad.TurnOptions, hook func(f int, d *vad.Detector),
	onEvent func(e vad.Event)) ([]float64, []bool, []turn, error) {
	c, err := mk()
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := vad.NewDetector(c, topt)
	if err != nil {
		return nil, nil, nil, err
	}
	fl := d.Options().SampleRate / 50 // samples per 20 ms frame
	frames := make([]float64, len(pcm)/fl)
	speech := make([]bool, len(frames))
	var turns []turn
	var open *turn
	for f := range frames {
		at := time.Duration(f) * FrameTime
		if hook != nil {
			hook(f, d)
		}
		for _, e := range d.Push(pcm[f*fl:(f+1)*fl], at) {
			if onEvent != nil {
				onEvent(e)
			}
			switch e.Type {
			case vad.SpeechStarted:
				turns = append(turns, turn{start: e.At, startDecided: e.DecidedAt})
				open = &turns[len(turns)-1]
			case vad.SpeechEnded:
				if open != nil {
					open.end, open.endDecided = e.At, e.DecidedAt
					open = nil
				}
			}
		}
		frames[f], speech[f] = d.LastProb(), d.LastIsSpeech()
	}
	if open != nil {
		end := time.Duration(len(frames)) * FrameTime
		open.end, open.endDecided = end, end+notEnded
	}
	return frames, speech, turns, nil
}

// Evaluate runs a fresh classifier and detector over pcm (a Mix of c,
// possibly resampled to topt.SampleRate) and scores it against c's labels.
func Evaluate(c *Corpus, pcm []int16, mk NewClassifier, topt vad.TurnOptions) (Result, error) {
	_, speech, turns, err := runDetector(pcm, mk, topt)
	if err != nil {
		return Result{}, err
	}
	return score(c, speech, turns, topt), nil
}

// score scores a detector's per-frame decisions and turns against c.
func score(c *Corpus, speech []bool, turns []turn, topt vad.TurnOptions) Result {
	var r Result
	for f, got := range speech[:min(len(speech), len(c.Labels))] {
		want := c.Labels[f]
		switch {
		case got && want:
			r.TP++
		case got:
			r.FP++
		case want:
			r.FN++
		default:
			r.TN++
		}
	}
	if r.TP+r.FP > 0 {
		r.Precision = float64(r.TP) / float64(r.TP+r.FP)
	}
	if r.TP+r.FN > 0 {
		r.Recall = float64(r.TP) / float64(r.TP+r.FN)
	}
	if r.Precision+r.Recall > 0 {
		r.F1 = 2 * r.Precision * r.Recall / (r.Precision + r.Recall)
	}
	minSil := vad.DefaultMinSilence
	if topt.MinSilence != 0 {
		minSil = topt.MinSilence
	}
	// A turn belongs to the utterance whose span (from 300 ms before its
	// onset to MinSilence after its end) contains the turn's start.
	const early = 300 * time.Millisecond
	assigned := make([][]turn, len(c.Utts))
	for _, t := range turns {
		idx := -1
		for i, u := range c.Utts {
			if t.start >= u.Start-early && t.start < u.End+minSil {
				idx = i
				break
			}
		}
		if idx < 0 {
			r.Spurious++
			continue
		}
		assigned[idx] = append(assigned[idx], t)
	}
	r.Utts = len(c.Utts)
	for i, u := range c.Utts {
		ts := assigned[i]
		if len(ts) == 0 {
			r.Missed++
			for _, t := range turns {
				if t.start < u.Start-early && t.endDecided > u.Start {
					r.MissedOpen++
					break
				}
			}
			continue
		}
		r.Splits += len(ts) - 1
		if len(ts) > 1 {
			r.SplitUtts++
		}
		r.Onset = append(r.Onset, ts[0].start-u.Start)
		r.Decision = append(r.Decision, ts[0].startDecided-u.Start)
		last := ts[len(ts)-1]
		if i+1 < len(c.Utts) && last.endDecided > c.Utts[i+1].Start {
			continue // merged with the next utterance: counted as its miss
		}
		r.EndExtra = append(r.EndExtra, last.endDecided-u.End-minSil)
	}
	return r
}

// FalseStarts runs a fresh classifier and detector over noise-only pcm and
// returns the number of turns started per minute and the share of the
// audio spent inside turns. Both count: a detector that never ends a turn
// in babble starts few of them.
//
// Both are means over runs from FalseStartOffsets into pcm (those inside
// its first half): in babble a detector's path depends on where it started
// (the spread of single runs is in docs/vad.md).
func FalseStarts(pcm []int16, mk NewClassifier, topt vad.TurnOptions) (perMin, inTurn float64, err error) {
	rate := topt.SampleRate
	if rate == 0 {
		rate = Rate
	}
	n := 0
	for _, off := range FalseStartOffsets {
		skip := int(int64(off) * int64(rate) / int64(time.Second))
		if n > 0 && skip > len(pcm)/2 {
			break
		}
		p, in, err := falseStarts(pcm[skip:], mk, topt, rate)
		if err != nil {
			return 0, 0, err
		}
		perMin, inTurn, n = perMin+p, inTurn+in, n+1
	}
	return perMin / float64(n), inTurn / float64(n), nil
}

// FalseStartOffsets are where FalseStarts starts its runs.
var FalseStartOffsets = []time.Duration{0, 700 * time.Millisecond, 1900 * time.Millisecond}

func falseStarts(pcm []int16, mk NewClassifier, topt vad.TurnOptions, rate int) (perMin, inTurn float64, err error) {
	_, _, turns, err := runDetector(pcm, mk, topt)
	if err != nil {
		return 0, 0, err
	}
	total := time.Duration(len(pcm)) * time.Second / time.Duration(rate)
	var in time.Duration
	for _, t := range turns {
		in += min(t.end, total) - t.start
	}
	return float64(len(turns)) / total.Minutes(), float64(in) / float64(total), nil
}

// Percentile returns the p-th percentile (0..100, nearest rank) of ds, or 0
// for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}
