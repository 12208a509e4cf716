package eval

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/vad"
)

func needEspeak(t *testing.T) {
	t.Helper()
	if EspeakAvailable() {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("espeak-ng is required in CI (apt-get install espeak-ng)")
	}
	t.Skip("espeak-ng not installed")
}

// TestSmokeF1 guards regressions: on a short corpus, clean and with white
// noise at 20 dB, the spectral VAD's frame F1 must stay ≥ 0.9 and every
// utterance must start a turn; with babble at 20 dB F1 must stay ≥ 0.88.
func TestSmokeF1(t *testing.T) {
	needEspeak(t)
	cfg := DefaultConfig()
	cfg.Utterances = 6
	cfg.Voices = []Voice{{"en-us", "en"}, {"cmn", "cmn"}}
	cfg.Speeds = []int{165}
	cfg.NoiseOnly = 10 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Build(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Utts) != cfg.Utterances {
		t.Fatalf("%d labelled utterances, want %d", len(c.Utts), cfg.Utterances)
	}
	spectral := Contenders()[0].New
	for _, snr := range []float64{math.Inf(1), 20} {
		r, err := Evaluate(c, c.Mix(White, snr), spectral, vad.TurnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("SNR %v: P %.3f R %.3f F1 %.3f missed %d splits %d onset median %v", snr, r.Precision, r.Recall, r.F1,
			r.Missed, r.Splits, Percentile(r.Onset, 50))
		if r.F1 < 0.9 || r.Missed > 0 {
			t.Errorf("SNR %v: F1 %.3f (want ≥ 0.9), %d missed", snr, r.F1, r.Missed)
		}
	}
	// Noise alone: the spectral VAD starts no turn in white noise at 10 dB;
	// the energy baseline calls it all speech, in one turn that never
	// ends, which the time-in-turns share shows and a count of starts
	// alone would not.
	fs, in, err := FalseStarts(c.NoiseOnly(White, 10), spectral, vad.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fs > 0 || in > 0 {
		t.Errorf("white 10 dB noise only: %.1f false starts/min, %.0f%% in turns; want none", fs, 100*in)
	}
	// (StartThreshold 0.5: with the default 0.99 no frame of it is sure
	// enough to start a turn at all.)
	fs, in, err = FalseStarts(c.NoiseOnly(White, 10), Contenders()[1].New, vad.TurnOptions{StartThreshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	// At most one start per run; the shortest run is 10 s less the last
	// of FalseStartOffsets.
	shortest := cfg.NoiseOnly - FalseStartOffsets[len(FalseStartOffsets)-1]
	if in < 0.9 || fs > time.Minute.Seconds()/shortest.Seconds() {
		t.Errorf("energy VAD, white 10 dB noise only: %.1f starts/min, %.0f%% in turns; want ≥ 90%% in turns", fs, 100*in)
	}
	// The classifier tells other voices from steady noise.
	for _, k := range []NoiseKind{White, Pink, Babble} {
		v, err := vad.NewClassifier(vad.Options{})
		if err != nil {
			t.Fatal(err)
		}
		pcm := c.NoiseOnly(k, 10)
		for i := 0; i+FrameLen <= len(pcm); i += FrameLen {
			v.Prob(pcm[i : i+FrameLen])
		}
		if got := v.Fluctuating(); got != (k == Babble) {
			t.Errorf("%s noise only: Fluctuating() = %v", k, got)
		}
	}
	// Babble (six espeak talkers) at 20 dB: the learnt score keeps most
	// babble frames out (F1 0.896 here; on the babble of the corpus before
	// it, the hand-set band-SNR mean scored 0.840, the minimum-statistics
	// floor alone 0.786).
	r, err := Evaluate(c, c.Mix(Babble, 20), spectral, vad.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("babble 20 dB: P %.3f R %.3f F1 %.3f missed %d", r.Precision, r.Recall, r.F1, r.Missed)
	if r.F1 < 0.88 {
		t.Errorf("babble 20 dB: F1 %.3f, want ≥ 0.88", r.F1)
	}
	// The telephone band: the same mixtures at 8 kHz (weights trained at
	// 8 kHz), plain and through a telephone line (G.711): F1 0.968 in white
	// noise and 0.880 in babble at 20 dB here (G.711: 0.955 and 0.872).
	rows, err := MeasureRates(c, []Channel{{Rate: 8000}, {Rate: 8000, Telephone: true}}, []Condition{{White, 20}, {Babble, 20}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		x := r.Result
		t.Logf("%s %s 20 dB: P %.3f R %.3f F1 %.3f missed %d", r.Channel, r.Cond.Kind, x.Precision, x.Recall, x.F1, x.Missed)
		want := 0.9
		if r.Cond.Kind == Babble {
			want = 0.85
		}
		if x.F1 < want || (r.Cond.Kind == White && x.Missed > 0) {
			t.Errorf("%s %s 20 dB: F1 %.3f (want ≥ %.2f), %d missed", r.Channel, r.Cond.Kind, x.F1, want, x.Missed)
		}
	}
}

func TestLabelsAndDeterminism(t *testing.T) {
	needEspeak(t)
	cfg := DefaultConfig()
	cfg.Utterances = 3
	cfg.Voices = []Voice{{"en+f3", "en"}}
	cfg.Speeds = []int{200}
	cfg.Talkers = 1
	cfg.NoiseOnly = time.Second
	a, err := Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ma, mb := a.Mix(Babble, 10), b.Mix(Babble, 10)
	for i := range ma {
		if ma[i] != mb[i] {
			t.Fatalf("same seed, different mixture at sample %d", i)
		}
	}
	// Pauses are labelled silence; utterance spans are inside the labels.
	for i, u := range a.Utts {
		if !a.Labels[int(u.Start/FrameTime)] || !a.Labels[int(u.End/FrameTime)-1] {
			t.Errorf("utterance %d bounds not labelled", i)
		}
		if i > 0 {
			for f := int(a.Utts[i-1].End / FrameTime); f < int(u.Start/FrameTime); f++ {
				if a.Labels[f] {
					t.Fatalf("frame %d in a pause labelled speech", f)
				}
			}
		}
	}
	// SNR is what was asked for.
	n := a.NoiseOnly(White, 10)
	var p float64
	for _, s := range n {
		p += float64(s) * float64(s)
	}
	got := 10 * math.Log10(a.SpeechPower/(p/float64(len(n))))
	if math.Abs(got-10) > 0.2 {
		t.Errorf("noise-only SNR %.2f dB, want 10", got)
	}
}

func TestResample(t *testing.T) {
	// A 1 kHz tone survives 22050→16000 with its amplitude; 10 kHz is removed.
	for _, tc := range []struct {
		f, want float64
	}{{1000, 1}, {10000, 0}} {
		x := make([]float64, 22050)
		for i := range x {
			x[i] = math.Sin(2 * math.Pi * tc.f * float64(i) / 22050)
		}
		y := Resample(x, 22050, 16000)
		if len(y) != 16000 {
			t.Fatalf("len %d", len(y))
		}
		var p float64
		for _, v := range y[1000:15000] {
			p += v * v
		}
		amp := math.Sqrt(2 * p / 14000)
		if math.Abs(amp-tc.want) > 0.02 {
			t.Errorf("%v Hz: amplitude %.3f, want %v", tc.f, amp, tc.want)
		}
	}
}

func TestWriteSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := WriteSection(path, "first\n"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("# B\n\nintro\n"+BeginMarker+"\nold\n"+EndMarker+"\n\n## Other\nkeep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteSection(path, "new\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := "# B\n\nintro\n" + BeginMarker + "\nnew\n" + EndMarker + "\n\n## Other\nkeep\n"
	if string(b) != want {
		t.Errorf("got %q\nwant %q", b, want)
	}
	other := filepath.Join(t.TempDir(), "x.md")
	os.WriteFile(other, []byte("# Existing\n"), 0o644)
	if err := WriteSection(other, "s\n"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(other)
	if !strings.HasPrefix(string(b), "# Existing\n") || !strings.Contains(string(b), BeginMarker+"\ns\n"+EndMarker) {
		t.Errorf("appended: %q", b)
	}
}

func TestParseWAVErrors(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("RIFF0000WAVX"), []byte("RIFF\x00\x00\x00\x00WAVEdata\x00\x00\x00\x00")} {
		if _, _, err := parseWAV(b); err == nil {
			t.Errorf("%q: no error", b)
		}
	}
}

func TestVerdictMarkdown(t *testing.T) {
	ms := time.Millisecond
	good := Result{F1: 0.96, Onset: []time.Duration{20 * ms}, EndExtra: []time.Duration{0}}
	rows := []Row{
		{Noise: "white", SNR: 20, VAD: "spectral", Result: good, FalsePerMin: 0},
		{Noise: "pink", SNR: 20, VAD: "spectral", Result: good, FalsePerMin: 0},
		{Noise: "white", SNR: 10, VAD: "spectral", Result: Result{F1: 0.91, Onset: []time.Duration{80 * ms}, EndExtra: []time.Duration{0}}, FalsePerMin: 2},
		{Noise: "white", SNR: 10, VAD: "energy", Result: Result{F1: 0.95}, FalsePerMin: 0},
		{Noise: "babble", SNR: 10, VAD: "spectral", Result: Result{F1: 0.80}, FalsePerMin: 0},
	}
	v := VerdictMarkdown(rows, "spectral")
	for _, want := range []string{
		"frame F1 ≥ 0.95 at 20 dB, white and pink: **met** (white 0.960, pink 0.960)",
		"frame F1 ≥ 0.85 at 10 dB babble: **missed** (babble 0.800)",
		"energy baseline at 10 dB and below: **missed** (white 10 dB 0.910 vs 0.950)",
		"onset delay median ≤ 60 ms: **missed** (white 10 dB: 80 ms, babble 10 dB: no turn)",
		"per minute of noise-only audio at 10 dB: **missed** (white 10 dB: 2.0/min)",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("verdict lacks %q:\n%s", want, v)
		}
	}
	// Met: the closest margin is named.
	rows[3].Result.F1 = 0.70
	rows = append(rows,
		Row{Noise: "babble", SNR: 0, VAD: "spectral", Result: Result{F1: 0.76}},
		Row{Noise: "babble", SNR: 0, VAD: "energy", Result: Result{F1: 0.73}},
		Row{Noise: "babble", SNR: 10, VAD: "energy", Result: Result{F1: 0.70}})
	want := "energy baseline at 10 dB and below: **met** (every noise at 10, 5 and 0 dB; closest babble 0 dB 0.760 vs 0.730)"
	if v := VerdictMarkdown(rows, "spectral"); !strings.Contains(v, want) {
		t.Errorf("verdict lacks %q:\n%s", want, v)
	}
}
