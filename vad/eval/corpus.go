package eval

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Corpus constants: 16 kHz mono, scored in 20 ms frames.
const (
	Rate      = 16000
	FrameLen  = 320
	FrameTime = 20 * time.Millisecond
)

// Labelling rule (see package doc).
const (
	LabelFloorDB = -40.0                  // a frame is speech if within this of its utterance's loudest frame
	LabelBridge  = 100 * time.Millisecond // gaps up to this long inside an utterance are speech
	speechLevel  = -26.0                  // dBFS active level of an utterance before its random gain
	levelSpread  = 4.0                    // ± dB of random gain per utterance
)

// Voice is an espeak-ng voice and the language of the texts it reads.
type Voice struct {
	Name string
	Lang string // "en" or "cmn"
}

// Config describes a corpus. The zero value is filled by DefaultConfig.
type Config struct {
	Seed       uint64
	Utterances int
	PauseMin   time.Duration
	PauseMax   time.Duration
	LeadIn     time.Duration // silence before the first utterance
	Voices     []Voice
	Speeds     []int // words per minute
	Talkers    int   // babble talkers
	// NoiseOnly is the noise-only stretch false starts are counted on. At
	// well under one start a minute, 5 min holds three or four: one more
	// or less moves the rate by 0.2/min. vad-eval uses 20 min.
	NoiseOnly time.Duration
}

// DefaultConfig is the configuration of `go run ./cmd/vad-eval`.
func DefaultConfig() Config {
	return Config{
		Seed:       20240607,
		Utterances: 96,
		PauseMin:   700 * time.Millisecond,
		PauseMax:   2500 * time.Millisecond,
		LeadIn:     time.Second,
		Voices: []Voice{
			{"en-us", "en"}, {"en+f3", "en"}, {"en-us+m3", "en"}, {"en-gb+f4", "en"},
			{"cmn", "cmn"}, {"cmn+f2", "cmn"},
		},
		Speeds:    []int{130, 165, 200},
		Talkers:   6,
		NoiseOnly: 20 * time.Minute,
	}
}

var texts = map[string][]string{
	"en": {
		"What is the weather like in Shanghai tomorrow?",
		"Please set a timer for ten minutes.",
		"Can you tell me what is in front of me right now?",
		"Turn off the lights in the living room.",
		"How far is it from here to the train station?",
		"Read me the first line of that sign.",
		"I would like to book a table for two at seven.",
		"What time does the pharmacy close today?",
		"Remind me to call my sister when I get home.",
		"Is this milk still good, or has it expired?",
		"Translate good morning into French.",
		"How many steps did I walk yesterday?",
		"Stop. That is not what I asked for.",
		"Play something relaxing, not too loud.",
		"Which bus goes to the museum from this stop?",
		"Describe the person standing next to the door.",
		"Add eggs, bread and coffee to my shopping list.",
		"Okay, thanks, that is all for now.",
		"Why is the sky blue during the day?",
		"Find a quiet cafe within walking distance.",
		"Yes.",
		"No, the other one.",
		"Could you repeat the last part a bit more slowly?",
		"What did the doctor say about the new medicine?",
	},
	"cmn": {
		"明天上海的天气怎么样？",
		"请帮我设一个十分钟的计时器。",
		"我前面是什么东西？",
		"把客厅的灯关掉。",
		"从这里到火车站有多远？",
		"我想订一张今晚七点两个人的桌子。",
		"药店今天几点关门？",
		"提醒我到家以后给妹妹打电话。",
		"请把早上好翻译成法语。",
		"好的，谢谢，先这样吧。",
		"这个牛奶还能喝吗？",
		"附近有没有安静的咖啡馆？",
	},
}

// Utterance is one spoken item of the corpus, with its labelled extent.
type Utterance struct {
	Start, End time.Duration // first and last labelled speech frame (start of / end of)
	Voice      string
	WPM        int
	Text       string
}

// Corpus is the clean track, its labels and what is needed to add noise.
type Corpus struct {
	Config      Config
	Clean       []float64 // 16 kHz, int16 scale
	Labels      []bool    // one per 20 ms frame
	Bridged     []bool    // frames labelled speech only as a bridged gap (quiet in the clean signal)
	Utts        []Utterance
	SpeechPower float64      // mean power of labelled frames (int16 units²)
	spans       [][2]int     // first and last frame of each placed recording (BuildReal)
	babble      [2][]float64 // the talkers summed: [0] for the mixture, [1] for the noise-only stretch
}

type renderKey struct {
	voice, text string
	wpm         int
}

type renderer struct {
	ctx   context.Context
	cache map[renderKey][]float64
}

func (r *renderer) render(voice string, wpm int, text string) ([]float64, error) {
	k := renderKey{voice, text, wpm}
	if x, ok := r.cache[k]; ok {
		return x, nil
	}
	pcm, rate, err := Speak(r.ctx, voice, wpm, text)
	if err != nil {
		return nil, err
	}
	f := make([]float64, len(pcm))
	for i, s := range pcm {
		f[i] = float64(s)
	}
	x := Resample(f, rate, Rate)
	r.cache[k] = x
	return x, nil
}

// Build synthesises and labels the corpus. It needs espeak-ng.
func Build(ctx context.Context, cfg Config) (*Corpus, error) {
	if len(cfg.Voices) == 0 || len(cfg.Speeds) == 0 || cfg.Utterances <= 0 {
		return nil, fmt.Errorf("eval: config needs voices, speeds and utterances")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 1))
	r := &renderer{ctx: ctx, cache: map[renderKey][]float64{}}
	c := &Corpus{Config: cfg}
	pos := samplesOf(cfg.LeadIn)
	type placed struct {
		x    []float64
		at   int
		u    Utterance
		gain float64
	}
	var items []placed
	for range cfg.Utterances {
		v := cfg.Voices[rng.IntN(len(cfg.Voices))]
		wpm := cfg.Speeds[rng.IntN(len(cfg.Speeds))]
		pool := texts[v.Lang]
		text := pool[rng.IntN(len(pool))]
		x, err := r.render(v.Name, wpm, text)
		if err != nil {
			return nil, err
		}
		gainDB := speechLevel + (rng.Float64()*2-1)*levelSpread
		g := math.Sqrt(math.Pow(10, gainDB/10) * 32768 * 32768 / activePower(x)) // to gainDB dBFS active
		items = append(items, placed{x: x, at: pos, u: Utterance{Voice: v.Name, WPM: wpm, Text: text}, gain: g})
		pause := cfg.PauseMin + time.Duration(rng.Int64N(int64(cfg.PauseMax-cfg.PauseMin)+1))
		pos += len(x) + samplesOf(pause)
	}
	pos = (pos/FrameLen + 1) * FrameLen
	c.Clean = make([]float64, pos)
	c.Labels = make([]bool, pos/FrameLen)
	c.Bridged = make([]bool, pos/FrameLen)
	var sp float64
	var nsp int
	for _, it := range items {
		for i, s := range it.x {
			c.Clean[it.at+i] += s * it.gain
		}
		u := it.u
		f0, f1 := it.at/FrameLen, (it.at+len(it.x)-1)/FrameLen
		first, last := labelFrames(c.Clean, c.Labels, c.Bridged, f0, f1)
		if first < 0 {
			continue
		}
		u.Start = time.Duration(first) * FrameTime
		u.End = time.Duration(last+1) * FrameTime
		c.Utts = append(c.Utts, u)
	}
	for f, l := range c.Labels {
		if l {
			sp += framePower(c.Clean, f)
			nsp++
		}
	}
	c.SpeechPower = sp / float64(max(nsp, 1))
	if err := c.addBabble(r); err != nil {
		return nil, err
	}
	return c, nil
}

// addBabble renders c's babble tracks: random sequences of utterances from
// c.Config's voices, for the mixture and (from a random stream of their
// own, so its length does not change the mixture) for the noise-only
// stretch. Each talker is added into the sum as soon as it is rendered, so
// a long noise-only stretch costs one track of memory, not six.
func (c *Corpus) addBabble(r *renderer) error {
	cfg := c.Config
	for part, need := range []int{len(c.Clean), samplesOf(cfg.NoiseOnly)} {
		brng := rand.New(rand.NewPCG(cfg.Seed, uint64(2+part)))
		sum := make([]float64, need)
		t := make([]float64, 0, need)
		for range cfg.Talkers {
			t = t[:0]
			for len(t) < need {
				v := cfg.Voices[brng.IntN(len(cfg.Voices))]
				x, err := r.render(v.Name, cfg.Speeds[brng.IntN(len(cfg.Speeds))], texts[v.Lang][brng.IntN(len(texts[v.Lang]))])
				if err != nil {
					return err
				}
				g := 1 / math.Sqrt(activePower(x))
				for _, s := range x {
					t = append(t, s*g)
				}
				t = append(t, make([]float64, brng.IntN(samplesOf(200*time.Millisecond)))...)
			}
			for i, v := range t[:need] {
				sum[i] += v
			}
		}
		c.babble[part] = sum
	}
	return nil
}

func samplesOf(d time.Duration) int { return int(int64(d) * Rate / int64(time.Second)) }

func framePower(x []float64, f int) float64 {
	var s float64
	for _, v := range x[f*FrameLen : (f+1)*FrameLen] {
		s += v * v
	}
	return s / FrameLen
}

// activePower is the mean power of the 20 ms frames within 40 dB of the
// loudest one: the level of the speech, not of its leading/trailing silence.
func activePower(x []float64) float64 {
	n := len(x) / FrameLen
	pw := make([]float64, n)
	var peak float64
	for f := range n {
		pw[f] = framePower(x, f)
		peak = max(peak, pw[f])
	}
	var s float64
	var k int
	for _, p := range pw {
		if p >= peak*math.Pow(10, LabelFloorDB/10) {
			s += p
			k++
		}
	}
	if k == 0 || s == 0 {
		return 1
	}
	return s / float64(k)
}

// labelFrames marks frames f0..f1 of clean whose power is within LabelFloorDB
// of the loudest of them, bridges gaps up to LabelBridge (marking those
// frames in bridged too), and returns the first and last speech frame (-1 if
// none).
func labelFrames(clean []float64, labels, bridged []bool, f0, f1 int) (int, int) {
	return labelFramesAt(clean, labels, bridged, f0, f1, LabelFloorDB)
}

// labelFramesAt is labelFrames with floorDB in place of LabelFloorDB.
func labelFramesAt(clean []float64, labels, bridged []bool, f0, f1 int, floorDB float64) (int, int) {
	var peak float64
	for f := f0; f <= f1; f++ {
		peak = max(peak, framePower(clean, f))
	}
	floor := peak * math.Pow(10, floorDB/10)
	first, last := -1, -1
	for f := f0; f <= f1; f++ {
		if peak > 0 && framePower(clean, f) >= floor {
			labels[f] = true
			if first < 0 {
				first = f
			} else if gap := f - last - 1; gap > 0 && gap <= int(LabelBridge/FrameTime) {
				for g := last + 1; g < f; g++ {
					labels[g] = true
					bridged[g] = true
				}
			}
			last = f
		}
	}
	return first, last
}

// NoiseKind names a noise type.
type NoiseKind int

// Noise types.
const (
	White NoiseKind = iota
	Pink
	Babble
)

// NoiseKinds lists all noise types in report order.
var NoiseKinds = []NoiseKind{White, Pink, Babble}

func (k NoiseKind) String() string {
	return [...]string{"white", "pink", "babble"}[k]
}

// noise returns n samples of unit-power noise. part 0 is the noise mixed with
// the speech, part 1 the separate noise-only stretch.
func (c *Corpus) noise(kind NoiseKind, n, part int) []float64 {
	rng := rand.New(rand.NewPCG(c.Config.Seed, uint64(100+10*int(kind)+part)))
	out := make([]float64, n)
	switch kind {
	case White:
		for i := range out {
			out[i] = rng.NormFloat64()
		}
	case Pink:
		// Paul Kellet's refined pink filter over white noise.
		var b0, b1, b2, b3, b4, b5, b6 float64
		for i := range out {
			w := rng.NormFloat64()
			b0 = 0.99886*b0 + w*0.0555179
			b1 = 0.99332*b1 + w*0.0750759
			b2 = 0.96900*b2 + w*0.1538520
			b3 = 0.86650*b3 + w*0.3104856
			b4 = 0.55000*b4 + w*0.5329522
			b5 = -0.7616*b5 - w*0.0168980
			out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w*0.5362
			b6 = w * 0.115926
		}
	case Babble:
		copy(out, c.babble[part])
	}
	var p float64
	for _, v := range out {
		p += v * v
	}
	g := 1 / math.Sqrt(p/float64(n)+1e-30)
	for i := range out {
		out[i] *= g
	}
	return out
}

// Mix returns the corpus with noise at snrDB below the active speech level.
// math.Inf(1) means no noise.
func (c *Corpus) Mix(kind NoiseKind, snrDB float64) []int16 {
	if math.IsInf(snrDB, 1) {
		return toPCM(c.Clean, nil, 0)
	}
	return toPCM(c.Clean, c.noise(kind, len(c.Clean), 0), c.noiseGain(snrDB))
}

// NoiseOnly returns Config.NoiseOnly of noise alone, at the level it has in
// Mix(kind, snrDB), from a stretch not used in the mixtures.
func (c *Corpus) NoiseOnly(kind NoiseKind, snrDB float64) []int16 {
	n := samplesOf(c.Config.NoiseOnly) / FrameLen * FrameLen
	return toPCM(make([]float64, n), c.noise(kind, n, 1), c.noiseGain(snrDB))
}

// Mixes returns the mixture of condition cd and its noise alone (nil for
// clean speech).
func (c *Corpus) Mixes(cd Condition) (mix, noise []int16) {
	mix = c.Mix(cd.Kind, cd.SNR)
	if !math.IsInf(cd.SNR, 1) {
		noise = c.NoiseOnly(cd.Kind, cd.SNR)
	}
	return mix, noise
}

func (c *Corpus) noiseGain(snrDB float64) float64 {
	return math.Sqrt(c.SpeechPower / math.Pow(10, snrDB/10))
}

func toPCM(x, noise []float64, g float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		if noise != nil {
			v += g * noise[i]
		}
		out[i] = sample16(v)
	}
	return out
}

// sample16 rounds v to the nearest 16-bit sample, clipping at full scale.
func sample16(v float64) int16 { return int16(max(-32768, min(32767, math.Round(v)))) }

// Duration of the clean track.
func (c *Corpus) Duration() time.Duration {
	return time.Duration(len(c.Clean)) * time.Second / Rate
}
