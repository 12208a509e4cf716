package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/wav"
	"github.com/duplex-ai/duplex/vad/eval"
)

// voices are the espeak-ng voices the caller speaks with.
var voices = []string{"en-us", "en-us+f2", "en-us+m3", "en-us+f4", "en+m5"}

// ---- clips ----

type clip struct {
	pcm  []int16
	rate int
}

// clipCache renders each (voice, text) once with espeak-ng.
type clipCache struct {
	dir  string
	mu   sync.Mutex
	seen map[string]clip
}

func (c *clipCache) get(ctx context.Context, voice, text string) (clip, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := voice + "|" + text
	if cl, ok := c.seen[key]; ok {
		return cl, nil
	}
	if c.seen == nil {
		c.seen = map[string]clip{}
	}
	path := filepath.Join(c.dir, fmt.Sprintf("clip%d.wav", len(c.seen)))
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "espeak-ng", "-v", voice, "-w", path, text).CombinedOutput(); err != nil {
		return clip{}, fmt.Errorf("espeak-ng -v %s %q: %v %s", voice, text, err, out)
	}
	pcm, rate, err := wav.ReadFile(path)
	if err != nil {
		return clip{}, err
	}
	cl := clip{pcm: pcm, rate: rate}
	c.seen[key] = cl
	return cl, nil
}

// ---- scenario A: one call, 20 turns ----

type question struct {
	text  string
	skill string
}

// scenarioA is spoken in order; turn i uses voice (i + i/10) mod 5, so a
// question asked twice is asked by two voices.
var scenarioA = []question{
	{"what time is it", "time"},
	{"what is the date today", "date"},
	{"what is twelve times seven", "arithmetic:84"},
	{"hello there", "greeting"},
	{"what can you do", "help"},
	{"what is nine minus four", "arithmetic:5"},
	{"what day is it today", "date"},
	{"what is seventy seven plus fifteen", "arithmetic:92"},
	{"what is the time", "time"},
	{"what is one hundred divided by five", "arithmetic:20"},
	{"what time is it", "time"},
	{"what is the date today", "date"},
	{"what is twelve times seven", "arithmetic:84"},
	{"hello there", "greeting"},
	{"what is three times eleven", "arithmetic:33"},
	{"what is nine minus four", "arithmetic:5"},
	{"what day is it today", "date"},
	{"what is seventy seven plus fifteen", "arithmetic:92"},
	{"what is the time", "time"},
	{"what is one hundred divided by five", "arithmetic:20"},
}

func voiceA(i int) string { return voices[(i+i/10)%len(voices)] }

// rightSkill checks the reply with a keyword test per skill; from and to
// bound the call (for the clock skills).
func rightSkill(skill, reply string, from, to time.Time) bool {
	switch {
	case skill == "time":
		for t := from.Add(-time.Minute); !t.After(to.Add(time.Minute)); t = t.Add(time.Minute) {
			if strings.Contains(reply, t.Format("3:04")) {
				return true
			}
		}
		return false
	case skill == "date":
		for _, t := range []time.Time{from, to} {
			if strings.Contains(reply, t.Format("Monday, January 2,")) {
				return true
			}
		}
		return false
	case strings.HasPrefix(skill, "arithmetic:"):
		return strings.Contains(reply, " is "+strings.TrimPrefix(skill, "arithmetic:")+".")
	case skill == "greeting":
		return strings.HasPrefix(reply, "Hello")
	case skill == "help":
		return strings.Contains(reply, "I can tell you the time or the date")
	}
	return false
}

type turnRow struct {
	q       question // zero if the turn matched no question
	voice   string
	user    string
	reply   string
	right   bool
	latency float64 // client, ms; 0 = none
	server  float64 // server latency_ms
}

type resultA struct {
	ok       bool
	errors   []string
	rows     []turnRow
	missing  []int // questions without a turn
	latency  callbot.Percentiles
	nLatency int
	metrics  []events.TurnMetrics
	right    int
	took     time.Duration
}

func runA(ctx context.Context, base string, clips *clipCache, verbose bool) (*resultA, error) {
	turns := make([][]int16, len(scenarioA))
	rate := 0
	for i, q := range scenarioA {
		cl, err := clips.get(ctx, voiceA(i), q.text)
		if err != nil {
			return nil, err
		}
		if rate != 0 && cl.rate != rate {
			return nil, fmt.Errorf("espeak-ng clips at %d and %d Hz", rate, cl.rate)
		}
		turns[i], rate = cl.pcm, cl.rate
	}
	cctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	from := time.Now()
	res, err := callbot.Run(cctx, callbot.Options{
		Server: base, Turns: turns, AudioRate: rate,
		TurnTimeout: 20 * time.Second, Tail: 5 * time.Second, Wait: len(turns), Log: zerolog.Nop(),
	})
	to := time.Now()
	if err != nil {
		return nil, err
	}
	r := &resultA{ok: res.OK, errors: res.Errors, latency: res.LatencyMS, took: to.Sub(from)}
	for _, ev := range res.Events {
		if ev.Type == events.TypeTurnMetrics && ev.Metrics != nil {
			r.metrics = append(r.metrics, *ev.Metrics)
		}
	}
	// Turns map to questions in order; a missing or extra turn (no
	// transcript, an utterance split in two) is aligned by words.
	match := align(scenarioA, res.Turns)
	used := make([]bool, len(scenarioA))
	for i, t := range res.Turns {
		row := turnRow{user: t.User, reply: t.Reply, latency: t.LatencyMS, server: t.ServerLatencyMS}
		if j := match[i]; j >= 0 {
			used[j] = true
			row.q, row.voice = scenarioA[j], voiceA(j)
			row.right = rightSkill(row.q.skill, t.Reply, from, to)
		}
		if row.right {
			r.right++
		}
		if t.LatencyMS > 0 {
			r.nLatency++
		}
		r.rows = append(r.rows, row)
		if verbose {
			logf("A %2d %-9s %q → %q (%.0f ms, server %.0f ms) right=%v", i+1, row.voice, t.User, t.Reply, t.LatencyMS, t.ServerLatencyMS, row.right)
		}
	}
	for j, u := range used {
		if !u {
			r.missing = append(r.missing, j)
		}
	}
	return r, nil
}

// align matches turns to questions in order, maximising the words their
// transcripts share (a monotone alignment that may skip either side);
// match[i] is the question of turn i or -1.
func align(qs []question, turns []callbot.Turn) []int {
	n, m := len(turns), len(qs)
	score := func(i, j int) int {
		want := map[string]bool{}
		for _, w := range strings.Fields(qs[j].text) {
			want[w] = true
		}
		s := 0
		for _, w := range transcriptWords(turns[i].User) {
			if want[w] {
				s++
			}
		}
		// In order, the i-th turn is the i-th question: a small bonus.
		if i == j {
			s++
		}
		return s
	}
	best := make([][]int, n+1)
	for i := range best {
		best[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			best[i][j] = max(best[i+1][j], best[i][j+1], score(i, j)+best[i+1][j+1])
		}
	}
	match := make([]int, n)
	for i, j := 0, 0; i < n; {
		switch {
		case j < m && score(i, j) > 0 && best[i][j] == score(i, j)+best[i+1][j+1]:
			match[i] = j
			i, j = i+1, j+1
		case j < m && best[i][j] == best[i][j+1]:
			j++
		default:
			match[i] = -1
			i++
		}
	}
	return match
}

// transcriptWords are the words of a transcript, lower case, a numeral
// read digit by digit ("711": seven one one) as R's digit strings are
// written: the recogniser writes a digit string as a numeral.
func transcriptWords(text string) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(text)) {
		if strings.Trim(w, "0123456789") != "" {
			out = append(out, w)
			continue
		}
		for _, d := range w {
			out = append(out, digitWords[d-'0'])
		}
	}
	return out
}

// ---- scenario B: barge-in ----

const (
	bargeTrials = 20
	storyText   = "tell me a story"
	minOffset   = 500 * time.Millisecond
	maxOffset   = 4 * time.Second
)

var bargePhrases = []string{"stop", "what time is it"}

type trial struct {
	storyVoice, bargeVoice, phrase string
	offset                         time.Duration
	ok                             bool
	errors                         []string
	interrupted                    bool
	stopMS                         *float64
	heard, text                    string
	prefix, strictPrefix           bool
	after                          string // the turn after the story: "user → reply"
	// From the recorded audio timelines (see timelineStop).
	tlStop, tlGap float64
	tlOK          bool
}

type resultB struct {
	trials      []trial
	stop        callbot.Percentiles
	nStop       int
	zeroStop    int
	interrupted int
	tlStop      callbot.Percentiles
	nTL         int
	prefix      int
	strict      int
	took        time.Duration
}

func runB(ctx context.Context, base string, clips *clipCache, seed uint64, verbose bool) (*resultB, error) {
	rng := rand.New(rand.NewPCG(seed, 0xba59e))
	r := &resultB{}
	start := time.Now()
	var stops, tl []float64
	for k := range bargeTrials {
		tr := trial{
			storyVoice: voices[k%len(voices)],
			bargeVoice: voices[(k+2)%len(voices)],
			phrase:     bargePhrases[k%len(bargePhrases)],
		}
		off := minOffset + time.Duration(rng.Int64N(int64(maxOffset-minOffset)))
		tr.offset = off.Round(10 * time.Millisecond)
		story, err := clips.get(ctx, tr.storyVoice, storyText)
		if err != nil {
			return nil, err
		}
		barge, err := clips.get(ctx, tr.bargeVoice, tr.phrase)
		if err != nil {
			return nil, err
		}
		if barge.rate != story.rate {
			return nil, fmt.Errorf("espeak-ng clips at %d and %d Hz", story.rate, barge.rate)
		}
		cctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		res, err := callbot.Run(cctx, callbot.Options{
			Server: base, Turns: [][]int16{story.pcm}, AudioRate: story.rate,
			BargeIn: barge.pcm, BargeInAfter: tr.offset,
			TurnTimeout: 15 * time.Second, Tail: 4 * time.Second, Wait: 2, Log: zerolog.Nop(),
		})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("trial %d: %w", k+1, err)
		}
		tr.ok, tr.errors = res.OK, res.Errors
		tr.tlStop, tr.tlGap, tr.tlOK = timelineStop(res.Sent, res.Received)
		for i, t := range res.Turns {
			if t.BargeInStopMS != nil {
				tr.stopMS = t.BargeInStopMS
			}
			if t.Interrupted && !tr.interrupted {
				tr.interrupted = true
				if i+1 < len(res.Turns) {
					n := res.Turns[i+1]
					tr.after = n.User + " → " + n.Reply
				}
			}
		}
		for _, ev := range res.Events {
			if ev.Type == events.TypeReplyInterrupted {
				tr.heard, tr.text = ev.Heard, ev.Text
				break
			}
		}
		tr.strictPrefix = tr.heard != "" && strings.HasPrefix(tr.text, tr.heard)
		tr.prefix = tr.heard != "" && strings.HasPrefix(normSpace(tr.text), normSpace(tr.heard))
		if tr.interrupted {
			r.interrupted++
		}
		if tr.prefix {
			r.prefix++
		}
		if tr.strictPrefix {
			r.strict++
		}
		if tr.stopMS != nil {
			stops = append(stops, *tr.stopMS)
			if *tr.stopMS == 0 {
				r.zeroStop++
			}
		}
		if tr.tlOK {
			tl = append(tl, tr.tlStop)
		}
		if verbose {
			stop := "—"
			if tr.stopMS != nil {
				stop = strconv.FormatFloat(*tr.stopMS, 'f', 0, 64)
			}
			logf("B %2d %q after %v: timeline stop %.0f ms gap %.0f ms (%v); interrupted=%v stop=%s ms heard %d words prefix=%v; next %q; errors %v",
				k+1, tr.phrase, tr.offset, tr.tlStop, tr.tlGap, tr.tlOK, tr.interrupted, stop, len(strings.Fields(tr.heard)), tr.prefix, tr.after, tr.errors)
		}
		r.trials = append(r.trials, tr)
	}
	r.nStop = len(stops)
	r.stop = nearestRank(stops)
	r.nTL, r.tlStop = len(tl), nearestRank(tl)
	r.took = time.Since(start)
	return r, nil
}

// timelineStop cross-checks barge_in_stop_ms on the audio timelines
// callbot recorded (48 kHz, sample 0 = first frame sent; received audio
// placed by RTP timestamp): the barge-in starts at the first speech frame
// (> -40 dBFS) of the last sent segment (segments split by ≥ 500 ms of
// silence); the reply stopped where the first silence of ≥ 250 ms in the
// received audio (≤ -45 dBFS per 20 ms) after that point begins. stop is
// from the barge-in start to that point in ms (0 if the reply was silent
// already), gap the length of that silence; ok is false if the timelines
// do not show both.
func timelineStop(sent, recv []int16) (stop, gap float64, ok bool) {
	const fr = 960 // 20 ms at 48 kHz
	level := func(x []int16, i int) float64 {
		if (i+1)*fr > len(x) {
			return math.Inf(-1)
		}
		var sum float64
		for _, v := range x[i*fr : (i+1)*fr] {
			sum += float64(v) * float64(v)
		}
		if sum == 0 {
			return math.Inf(-1)
		}
		return 10 * math.Log10(sum/fr/(32768*32768))
	}
	barge, lastSpeech := -1, -1
	for i := 0; i < len(sent)/fr; i++ {
		if level(sent, i) > -40 {
			if lastSpeech < 0 || i-lastSpeech >= 25 {
				barge = i
			}
			lastSpeech = i
		}
	}
	if barge < 0 {
		return 0, 0, false
	}
	n := len(recv) / fr
	for i := barge; i < n; i++ {
		if level(recv, i) > -45 {
			continue
		}
		j := i
		for j < n && level(recv, j) <= -45 {
			j++
		}
		if j-i >= 13 && j < n { // ≥ 250 ms, and audio follows (the next reply)
			return float64(i-barge) * 20, float64(j-i) * 20, true
		}
		i = j
	}
	return 0, 0, false
}

func normSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// nearestRank summarises v (all values, zeros included).
func nearestRank(v []float64) callbot.Percentiles {
	if len(v) == 0 {
		return callbot.Percentiles{}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	rank := func(p float64) float64 {
		k := int(float64(len(s))*p+0.999999999) - 1
		return s[max(0, min(k, len(s)-1))]
	}
	return callbot.Percentiles{P50: rank(0.5), P95: rank(0.95), Max: s[len(s)-1]}
}

// ---- C: engine overhead ----

type overheadResult struct {
	command string
	line    string             // the benchmark's result line
	metrics map[string]float64 // unit → value
}

// runOverhead runs BenchmarkTurnOverhead in a go test subprocess, in the
// module root.
func runOverhead(ctx context.Context, benchtime string) (*overheadResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	args := []string{"test", "-run", "^$", "-bench", "TurnOverhead", "-benchtime", benchtime, "./dialogue/"}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	r := &overheadResult{command: "go " + strings.Join(args, " "), metrics: map[string]float64{}}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || !strings.HasPrefix(f[0], "BenchmarkTurnOverhead") {
			continue
		}
		r.line = strings.Join(f, " ")
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				r.metrics[f[i+1]] = v
			}
		}
	}
	if r.line == "" {
		return nil, fmt.Errorf("no BenchmarkTurnOverhead line in:\n%s", out)
	}
	for _, k := range []string{"p50-overhead-ms", "p95-overhead-ms"} {
		if _, ok := r.metrics[k]; !ok {
			return nil, fmt.Errorf("no %s in %q", k, r.line)
		}
	}
	return r, nil
}

// ---- scenario R: real recordings ----

// realConfig makes the FSDD digit strings of scenario R: three per
// speaker, 3-6 digits with 100-400 ms gaps (as in vad-eval's corpus).
func realConfig() eval.RealConfig {
	return eval.RealConfig{Seed: 21, Speakers: eval.FSDDSpeakers, Strings: 3, DigitsMin: 3, DigitsMax: 6,
		GapMin: 100 * time.Millisecond, GapMax: 400 * time.Millisecond}
}

// realRepeats is how often each librivox sentence is spoken in R.
const realRepeats = 2

var digitWords = strings.Fields("zero one two three four five six seven eight nine")

// realClip is one recording spoken in R, at 16 kHz, as recorded.
type realClip struct {
	source, text string
	pcm          []int16
}

// realClips reads the librivox sentences and makes FSDD digit strings;
// each corpus whose folder is absent is left out with a note.
func realClips(fsddDir, librivoxDir string) ([]realClip, []string, error) {
	var out []realClip
	var notes []string
	add := func(s eval.Spoken, text string) {
		pcm := make([]int16, len(s.PCM))
		for i, v := range s.PCM {
			pcm[i] = int16(max(-32768, min(32767, math.Round(v))))
		}
		out = append(out, realClip{source: s.Source + ":" + s.Speaker, text: text, pcm: pcm})
	}
	sent, err := eval.Sentences(librivoxDir)
	switch {
	case errors.Is(err, eval.ErrNoRecordings):
		notes = append(notes, fmt.Sprintf("librivox sentences left out: %v", err))
	case err != nil:
		return nil, nil, err
	default:
		for range realRepeats {
			for _, s := range sent {
				add(s, s.Text)
			}
		}
	}
	digits, err := eval.DigitStrings(fsddDir, realConfig())
	switch {
	case errors.Is(err, eval.ErrNoRecordings):
		notes = append(notes, fmt.Sprintf("FSDD digit strings left out: %v", err))
	case err != nil:
		return nil, nil, err
	default:
		for _, s := range digits {
			var words []string
			for _, d := range strings.Fields(s.Text) {
				n, _ := strconv.Atoi(d)
				words = append(words, digitWords[n])
			}
			add(s, strings.Join(words, " "))
		}
	}
	return out, notes, nil
}

type realRow struct {
	clip    int    // index into resultR.clips, -1 if the turn matched none
	group   string // the call: librivox or fsdd
	user    string
	reply   string
	latency float64
	server  float64
}

type resultR struct {
	ok       bool
	errors   []string
	notes    []string
	clips    []realClip
	rows     []realRow
	missing  []int
	latency  callbot.Percentiles
	nLatency int
	bySource map[string]callbot.Percentiles // "librivox", "fsdd"
	nSource  map[string]int
	metrics  map[string][]events.TurnMetrics // per call
	took     time.Duration
}

// runR speaks the real recordings, one call per corpus (librivox, then
// FSDD), like A: each recording once the previous reply is over. The
// client latency is measured the same way.
func runR(ctx context.Context, base, fsddDir, librivoxDir string, verbose bool) (*resultR, error) {
	clips, notes, err := realClips(fsddDir, librivoxDir)
	if err != nil {
		return nil, err
	}
	r := &resultR{notes: notes, clips: clips, bySource: map[string]callbot.Percentiles{}, nSource: map[string]int{},
		metrics: map[string][]events.TurnMetrics{}}
	start := time.Now()
	lat := map[string][]float64{}
	var all []float64
	r.ok = true
	for _, group := range []string{"librivox", "fsdd"} {
		var idx []int
		for i, c := range clips {
			if strings.HasPrefix(c.source, group+":") {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			continue
		}
		turns := make([][]int16, len(idx))
		qs := make([]question, len(idx))
		for k, i := range idx {
			turns[k], qs[k] = clips[i].pcm, question{text: clips[i].text}
		}
		cctx, cancel := context.WithTimeout(ctx, time.Duration(len(idx))*30*time.Second)
		res, err := callbot.Run(cctx, callbot.Options{
			Server: base, Turns: turns, AudioRate: eval.Rate,
			TurnTimeout: 20 * time.Second, Tail: 5 * time.Second, Wait: len(turns), Log: zerolog.Nop(),
		})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s call: %w", group, err)
		}
		r.ok = r.ok && res.OK
		for _, e := range res.Errors {
			r.errors = append(r.errors, group+": "+e)
		}
		for _, ev := range res.Events {
			if ev.Type == events.TypeTurnMetrics && ev.Metrics != nil {
				r.metrics[group] = append(r.metrics[group], *ev.Metrics)
			}
		}
		match := align(qs, res.Turns)
		used := make([]bool, len(idx))
		for i, t := range res.Turns {
			row := realRow{clip: -1, group: group, user: t.User, reply: t.Reply, latency: t.LatencyMS, server: t.ServerLatencyMS}
			if j := match[i]; j >= 0 {
				used[j] = true
				row.clip = idx[j]
			}
			if t.LatencyMS > 0 {
				r.nLatency++
				lat[group] = append(lat[group], t.LatencyMS)
				all = append(all, t.LatencyMS)
			}
			r.rows = append(r.rows, row)
			if verbose {
				logf("R %2d %-9s %q → %q (%.0f ms, server %.0f ms)", len(r.rows), group, t.User, t.Reply, t.LatencyMS, t.ServerLatencyMS)
			}
		}
		for j, u := range used {
			if !u {
				r.missing = append(r.missing, idx[j])
			}
		}
	}
	r.latency = nearestRank(all)
	for src, v := range lat {
		r.bySource[src], r.nSource[src] = nearestRank(v), len(v)
	}
	r.took = time.Since(start)
	return r, nil
}

// fsddSplits is each FSDD turn's latency by the split of its speaker: the
// end-of-turn rules were chosen on eval.TrainFSDDSpeakers, so only the
// other speakers' turns are held out.
func (r *resultR) fsddSplits() (tuning, heldOut []float64) {
	for _, row := range r.rows {
		if row.clip < 0 || row.latency <= 0 || row.group != "fsdd" {
			continue
		}
		speaker := strings.TrimPrefix(r.clips[row.clip].source, "fsdd:")
		if slices.Contains(eval.TrainFSDDSpeakers, speaker) {
			tuning = append(tuning, row.latency)
		} else {
			heldOut = append(heldOut, row.latency)
		}
	}
	return tuning, heldOut
}
