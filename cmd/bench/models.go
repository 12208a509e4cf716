package main

// The model-servers section: the server binary with -stt/-llm/-tts openai
// against the in-repo OpenAI-compatible fakes (internal/fakeoai) given a
// hosted model's delays, with and without preemptive replies, under each
// end-of-turn mode; then the same with -stt openai-realtime, the turn
// streamed into a Realtime transcription session (internal/fakerealtime).
// It writes between <!-- models-bench:begin/end --> in BENCHMARKS.md.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/benchmd"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/fakeoai"
	"github.com/duplex-ai/duplex/internal/fakerealtime"
	"github.com/duplex-ai/duplex/tts/espeak"
	"github.com/duplex-ai/duplex/vad/eval"
)

var mdOpt struct {
	stt, stream, token, audio  time.Duration
	paused, turns              int
	modes, settings, preemptAt string
	voices, command            string
	transcript                 string
	digits, firstWords         int
}

func init() {
	flag.DurationVar(&mdOpt.stt, "models-stt-delay", 250*time.Millisecond, "models: the fake transcription's delay after the upload ends")
	flag.DurationVar(&mdOpt.stream, "models-stream-delay", 100*time.Millisecond, "models: the fake Realtime transcription's delay from the commit to .completed")
	flag.StringVar(&mdOpt.modes, "models-stt", "upload,stream", "models: which STT rows to run: upload (-stt openai), stream (-stt openai-realtime), comma-separated")
	flag.StringVar(&mdOpt.settings, "models-settings", "fixed/off,adaptive/off,adaptive/on", "models: which -endpointing/-preemptive settings to run, comma-separated; a setting may end in @F, its -preempt-at (adaptive/on@0.2; without: the server's auto); each runs an espeak and a real call per STT")
	flag.StringVar(&mdOpt.preemptAt, "models-preempt-at", "", "models: the server's -preempt-at (empty: its default)")
	flag.DurationVar(&mdOpt.token, "models-token-delay", 350*time.Millisecond, "models: the fake chat model's delay to its first token")
	flag.DurationVar(&mdOpt.audio, "models-audio-delay", 150*time.Millisecond, "models: the fake speech model's delay to its first audio")
	flag.IntVar(&mdOpt.turns, "models-turns", len(scenarioA), "models: how many of scenario A's questions each row speaks")
	flag.IntVar(&mdOpt.paused, "models-paused", 4, "models: of scenario A's 20 questions, how many are spoken with a 250 ms pause inside")
	flag.StringVar(&mdOpt.voices, "models-voices", "espeak,real", "models: which callers each setting runs: espeak (scenario A's questions) and real (recordings: librivox sentences, -models-real-command, FSDD digit strings), comma-separated")
	flag.StringVar(&mdOpt.command, "models-real-command", "/usr/share/pocketsphinx/test/data/goforward.raw", "models: a real spoken command (16 kHz mono 16-bit raw) in the real call (absent: left out)")
	flag.StringVar(&mdOpt.transcript, "models-transcript", "what time is it", "models: what the fake STTs hear in every turn and every speculation (its last word is the adaptive end of turn's hint once a commit's deltas are the stream's partial)")
	flag.IntVar(&mdOpt.firstWords, "models-first-words", 0, "models: the server's -tts-first-words (0: its default, whole first sentences)")
	flag.IntVar(&mdOpt.digits, "models-real-digits", 3, "models: FSDD digit strings per held-out speaker (nicolas, theo) in the real call")
}

// mdRealSpeakers are the FSDD speakers of the real call: turn-eval's
// held-out split (the adaptive end of turn was tuned on george/jackson).
var mdRealSpeakers = []string{"nicolas", "theo"}

const (
	mdHeading = "## Dialogue with model servers' delays: preemptive replies (`go run ./cmd/bench -only models`)"
	mdAnswer  = "It is ten past four. Anything else?"
	// mdPause is the pause inside a paused question: past 60 % of the
	// fixed 300 ms silence (a speculation starts), short of ending the turn.
	mdPause = 250 * time.Millisecond
)

type mdRun struct {
	sttMode                 string // upload or stream
	voices                  string // espeak or real
	endpointing, preemptive string
	preemptAt               string // the row's -preempt-at; empty: -models-preempt-at
	n                       int
	client, server          callbot.Percentiles
	endpoint, stt           callbot.Percentiles
	speculative, discarded  int
	extra                   int // turns beyond the questions (a pause that ended a turn)
	stats                   fakeoai.Stats
	commits                 int // stream: transcription commits
	errors                  []string
}

// runModels runs the models section.
func runModels(ctx context.Context, c config) error {
	bin, voice, clips, done, err := fakeModelSetup(c, "duplex-bench-models-")
	if err != nil {
		return err
	}
	defer done()
	callers := map[string]mdCaller{}
	var notes []string
	for _, v := range strings.Split(mdOpt.voices, ",") {
		switch v {
		case "espeak":
			turns, rate, err := modelTurns(ctx, clips)
			if err != nil {
				return err
			}
			callers[v] = mdCaller{turns, rate}
		case "real":
			cl, n, err := modelRealTurns(c.fsdd, c.librivox)
			if err != nil {
				return err
			}
			notes = append(notes, n...)
			if len(cl.turns) > 0 {
				callers[v] = cl
			}
		default:
			return fmt.Errorf("-models-voices %q: want espeak and/or real", mdOpt.voices)
		}
	}
	started, load0, commit := time.Now(), loadAvg(), gitCommit(ctx)
	var runs []mdRun
	for _, st := range strings.Split(mdOpt.modes, ",") {
		if st != "upload" && st != "stream" {
			return fmt.Errorf("-models-stt %q: want upload and/or stream", mdOpt.modes)
		}
		for _, set := range strings.Split(mdOpt.settings, ",") {
			set, at, _ := strings.Cut(set, "@")
			ep, pre, ok := strings.Cut(set, "/")
			if !ok || (ep != "fixed" && ep != "adaptive") || (pre != "off" && pre != "on") {
				return fmt.Errorf("-models-settings %q: want fixed|adaptive/off|on[@F]", set)
			}
			if f, err := strconv.ParseFloat(at, 64); at != "" && (err != nil || f <= 0 || f > 1) {
				return fmt.Errorf("-models-settings %s@%s: want a -preempt-at in (0, 1]", set, at)
			}
			if at == "" {
				at = mdOpt.preemptAt
			}
			for _, v := range []string{"espeak", "real"} {
				cl, ok := callers[v]
				if !ok {
					continue
				}
				logf("models: %s, %s, -endpointing %s -preemptive %s -preempt-at %q, %d turns…", st, v, ep, pre, at, len(cl.turns))
				r, err := runModelsMode(ctx, bin, voice, st, v, ep, pre, at, cl.turns, cl.rate, c.verbose)
				if err != nil {
					return fmt.Errorf("models %s/%s/%s/%s: %w", st, v, ep, pre, err)
				}
				runs = append(runs, *r)
			}
		}
	}
	nA, nReal := len(callers["espeak"].turns), len(callers["real"].turns)
	md := modelsMarkdown(runs, started, load0, commit, nA, nReal, notes)
	fmt.Print(md)
	if c.out == "" {
		return nil
	}
	return benchmd.WriteSection(c.out, "models-bench", mdHeading, md)
}

// modelTurns speaks scenario A's questions; the first mdOpt.paused of
// those with three words or more are split after their second word by
// mdPause of silence.
func modelTurns(ctx context.Context, clips *clipCache) ([][]int16, int, error) {
	var turns [][]int16
	rate, paused := 0, 0
	for i, q := range scenarioA[:max(1, min(mdOpt.turns, len(scenarioA)))] {
		words := strings.Fields(q.text)
		var pcm []int16
		if paused < mdOpt.paused && len(words) >= 3 && i%2 == 0 {
			a, err := clips.get(ctx, voiceA(i), strings.Join(words[:2], " "))
			if err != nil {
				return nil, 0, err
			}
			b, err := clips.get(ctx, voiceA(i), strings.Join(words[2:], " "))
			if err != nil {
				return nil, 0, err
			}
			gap := make([]int16, int(mdPause)*a.rate/int(time.Second))
			pcm = append(append(append(pcm, trimSilence(a.pcm)...), gap...), trimLead(b.pcm)...)
			rate = a.rate
			paused++
		} else {
			cl, err := clips.get(ctx, voiceA(i), q.text)
			if err != nil {
				return nil, 0, err
			}
			pcm, rate = cl.pcm, cl.rate
		}
		turns = append(turns, pcm)
	}
	return turns, rate, nil
}

// mdCaller is one call's turns, mono at rate.
type mdCaller struct {
	turns [][]int16
	rate  int
}

// modelRealTurns reads the real call's recordings at eval.Rate, as
// recorded: every librivox sentence, the spoken command and
// mdOpt.digits FSDD digit strings (100–400 ms gaps) per held-out
// speaker. A corpus whose files are absent is left out with a note.
func modelRealTurns(fsddDir, librivoxDir string) (mdCaller, []string, error) {
	cl := mdCaller{rate: eval.Rate}
	var notes []string
	sent, err := eval.Sentences(librivoxDir)
	switch {
	case errors.Is(err, eval.ErrNoRecordings):
		notes = append(notes, fmt.Sprintf("librivox sentences left out: %v", err))
	case err != nil:
		return cl, nil, err
	}
	for _, s := range sent {
		cl.turns = append(cl.turns, toInt16(s.PCM))
	}
	switch pcm, err := readRaw16(mdOpt.command); {
	case errors.Is(err, fs.ErrNotExist):
		notes = append(notes, fmt.Sprintf("the spoken command left out: %v", err))
	case err != nil:
		return cl, nil, err
	default:
		cl.turns = append(cl.turns, pcm)
	}
	if mdOpt.digits > 0 {
		cfg := realConfig()
		cfg.Speakers, cfg.Strings = mdRealSpeakers, mdOpt.digits
		digits, err := eval.DigitStrings(fsddDir, cfg)
		switch {
		case errors.Is(err, eval.ErrNoRecordings):
			notes = append(notes, fmt.Sprintf("FSDD digit strings left out: %v", err))
		case err != nil:
			return cl, nil, err
		}
		for _, s := range digits {
			cl.turns = append(cl.turns, toInt16(s.PCM))
		}
	}
	return cl, notes, nil
}

// trimSilence and trimLead drop the near-silence espeak-ng ends and
// starts a clip with, so the pause between two is the one intended.
func trimSilence(pcm []int16) []int16 {
	end := len(pcm)
	for end > 0 && quiet(pcm[end-1]) {
		end--
	}
	return pcm[:end]
}

func trimLead(pcm []int16) []int16 {
	i := 0
	for i < len(pcm) && quiet(pcm[i]) {
		i++
	}
	return pcm[i:]
}

func quiet(v int16) bool { return v > -200 && v < 200 }

func runModelsMode(ctx context.Context, bin string, voice *espeak.Engine, sttMode, voices, endpointing, preemptive, preemptAt string, turns [][]int16, rate int, verbose bool) (*mdRun, error) {
	fake := fakeoai.Start(fakeoai.Options{
		TTS:             voice,
		TranscribeDelay: mdOpt.stt, FirstTokenDelay: mdOpt.token, FirstAudioDelay: mdOpt.audio,
		Transcribe: func([]int16, int) string { return mdOpt.transcript },
		Reply:      func(string) string { return mdAnswer },
	})
	defer fake.Close()
	sttArgs := []string{"-stt", "openai", "-stt-url", fake.URL()}
	var rt *fakerealtime.Server
	if sttMode == "stream" {
		rt = fakerealtime.Start(fakerealtime.Options{TTS: voice, TranscribeDelay: mdOpt.stream,
			Transcribe: func(int, []int16) string { return mdOpt.transcript }})
		defer rt.Close()
		sttArgs = []string{"-stt", "openai-realtime", "-stt-url", rt.URL()}
	}
	if preemptAt != "" {
		sttArgs = append(sttArgs, "-preempt-at", preemptAt)
	}
	if mdOpt.firstWords > 0 {
		sttArgs = append(sttArgs, "-tts-first-words", strconv.Itoa(mdOpt.firstWords))
	}
	srv, err := startServerArgs(ctx, bin, append(sttArgs,
		"-llm", "openai", "-llm-url", fake.URL(), "-llm-model", "fake",
		"-tts", "openai", "-tts-url", fake.URL(),
		"-endpointing", endpointing, "-preemptive", preemptive)...)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	cctx, cancel := context.WithTimeout(ctx, time.Duration(len(turns))*20*time.Second)
	res, err := callbot.Run(cctx, callbot.Options{Server: srv.base, Turns: turns, AudioRate: rate,
		TurnTimeout: 15 * time.Second, Tail: 5 * time.Second, Wait: len(turns), Log: zerolog.Nop()})
	cancel()
	if err != nil {
		return nil, err
	}
	r := &mdRun{sttMode: sttMode, voices: voices, endpointing: endpointing, preemptive: preemptive, preemptAt: preemptAt, errors: res.Errors}
	var client, server, endpoint, sttMS []float64
	for _, t := range res.Turns {
		if t.LatencyMS > 0 {
			client = append(client, t.LatencyMS)
		}
	}
	for _, ev := range res.Events {
		if ev.Type != events.TypeTurnMetrics || ev.Metrics == nil {
			continue
		}
		m := ev.Metrics
		server = append(server, m.LatencyMS)
		endpoint = append(endpoint, m.EndpointMS)
		sttMS = append(sttMS, m.STTMS)
		if m.Speculative {
			r.speculative++
		}
		r.discarded += m.DiscardedSpeculations
		if verbose {
			// The rest: first token to the first TTS request (the chunker's
			// wait) plus the first TTS audio to the first frame sent.
			logf("models %s/%s/%s/%s turn %d: latency %.0f = endpoint %.0f + stt %.0f + llm %.0f + tts %.0f + rest %.0f ms (speculative %v)",
				sttMode, voices, endpointing, preemptive, ev.TurnID, m.LatencyMS, m.EndpointMS, m.STTMS, m.LLMFirstTokenMS, m.TTSFirstAudioMS,
				m.LatencyMS-m.EndpointMS-m.STTMS-m.LLMFirstTokenMS-m.TTSFirstAudioMS, m.Speculative)
		}
	}
	r.n = len(client)
	r.extra = len(res.Turns) - len(turns)
	r.client, r.server, r.endpoint, r.stt = nearestRank(client), nearestRank(server), nearestRank(endpoint), nearestRank(sttMS)
	r.stats = fake.Stats()
	if rt != nil {
		r.commits = rt.Commits()
	}
	if verbose {
		for i, t := range res.Turns {
			logf("models %s/%s/%s/%s %2d %q → %q client %.0f ms server %.0f ms", sttMode, voices, endpointing, preemptive, i+1, t.User, t.Reply, t.LatencyMS, t.ServerLatencyMS)
		}
		logf("models %s/%s/%s/%s: fake %+v, commits %d", sttMode, voices, endpointing, preemptive, r.stats, r.commits)
	}
	return r, nil
}

func modelsMarkdown(runs []mdRun, started time.Time, load0, commit string, nTurns, nReal int, notes []string) string {
	var b strings.Builder
	floor := float64(mdOpt.token+mdOpt.audio) / float64(time.Millisecond)
	fmt.Fprintf(&b, "\nRun %s at commit `%s` on %s (%d cores), load %s → %s, took %v. Servers: internal/fakeoai behind `-llm openai -tts openai`: first token %v after the request (then a word every 15 ms), first audio %v after the request (espeak-ng voice, 24 kHz pcm). STT upload: `-stt openai` against internal/fakeoai, transcription %v after the upload ends. STT stream: `-stt openai-realtime` against internal/fakerealtime's transcription session, the audio appended as it is spoken, `.completed` %v after the commit. Caller: callbot, scenario A's %d questions (espeak-ng, five voices), %d of them with a %v pause after their second word (*espeak* rows); *real* rows: %d real recordings at 16 kHz, played as recorded, in one call: pocketsphinx-testdata's librivox sentences (one reader, 3–7 s each, with their inner pauses), its `goforward.raw` (\"go forward ten meters\") and %d FSDD digit strings per speaker of turn-eval's held-out split (%s; 3–6 digits, 100–400 ms gaps); the fakes hear every turn as %q. One call per row.\n\n",
		started.UTC().Format("2006-01-02 15:04"), commit, benchmd.CPUModel(), runtime.NumCPU(), load0, loadAvg(), time.Since(started).Round(time.Second),
		mdOpt.token, mdOpt.audio, mdOpt.stt, mdOpt.stream, nTurns, mdOpt.paused, mdPause, nReal, mdOpt.digits, strings.Join(mdRealSpeakers, ", "), mdOpt.transcript)
	for _, n := range notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	if len(notes) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Client latency: callbot's, last speech frame sent → first reply audio received. Floor = first token + first audio (%.0f ms) + the end-of-turn decision (`endpoint_ms` p50 of the row); goal p50 ≤ 700 ms. STT: `stt_ms` p50, the end of the turn to its transcript (0 when a speculation had it before the commit). Speculative: turns whose recognition (and reply, when the transcript came back in time) began before the turn committed; discarded: speculations dropped because the user went on; transcriptions and chats: uploads or commits and chat requests the fakes served (the cost of speculation); extra turns: turns the server heard beyond the questions (a pause inside a question that ended the turn, or a scrap of audio too short to upload).\n\n", floor)
	b.WriteString("| STT | voices | -endpointing | -preemptive | turns | client p50 / p95 (ms) | server p50 / p95 (ms) | endpoint p50 (ms) | STT p50 (ms) | floor (ms) | p50 above floor (ms) | speculative | discarded | transcriptions / chats | extra turns | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		fl := floor + r.endpoint.P50
		tr := r.stats.Transcriptions
		if r.sttMode == "stream" {
			tr = r.commits
		}
		pre := r.preemptive
		if r.preemptAt != "" && pre == "on" {
			pre += ", `-preempt-at " + r.preemptAt + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %.0f / %.0f %s | %.0f / %.0f | %.0f | %.0f | %.0f | %+.0f | %d | %d | %d / %d | %d | %d |\n",
			r.sttMode, r.voices, r.endpointing, pre, r.n, r.client.P50, r.client.P95, verdict(r.client.P50, 700, r.n > 0),
			r.server.P50, r.server.P95, r.endpoint.P50, r.stt.P50, fl, r.client.P50-fl, r.speculative, r.discarded,
			tr, r.stats.Chats, r.extra, len(r.errors))
	}
	for _, r := range runs {
		for _, e := range first(r.errors, 3) {
			fmt.Fprintf(&b, "\n- %s/%s/%s/%s: %s", r.sttMode, r.voices, r.endpointing, r.preemptive, mdCell(e, 200))
		}
	}
	b.WriteString("\n")
	return b.String()
}
