package eval

import (
	"fmt"
	"math"
	"strings"

	"github.com/duplex-ai/duplex/vad"
)

// Channel is how the audio reaches the VAD: at Rate, and through a
// telephone line (Telephone: the voice band and G.711 µ-law; 8 kHz only).
type Channel struct {
	Rate      int
	Telephone bool
}

func (ch Channel) String() string {
	if ch.Telephone {
		return fmt.Sprintf("%d kHz G.711", ch.Rate/1000)
	}
	return fmt.Sprintf("%d kHz", ch.Rate/1000)
}

// check refuses a channel At cannot make.
func (ch Channel) check() error {
	if ch.Telephone && ch.Rate != 8000 {
		return fmt.Errorf("eval: a telephone line at %d Hz (8000 only)", ch.Rate)
	}
	return nil
}

// At converts 16 kHz pcm to ch (a telephone line: 8 kHz only).
func (ch Channel) At(pcm []int16) []int16 {
	out := AtRate(pcm, ch.Rate)
	if ch.Telephone {
		out = Telephone(out)
	}
	return out
}

// RateRow is the spectral VAD on one channel on one condition.
type RateRow struct {
	Channel     Channel
	Cond        Condition
	Result      Result
	FalsePerMin float64 // NaN for clean
	NoiseInTurn float64
}

// AtRate converts 16 kHz pcm to rate (Resample, rounded and clipped).
func AtRate(pcm []int16, rate int) []int16 {
	if rate == Rate {
		return pcm
	}
	x := make([]float64, len(pcm))
	for i, s := range pcm {
		x[i] = float64(s)
	}
	y := Resample(x, Rate, rate)
	out := make([]int16, len(y))
	for i, v := range y {
		out[i] = sample16(v)
	}
	return out
}

// MeasureRates runs the production classifier (vad.NewClassifier at each
// channel's rate, the detector at its defaults) on c's mixtures brought from
// 16 kHz to each channel: the 8 and 48 kHz paths a telephone or a browser
// would feed, scored against the same labels.
func MeasureRates(c *Corpus, chans []Channel, conds []Condition) ([]RateRow, error) {
	var rows []RateRow
	for _, cd := range conds {
		mix, noise := c.Mixes(cd)
		for _, ch := range chans {
			if err := ch.check(); err != nil {
				return nil, err
			}
			mk := func() (vad.Classifier, error) { return vad.NewClassifier(vad.Options{SampleRate: ch.Rate}) }
			topt := vad.TurnOptions{SampleRate: ch.Rate}
			row := RateRow{Channel: ch, Cond: cd, FalsePerMin: math.NaN()}
			var err error
			if row.Result, err = Evaluate(c, ch.At(mix), mk, topt); err != nil {
				return nil, err
			}
			if noise != nil {
				if row.FalsePerMin, row.NoiseInTurn, err = FalseStarts(ch.At(noise), mk, topt); err != nil {
					return nil, err
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// RatesMarkdown renders rows.
func RatesMarkdown(rows []RateRow) string {
	var b strings.Builder
	b.WriteString("Input sample rates, spectral VAD: the same mixtures resampled from 16 kHz (8 kHz: telephone band, " +
		"16 bands up to 3.7 kHz and weights trained at 8 kHz, plain and through a telephone line; 8 kHz G.711: also through a telephone line, " +
		"300–3400 Hz and µ-law coded; 48 kHz: decimated to 16 kHz inside the classifier):\n\n")
	b.WriteString("| rate | noise | SNR dB | precision | recall | F1 | onset | EOT extra | missed | false starts/min, time in turns (noise only) |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		x := r.Result
		fp := "—"
		if !math.IsNaN(r.FalsePerMin) {
			fp = fmt.Sprintf("%.1f, %.0f %%", r.FalsePerMin, 100*r.NoiseInTurn)
		}
		noise, snr := r.Cond.Kind.String(), fmt.Sprintf("%.0f", r.Cond.SNR)
		if math.IsInf(r.Cond.SNR, 1) {
			noise, snr = "clean", "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.3f | %.3f | **%.3f** | %s/%s | %s/%s | %s | %s |\n",
			r.Channel, noise, snr, x.Precision, x.Recall, x.F1,
			msf(Percentile(x.Onset, 50)), msf(Percentile(x.Onset, 95)),
			endMS(Percentile(x.EndExtra, 50)), endMS(Percentile(x.EndExtra, 95)), missedCell(x), fp)
	}
	return b.String()
}
