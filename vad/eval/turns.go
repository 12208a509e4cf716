package eval

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/vad"
)

// The turn-taking evaluation: utterances that end, and utterances that
// pause and go on, each run alone through a fresh-state detector; it
// measures how late the end of turn is decided after the true end of
// speech, and how often a turn is ended inside a pause the speaker
// continued after.

// Segment is one stretch of speech of a turn item, trimmed to its frames
// within 35 dB of its loudest.
type Segment struct {
	PCM  []float64 // Rate, int16 scale
	Text string    // the words, for the oracle partial ("" unknown)
}

// TurnItem is one turn: segments separated by Gaps of silence (pauses the
// speaker goes on after); the turn really ends after the last segment.
type TurnItem struct {
	Set     string // e.g. "FSDD digits"
	Real    bool   // human recording (else espeak-ng / festival)
	Speaker string
	Tune    bool // in the tuning split (else held out)
	Segs    []Segment
	Gaps    []time.Duration
}

// Paused reports whether the item holds a pause the speaker went on after.
func (it TurnItem) Paused() bool { return len(it.Segs) > 1 }

// trimDB: a segment keeps the frames within this of its loudest (a real
// recording's decay below it is room tone the detector need not wait for).
const trimDB = -30.0

// trim cuts x to its frames within trimDB of the loudest.
func trim(x []float64) []float64 {
	n := len(x) / FrameLen
	var peak float64
	for f := range n {
		peak = max(peak, framePower(x, f))
	}
	lo, hi := -1, -1
	for f := range n {
		if framePower(x, f) >= peak*math.Pow(10, trimDB/10) {
			if lo < 0 {
				lo = f
			}
			hi = f
		}
	}
	if lo < 0 {
		return nil
	}
	return x[lo*FrameLen : (hi+1)*FrameLen]
}

// TurnConfig says how the pause items are made.
type TurnConfig struct {
	Seed             uint64
	DigitStrings     int // per FSDD speaker
	GapMin, GapMax   time.Duration
	CommaMin         time.Duration // pause of a comma-cut sentence
	CommaMax         time.Duration
	FillerEvery      int // every n-th digit string gets a filler in one gap
	TuneFSDD         []string
	TuneLibrivox     []string // file ids (else evaluated)
	TuneSynthVoices  []string
	EvalSynthVoices  []string
	SentenceRepeats  int // whole librivox sentences placed as ended items
	FestivalFillers  bool
	FestivalSynthEva bool // festival slt among the held-out synthetic voices
}

// DefaultTurnConfig is the configuration of `make turn-eval`.
func DefaultTurnConfig() TurnConfig {
	return TurnConfig{
		Seed: 20261206, DigitStrings: 30, GapMin: 300 * time.Millisecond, GapMax: 900 * time.Millisecond,
		CommaMin: 300 * time.Millisecond, CommaMax: 1200 * time.Millisecond, FillerEvery: 3,
		TuneFSDD:        []string{"george", "jackson"},
		TuneLibrivox:    []string{"sense_and_sensibility_01_austen_64kb-0870", "sense_and_sensibility_01_austen_64kb-0880"},
		TuneSynthVoices: []string{"en-us"}, EvalSynthVoices: []string{"en-gb", "festival:slt"},
		SentenceRepeats: 3, FestivalFillers: true, FestivalSynthEva: true,
	}
}

var digitWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// synthEnded are requests and questions that end; synthPaused are
// sentences cut at a comma (or before a continuation) and joined by a pause.
var (
	synthEnded = []string{"what time is it", "turn on the lights", "what's the weather like today",
		"set a timer for five minutes", "tell me a joke", "play some music", "how far is the moon",
		"I would like a large pizza please", "stop", "yes", "what is the capital of France", "call my mother"}
	synthPaused = [][]string{{"my name is Anna,", "and I live in Paris"}, {"I would like a pizza,", "with mushrooms and olives"},
		{"when I get home,", "remind me to call the bank"}, {"I want to book a table for", "four people tonight"},
		{"so the thing is,", "my flight was cancelled"}, {"can you tell me the", "opening hours of the museum"},
		{"first,", "turn off the heating"}, {"my number is three seven", "one nine two"}}
)

// speaker renders text in one synthetic voice: an espeak-ng voice name, or
// "festival:slt" for festival's cmu_us_slt_arctic_hts.
func synthesize(ctx context.Context, voice, text string) ([]float64, error) {
	var pcm []int16
	var rate int
	var err error
	if v, ok := strings.CutPrefix(voice, "festival:"); ok {
		pcm, rate, err = festival(ctx, v, text)
	} else {
		pcm, rate, err = Speak(ctx, voice, 160, text)
	}
	if err != nil {
		return nil, err
	}
	x := make([]float64, len(pcm))
	for i, s := range pcm {
		x[i] = float64(s)
	}
	return trim(Resample(x, rate, Rate)), nil
}

func festival(ctx context.Context, voice, text string) ([]int16, int, error) {
	cmd := exec.CommandContext(ctx, "text2wave", "-eval", "(voice_cmu_us_"+voice+"_arctic_hts)", "-o", "/dev/stdout")
	cmd.Stdin = strings.NewReader(text)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, 0, fmt.Errorf("eval: text2wave: %w: %s", err, stderr.String())
	}
	return parseWAV(out.Bytes())
}

func inList(s string, l []string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// BuildTurnItems makes the items: FSDD digit strings with GapMin..GapMax
// pauses (every FillerEvery-th with a festival "um"/"uh" in one pause),
// librivox sentences cut at their longest inner pause stretched to
// CommaMin..CommaMax, and the same sentences whole (ended); synthetic
// requests (ended), comma-cut sentences and digit strings (paused). fsdd
// or librivox "" leaves that corpus out.
func BuildTurnItems(ctx context.Context, cfg TurnConfig, fsddDir, librivoxDir string) ([]TurnItem, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, 24))
	gap := func(lo, hi time.Duration) time.Duration {
		return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
	}
	var fillers [][]float64
	var fillerText []string
	for _, f := range []string{"um", "uh"} {
		voice := "en-us"
		if cfg.FestivalFillers {
			voice = "festival:slt"
		}
		x, err := synthesize(ctx, voice, f)
		if err != nil {
			return nil, err
		}
		fillers, fillerText = append(fillers, x), append(fillerText, f)
	}
	var items []TurnItem
	if fsddDir != "" {
		for _, sp := range FSDDSpeakers {
			takes, err := fsddTakes(fsddDir, sp)
			if err != nil {
				return nil, err
			}
			for s := range cfg.DigitStrings {
				it := TurnItem{Set: "FSDD digits", Real: true, Speaker: sp, Tune: inList(sp, cfg.TuneFSDD)}
				n := 3 + rng.IntN(5)
				filler := cfg.FillerEvery > 0 && s%cfg.FillerEvery == cfg.FillerEvery-1
				fillAt := 1 + rng.IntN(n-1)
				for i := range n {
					d := rng.IntN(10)
					for len(takes[d]) == 0 {
						d = (d + 1) % 10
					}
					x, err := readAt(takes[d][rng.IntN(len(takes[d]))])
					if err != nil {
						return nil, err
					}
					if i > 0 {
						if filler && i == fillAt {
							k := rng.IntN(len(fillers))
							it.Gaps = append(it.Gaps, gap(cfg.GapMin, cfg.GapMax))
							it.Segs = append(it.Segs, Segment{PCM: fillers[k], Text: fillerText[k]})
						}
						it.Gaps = append(it.Gaps, gap(cfg.GapMin, cfg.GapMax))
					}
					it.Segs = append(it.Segs, Segment{PCM: trim(x), Text: digitWords[d]})
				}
				if filler {
					it.Set = "FSDD digits + filler"
				}
				items = append(items, it)
			}
		}
	}
	if librivoxDir != "" {
		sents, err := Sentences(librivoxDir)
		if err != nil {
			return nil, err
		}
		for _, s := range sents {
			tune := inList(s.Speaker, cfg.TuneLibrivox)
			x := trim(s.PCM)
			for range cfg.SentenceRepeats {
				items = append(items, TurnItem{Set: "librivox whole", Real: true, Speaker: s.Speaker, Tune: tune,
					Segs: []Segment{{PCM: x, Text: s.Text}}})
			}
			a, b := cutAtPause(x)
			if a == nil {
				continue
			}
			for range cfg.SentenceRepeats {
				items = append(items, TurnItem{Set: "librivox cut", Real: true, Speaker: s.Speaker, Tune: tune,
					Segs: []Segment{{PCM: a}, {PCM: b}}, Gaps: []time.Duration{gap(cfg.CommaMin, cfg.CommaMax)}})
			}
		}
	}
	voices := append(append([]string{}, cfg.TuneSynthVoices...), cfg.EvalSynthVoices...)
	for _, v := range voices {
		tune := inList(v, cfg.TuneSynthVoices)
		for _, t := range synthEnded {
			x, err := synthesize(ctx, v, t)
			if err != nil {
				return nil, err
			}
			items = append(items, TurnItem{Set: "synthetic ended", Speaker: v, Tune: tune, Segs: []Segment{{PCM: x, Text: t}}})
		}
		for _, p := range synthPaused {
			it := TurnItem{Set: "synthetic comma", Speaker: v, Tune: tune}
			for i, t := range p {
				x, err := synthesize(ctx, v, t)
				if err != nil {
					return nil, err
				}
				if i > 0 {
					it.Gaps = append(it.Gaps, gap(cfg.CommaMin, cfg.CommaMax))
				}
				it.Segs = append(it.Segs, Segment{PCM: x, Text: t})
			}
			items = append(items, it)
		}
	}
	return items, nil
}

// cutAtPause splits x at its longest run of frames 25 dB below its
// loudest within its middle 20–80 % (a breath or comma pause), or returns
// nil when there is none of at least 40 ms.
func cutAtPause(x []float64) ([]float64, []float64) {
	n := len(x) / FrameLen
	var peak float64
	for f := range n {
		peak = max(peak, framePower(x, f))
	}
	floor := peak * math.Pow(10, -25.0/10)
	bestLo, bestLen := -1, 0
	run := 0
	for f := n / 5; f < n*4/5; f++ {
		if framePower(x, f) < floor {
			run++
			if run > bestLen {
				bestLen, bestLo = run, f-run+1
			}
		} else {
			run = 0
		}
	}
	if bestLen < 2 {
		return nil, nil
	}
	a := trim(x[:bestLo*FrameLen])
	b := trim(x[(bestLo+bestLen)*FrameLen:])
	if a == nil || b == nil {
		return nil, nil
	}
	return a, b
}

// TurnSetting is one detector setting of the curve.
type TurnSetting struct {
	Name string
	Opt  vad.TurnOptions
	// Oracle gives the adaptive decision the true words of each segment
	// from the end of that segment on (the best a streaming recogniser's
	// partial could do); false: audio only.
	Oracle bool
	// PartialLag delays the oracle partial after each segment's end (a
	// streaming recogniser's lag).
	PartialLag time.Duration
	// Recogniser, when set, gives the partials a real streaming recogniser
	// emits over each item's audio (as the detector hears it, noise
	// included); each reaches the decision one frame after the audio it
	// covers (the engine reads it on its next frame).
	Recogniser PartialSource
	// RecogniserLM, with Recogniser (the skills grammar's live pass), adds
	// the general-LM live pass's partials: the hint is then
	// vad.CombinePartials of the newest of each, taken when either arrives
	// (Combine, when set, instead: a variant of the rule).
	RecogniserLM PartialSource
	Combine      func(grammar, lm string) vad.Hint
}

// TimedPartial is a recogniser's partial and how many samples of the item
// (from its first) it covers.
type TimedPartial struct {
	Samples int
	Text    string
}

// PartialSource runs a streaming recogniser over item's audio pcm (Rate,
// fed in media time from its first sample) and returns its partials in
// order. The audio of an item at one snrDB is the same for every setting.
type PartialSource func(item int, snrDB float64, pcm []int16) ([]TimedPartial, error)

// SegmentEnds is where each segment of it ends, in samples of the audio
// RunTurns lays out (lead-in, segments and gaps).
func (it TurnItem) SegmentEnds() []int {
	ends := make([]int, len(it.Segs))
	pos := samplesOf(turnLead)
	for k, sg := range it.Segs {
		if k > 0 {
			pos += samplesOf(it.Gaps[k-1])
		}
		pos += len(sg.PCM)
		ends[k] = pos
	}
	return ends
}

// TurnOutcome is one item run through one setting.
type TurnOutcome struct {
	Item int
	// CutPauses counts the item's pauses in which a turn was decided to
	// end (the speaker went on after each); MidCuts the ends decided while
	// a segment was still being spoken (before its last 100 ms).
	CutPauses, MidCuts int
	// Latency is the true end of speech to the end-of-turn decision; -1
	// if never decided.
	Latency time.Duration
}

const (
	turnLead = 300 * time.Millisecond
	turnTail = 1600 * time.Millisecond
)

// RunTurns runs every item through a detector with setting s, at snrDB of
// white noise (+Inf: clean).
func RunTurns(items []TurnItem, s TurnSetting, snrDB float64, mk NewClassifier, seed uint64) ([]TurnOutcome, error) {
	c, err := mk()
	if err != nil {
		return nil, err
	}
	d, err := vad.NewDetector(c, s.Opt)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 5))
	out := make([]TurnOutcome, 0, len(items))
	frame := make([]int16, FrameLen)
	for i, it := range items {
		d.Reset()
		// Lay the item out; segment k spans segStart[k]..segEnd[k].
		pos := samplesOf(turnLead)
		segStart := make([]int, len(it.Segs))
		segEnd := make([]int, len(it.Segs))
		total := pos
		for k, sg := range it.Segs {
			if k > 0 {
				total += samplesOf(it.Gaps[k-1])
			}
			total += len(sg.PCM)
		}
		total += samplesOf(turnTail)
		x := make([]float64, (total/FrameLen+1)*FrameLen)
		gain := 0.0
		var act float64
		for _, sg := range it.Segs {
			act += activePower(sg.PCM)
		}
		act /= float64(len(it.Segs))
		gainDB := speechLevel + (rng.Float64()*2-1)*levelSpread
		gain = math.Sqrt(math.Pow(10, gainDB/10) * 32768 * 32768 / act)
		for k, sg := range it.Segs {
			if k > 0 {
				pos += samplesOf(it.Gaps[k-1])
			}
			segStart[k] = pos
			for j, v := range sg.PCM {
				x[pos+j] = v * gain
			}
			pos += len(sg.PCM)
			segEnd[k] = pos
		}
		if !math.IsInf(snrDB, 1) {
			sp := math.Pow(10, gainDB/10) * 32768 * 32768
			sd := math.Sqrt(sp / math.Pow(10, snrDB/10))
			for j := range x {
				x[j] += rng.NormFloat64() * sd
			}
		}
		sec := func(n int) time.Duration { return time.Duration(n) * time.Second / Rate }
		last := len(segEnd) - 1
		trueEnd := sec(segEnd[last])
		o := TurnOutcome{Item: i, Latency: -1}
		pcm := make([]int16, len(x))
		for j, v := range x {
			pcm[j] = sample16(v)
		}
		var parts, partsLM []TimedPartial
		if s.Recogniser != nil {
			if parts, err = s.Recogniser(i, snrDB, pcm); err != nil {
				return nil, err
			}
		}
		if s.RecogniserLM != nil {
			if partsLM, err = s.RecogniserLM(i, snrDB, pcm); err != nil {
				return nil, err
			}
		}
		heard, next, nextLM := 0, 0, 0
		var gText, lmText string
		for f := 0; (f+1)*FrameLen <= len(x); f++ {
			at := time.Duration(f) * FrameTime
			if s.Oracle && heard < len(segEnd) && f*FrameLen >= segEnd[heard]+samplesOf(s.PartialLag) {
				heard++
				d.SetHint(vad.ClassifyPartial(partial(it.Segs[:heard])))
			}
			changed := false
			for next < len(parts) && f*FrameLen >= parts[next].Samples+FrameLen {
				gText, changed = parts[next].Text, true
				next++
			}
			for nextLM < len(partsLM) && f*FrameLen >= partsLM[nextLM].Samples+FrameLen {
				lmText, changed = partsLM[nextLM].Text, true
				nextLM++
			}
			switch {
			case !changed:
			case s.Combine != nil && s.RecogniserLM != nil:
				d.SetHint(s.Combine(gText, lmText))
			case s.RecogniserLM != nil:
				d.SetHint(vad.CombinePartials(gText, lmText))
			default:
				d.SetHint(vad.ClassifyPartial(gText))
			}
			copy(frame, pcm[f*FrameLen:])
			for _, e := range d.Push(frame, at) {
				if e.Type != vad.SpeechEnded || o.Latency >= 0 {
					continue
				}
				switch k := segmentAt(e.DecidedAt, segStart, segEnd, sec); {
				case k >= 0 && (k < last || e.DecidedAt < trueEnd-100*time.Millisecond):
					o.MidCuts++
				case e.DecidedAt < sec(segStart[last]):
					o.CutPauses++
				default:
					o.Latency = max(0, e.DecidedAt-trueEnd)
				}
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// segmentAt returns the segment being spoken at t, or -1 in a pause.
func segmentAt(t time.Duration, start, end []int, sec func(int) time.Duration) int {
	for k := range start {
		if t >= sec(start[k]) && t < sec(end[k]) {
			return k
		}
	}
	return -1
}

func partial(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.Text == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.Text)
	}
	return b.String()
}

// TurnStats summarise outcomes over a subset of items.
type TurnStats struct {
	Ended, Paused int             // items that end without / with a pause
	Pauses        int             // pauses in the paused items
	Cuts          int             // pauses a turn was ended in
	MidCuts       int             // ends decided mid-speech (splits of a word or phrase)
	Split         int             // items ended more than once (a pause or mid-speech cut)
	Turns         int             // turns the items were cut into (the final one included)
	Latencies     []time.Duration // of every item whose true end was decided
	Undecided     int
}

// CutRate is the false cut-off rate: the share of pauses a turn was ended in.
func (t TurnStats) CutRate() float64 { return float64(t.Cuts) / float64(max(t.Pauses, 1)) }

// Summarise gathers the outcomes of the items keep selects.
func Summarise(items []TurnItem, outs []TurnOutcome, keep func(TurnItem) bool) TurnStats {
	var t TurnStats
	for _, o := range outs {
		it := items[o.Item]
		if !keep(it) {
			continue
		}
		if it.Paused() {
			t.Paused++
		} else {
			t.Ended++
		}
		t.Pauses += len(it.Gaps)
		t.Cuts += o.CutPauses
		t.MidCuts += o.MidCuts
		if o.CutPauses+o.MidCuts > 0 {
			t.Split++
		}
		t.Turns += 1 + o.CutPauses + o.MidCuts // an undecided end still ends, later
		if o.Latency >= 0 {
			t.Latencies = append(t.Latencies, o.Latency)
		} else {
			t.Undecided++
		}
	}
	return t
}
