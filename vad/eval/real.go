package eval

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/internal/wav"
)

// ErrNoRecordings is returned, wrapped, when a folder holds none of the
// recordings a real-speech corpus is made from.
var ErrNoRecordings = errors.New("eval: no recordings")

// FSDDSpeakers are the four speakers of the Free Spoken Digit Dataset.
var FSDDSpeakers = []string{"george", "jackson", "nicolas", "theo"}

// Spoken is one real utterance: a recording (or recordings joined) at Rate.
type Spoken struct {
	Source  string // "fsdd" or "librivox"
	Speaker string
	Text    string
	PCM     []float64 // Rate, int16 scale
}

// RealConfig says how digit strings are made and how often each sentence
// is placed in its corpus.
type RealConfig struct {
	Seed                 uint64
	Speakers             []string // FSDD speakers; one speaker per string
	Strings              int      // digit strings per speaker
	DigitsMin, DigitsMax int
	GapMin, GapMax       time.Duration // silence between the digits of a string
	SentenceRepeats      int           // times each sentence is placed (each at its own gain and noise)
}

// DefaultRealConfig is the configuration of `go run ./cmd/vad-eval`.
func DefaultRealConfig() RealConfig {
	return RealConfig{
		Seed: 20261206, Speakers: FSDDSpeakers, Strings: 40,
		DigitsMin: 3, DigitsMax: 6, GapMin: 100 * time.Millisecond, GapMax: 400 * time.Millisecond,
		SentenceRepeats: 4,
	}
}

// DigitStrings joins FSDD recordings from dir ({digit}_{speaker}_{take}.wav,
// any sample rate, resampled to Rate) into cfg.Strings strings of
// DigitsMin..DigitsMax digits per speaker, one speaker per string, with
// GapMin..GapMax of digital silence between the digits.
func DigitStrings(dir string, cfg RealConfig) ([]Spoken, error) {
	if cfg.DigitsMin < 1 || cfg.DigitsMax < cfg.DigitsMin || cfg.GapMax < cfg.GapMin || cfg.Strings < 1 {
		return nil, fmt.Errorf("eval: digit strings need 1 ≤ DigitsMin ≤ DigitsMax, GapMin ≤ GapMax and Strings ≥ 1")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 11))
	cache := map[string][]float64{}
	var out []Spoken
	for _, sp := range cfg.Speakers {
		takes, err := fsddTakes(dir, sp)
		if err != nil {
			return nil, err
		}
		for range cfg.Strings {
			n := cfg.DigitsMin + rng.IntN(cfg.DigitsMax-cfg.DigitsMin+1)
			s := Spoken{Source: "fsdd", Speaker: sp}
			var digits []string
			for i := range n {
				d := rng.IntN(10)
				for len(takes[d]) == 0 {
					d = (d + 1) % 10
				}
				path := takes[d][rng.IntN(len(takes[d]))]
				x, ok := cache[path]
				if !ok {
					if x, err = readAt(path); err != nil {
						return nil, err
					}
					cache[path] = x
				}
				if i > 0 {
					gap := cfg.GapMin + time.Duration(rng.Int64N(int64(cfg.GapMax-cfg.GapMin)+1))
					s.PCM = append(s.PCM, make([]float64, samplesOf(gap))...)
				}
				s.PCM = append(s.PCM, x...)
				digits = append(digits, strconv.Itoa(d))
			}
			s.Text = strings.Join(digits, " ")
			out = append(out, s)
		}
	}
	return out, nil
}

// fsddTakes lists speaker's recordings in dir by digit.
func fsddTakes(dir, speaker string) ([10][]string, error) {
	var takes [10][]string
	paths, err := filepath.Glob(filepath.Join(dir, "*_"+speaker+"_*.wav"))
	if err != nil {
		return takes, fmt.Errorf("eval: %w", err)
	}
	slices.Sort(paths)
	found := 0
	for _, p := range paths {
		d, err := strconv.Atoi(strings.SplitN(filepath.Base(p), "_", 2)[0])
		if err != nil || d < 0 || d > 9 {
			continue
		}
		takes[d] = append(takes[d], p)
		found++
	}
	if found == 0 {
		return takes, fmt.Errorf("%w: no {digit}_%s_{take}.wav in %s", ErrNoRecordings, speaker, dir)
	}
	return takes, nil
}

// Sentences reads every .wav in dir (resampled to Rate), with its text from
// a pocketsphinx-style "transcription" file beside them when there is one.
func Sentences(dir string) ([]Spoken, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.wav"))
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w: no .wav in %s", ErrNoRecordings, dir)
	}
	slices.Sort(paths)
	text := transcripts(filepath.Join(dir, "transcription"))
	var out []Spoken
	for _, p := range paths {
		x, err := readAt(p)
		if err != nil {
			return nil, err
		}
		id := strings.TrimSuffix(filepath.Base(p), ".wav")
		out = append(out, Spoken{Source: "librivox", Speaker: id, Text: text[id], PCM: x})
	}
	return out, nil
}

// transcripts parses lines "<s> words </s> (id)"; a missing file gives none.
func transcripts(path string) map[string]string {
	m := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		i := strings.LastIndex(line, "(")
		if i < 0 || !strings.HasSuffix(line, ")") {
			continue
		}
		words := strings.TrimSpace(strings.NewReplacer("<s>", "", "</s>", "").Replace(line[:i]))
		m[line[i+1:len(line)-1]] = words
	}
	return m
}

// readAt reads a 16-bit WAV file and resamples it to Rate.
func readAt(path string) ([]float64, error) {
	pcm, rate, err := wav.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %s: %w", path, err)
	}
	x := make([]float64, len(pcm))
	for i, s := range pcm {
		x[i] = float64(s)
	}
	return Resample(x, rate, Rate), nil
}

// BuildReal places items in order, separated by cfg.PauseMin..PauseMax of
// silence after cfg.LeadIn, each at cfg's active speech level ± its spread,
// and labels them by the synthetic corpus's rule (see package doc). Babble
// is rendered from cfg's espeak voices and talkers (none needs no
// espeak-ng). cfg.NoiseOnly is usually 0 here: the false starts of the
// same noises are measured on the synthetic corpus.
func BuildReal(ctx context.Context, cfg Config, items []Spoken) (*Corpus, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: an empty real-speech corpus", ErrNoRecordings)
	}
	if cfg.PauseMax < cfg.PauseMin {
		return nil, fmt.Errorf("eval: PauseMax %v < PauseMin %v", cfg.PauseMax, cfg.PauseMin)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 7))
	c := &Corpus{Config: cfg}
	pos := samplesOf(cfg.LeadIn)
	ats := make([]int, len(items))
	gains := make([]float64, len(items))
	for i, it := range items {
		gainDB := speechLevel + (rng.Float64()*2-1)*levelSpread
		gains[i] = math.Sqrt(math.Pow(10, gainDB/10) * 32768 * 32768 / activePower(it.PCM))
		ats[i] = pos
		pause := cfg.PauseMin + time.Duration(rng.Int64N(int64(cfg.PauseMax-cfg.PauseMin)+1))
		pos += len(it.PCM) + samplesOf(pause)
	}
	pos = (pos/FrameLen + 1) * FrameLen
	c.Clean = make([]float64, pos)
	c.Labels = make([]bool, pos/FrameLen)
	c.Bridged = make([]bool, pos/FrameLen)
	for i, it := range items {
		for j, s := range it.PCM {
			c.Clean[ats[i]+j] += s * gains[i]
		}
		f0, f1 := ats[i]/FrameLen, (ats[i]+len(it.PCM)-1)/FrameLen
		first, last := labelFrames(c.Clean, c.Labels, c.Bridged, f0, f1)
		if first < 0 {
			continue
		}
		c.spans = append(c.spans, [2]int{f0, f1})
		c.Utts = append(c.Utts, Utterance{Start: time.Duration(first) * FrameTime, End: time.Duration(last+1) * FrameTime,
			Voice: it.Source + ":" + it.Speaker, Text: it.Text})
	}
	var sp float64
	var nsp int
	for f, l := range c.Labels {
		if l {
			sp += framePower(c.Clean, f)
			nsp++
		}
	}
	c.SpeechPower = sp / float64(max(nsp, 1))
	r := &renderer{ctx: ctx, cache: map[renderKey][]float64{}}
	if err := c.addBabble(r); err != nil {
		return nil, err
	}
	return c, nil
}

// Relabel returns a copy of c (sharing its audio) whose labels use floorDB
// instead of LabelFloorDB; the speech level, and so every mixture, stays
// that of c. It shows how much of a score rests on an utterance's quiet
// frames: a real recording's decays and room tone lie 25-40 dB below its
// peak, where espeak-ng's output is silent. Only for BuildReal corpora.
func (c *Corpus) Relabel(floorDB float64) (*Corpus, error) {
	if len(c.spans) != len(c.Utts) {
		return nil, fmt.Errorf("eval: Relabel needs a BuildReal corpus")
	}
	n := *c
	n.Labels = make([]bool, len(c.Labels))
	n.Bridged = make([]bool, len(c.Bridged))
	n.Utts = nil
	for i, sp := range c.spans {
		first, last := labelFramesAt(c.Clean, n.Labels, n.Bridged, sp[0], sp[1], floorDB)
		u := c.Utts[i]
		u.Start, u.End = time.Duration(first)*FrameTime, time.Duration(last+1)*FrameTime
		n.Utts = append(n.Utts, u)
	}
	return &n, nil
}
