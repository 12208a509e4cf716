package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/vad/eval"
)

// Targets from the issue.
const (
	targetTurnP50     = 400.0
	targetTurnP95     = 560.0
	targetBargeP95    = 200.0
	targetOverheadP95 = 15.0
	// targetRealExtraP95: real speech's p95 turn latency at most this much
	// above the synthetic voices' (issue 21).
	targetRealExtraP95 = 100.0
)

type report struct {
	started                           time.Time
	took                              time.Duration
	cpu, goVersion, commit, serverBin string
	cores                             int
	load0, loadC, loadA, loadR, loadB string
	load1                             string
	overhead                          *overheadResult
	a                                 *resultA
	r                                 *resultR
	b                                 *resultB
	serverWarnings                    []string
}

// verdict says whether v meets an upper bound (verdictGE: a lower bound).
func verdict(v, target float64, have bool) string {
	switch {
	case !have:
		return "no data"
	case v <= target:
		return "met"
	default:
		return "**missed**"
	}
}

func (r *report) markdown() string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	a, b, o := r.a, r.b, r.overhead

	p("## Dialogue: turn latency, barge-in, engine overhead (`make bench`)\n\n")
	p("Measured %s by `go run ./cmd/bench -server-bin %s` (took %s) at commit `%s`, against the server binary started as a child process with its defaults (offline engines: pocketsphinx → local skills → espeak-ng; full duplex; adaptive end of turn from both live partials, 120 ms–1.2 s; min interruption 120 ms) on a loopback port, callbot as the caller (real-time Opus over WebRTC on loopback).\n\n",
		r.started.UTC().Format("2006-01-02 15:04 UTC"), r.serverBin, r.took.Round(time.Second), r.commit)
	p("Machine: %s, %d logical cores, %s, shared with other jobs: load average (1 / 5 / 15 min) %s at the start, %s before C, %s before A, %s before R, %s before B, %s at the end. Figures on this VM move by tens of percent between runs.\n\n",
		r.cpu, r.cores, r.goVersion, r.load0, r.loadC, r.loadA, r.loadR, r.loadB, r.load1)

	p("| figure | target | measured | |\n|---|---:|---:|---|\n")
	p("| turn latency p50 (A, client) | ≤ %.0f ms | %.0f ms | %s |\n", targetTurnP50, a.latency.P50, verdict(a.latency.P50, targetTurnP50, a.nLatency > 0))
	p("| turn latency p95 (A, client) | ≤ %.0f ms | %.0f ms | %s |\n", targetTurnP95, a.latency.P95, verdict(a.latency.P95, targetTurnP95, a.nLatency > 0))
	if rr := r.r; rr != nil && rr.nLatency > 0 {
		p("| turn latency p50 / p95 (R, real recordings, client) | — | %.0f / %.0f ms | |\n", rr.latency.P50, rr.latency.P95)
		p("| real p95 − synthetic p95 (R − A) | ≤ %.0f ms | %+.0f ms | %s |\n", targetRealExtraP95, rr.latency.P95-a.latency.P95,
			verdict(rr.latency.P95-a.latency.P95, targetRealExtraP95, a.nLatency > 0))
		for _, src := range []string{"librivox", "fsdd"} {
			if q, ok := rr.bySource[src]; ok {
				p("| … R's %s call alone: p50 / p95, p95 − A's | ≤ %.0f ms | %.0f / %.0f ms, %+.0f ms | %s |\n", src, targetRealExtraP95,
					q.P50, q.P95, q.P95-a.latency.P95, verdict(q.P95-a.latency.P95, targetRealExtraP95, a.nLatency > 0))
			}
		}
	}
	p("| barge-in stop p95 (B, client, callbot `barge_in_stop_ms`) | ≤ %.0f ms | %.0f ms | %s |\n", targetBargeP95, b.stop.P95, verdict(b.stop.P95, targetBargeP95, b.nStop > 0))
	p("| barge-in stop p95 (B, audio-timeline cross-check) | ≤ %.0f ms | %.0f ms | %s |\n", targetBargeP95, b.tlStop.P95, verdict(b.tlStop.P95, targetBargeP95, b.nTL > 0))
	p("| engine overhead p95 (C) | ≤ %.0f ms | %.1f ms | %s |\n\n", targetOverheadP95, o.metrics["p95-overhead-ms"], verdict(o.metrics["p95-overhead-ms"], targetOverheadP95, true))

	// ---- A ----
	p("### A. One call, %d spoken questions, offline engines\n\n", len(scenarioA))
	p("Method: one call (callbot.Run with Options.Turns) of %d utterances rendered by `espeak-ng -v VOICE -w` (voices %s; each question asked twice, by two voices), each spoken once the reply to the previous one is over (reply.done, 400 ms without reply audio, 600 ms gap). ",
		len(scenarioA), "`"+strings.Join(voices, "`, `")+"`")
	p("Client latency = callbot's `latency_ms`: last speech frame sent (> -40 dBFS) → first non-silent reply frame received, so it includes the VAD's end-of-turn silence; nearest-rank percentiles over the %d turns that have one. ", a.nLatency)
	p("Server breakdown = mean of each field of the %d `turn.metrics` events (docs/protocol.md): `endpoint_ms` end of speech → VAD decision (media time), `stt_ms` decision → final transcript, `llm_first_token_ms` transcript → first token, `tts_first_audio_ms` TTS call → first audio, `latency_ms` end of speech → first reply frame written. ", len(a.metrics))
	p("Right skill = keyword check of the reply (the hour and minute of the call's time span, today's \"Monday, January 2,\", \" is 84.\" etc., \"Hello…\", the help text); turns are matched to questions in order (aligned by transcript words if a turn is missing or split). Call OK: %v, took %s.\n\n", a.ok, a.took.Round(time.Second))
	p("| client latency p50 | p95 | max | right skill | turns |\n|---:|---:|---:|---:|---:|\n")
	p("| %.0f ms | %.0f ms | %.0f ms | %d / %d | %d |\n\n", a.latency.P50, a.latency.P95, a.latency.Max, a.right, len(scenarioA), len(a.rows))
	if len(a.metrics) > 0 {
		mean := func(f func(m events.TurnMetrics) float64) float64 {
			s := 0.0
			for _, m := range a.metrics {
				s += f(m)
			}
			return s / float64(len(a.metrics))
		}
		var lat []float64
		for _, m := range a.metrics {
			lat = append(lat, m.LatencyMS)
		}
		lp := nearestRank(lat)
		ep, sp := mean(func(m events.TurnMetrics) float64 { return m.EndpointMS }), mean(func(m events.TurnMetrics) float64 { return m.STTMS })
		lf, tf := mean(func(m events.TurnMetrics) float64 { return m.LLMFirstTokenMS }), mean(func(m events.TurnMetrics) float64 { return m.TTSFirstAudioMS })
		lm := mean(func(m events.TurnMetrics) float64 { return m.LatencyMS })
		p("| server (mean ms) | endpoint | stt | llm first token | tts first audio | rest | latency_ms (p50 / p95) |\n|---|---:|---:|---:|---:|---:|---:|\n")
		p("| %d turns | %.0f | %.0f | %.1f | %.1f | %.0f | %.0f (%.0f / %.0f) |\n\n", len(a.metrics), ep, sp, lf, tf, lm-ep-sp-lf-tf, lm, lp.P50, lp.P95)
		p("\"rest\" = latency_ms minus the four stages: the hand-offs inside the engine, the wait for the writer's 20 ms tick and the Opus encoding of the first frame.\n\n")
	}
	p("| # | voice | asked | transcript | reply | right | client ms | server ms |\n|---:|---|---|---|---|---|---:|---:|\n")
	for i, row := range a.rows {
		asked := row.q.text
		if asked == "" {
			asked = "(no question matched)"
		}
		p("| %d | %s | %s | %s | %s | %s | %.0f | %.0f |\n", i+1, row.voice, asked, mdCell(row.user, 60), mdCell(row.reply, 60), yesNo(row.right), row.latency, row.server)
	}
	for _, j := range a.missing {
		p("| — | %s | %s | (no turn) | | no | | |\n", voiceA(j), scenarioA[j].text)
	}
	if len(a.errors) > 0 {
		p("\ncallbot errors: %s\n", mdCell(strings.Join(a.errors, "; "), 400))
	}
	p("\n")

	p("%s", r.markdownR())

	// ---- B ----
	p("### B. Barge-in: %d interruptions of \"%s\"\n\n", len(b.trials), storyText)
	p("Method: %d calls; each speaks \"%s\" (voices rotating), then talks over the story %s–%s after its first non-silent reply frame arrived (uniform, seeded: `-seed`), alternately \"stop\" and \"what time is it\" (another voice), then 4 s of silence (the call ends earlier once both replies are over). ",
		len(b.trials), storyText, minOffset, maxOffset)
	p("Stop = callbot's `barge_in_stop_ms`: first speech frame of the barge-in sent → last non-silent frame of the interrupted reply received (how long the assistant talked over the caller; 0 if it was quiet already, e.g. between sentences); nearest-rank percentiles over the %d trials that have it, zeros included (%d zeros). ", b.nStop, b.zeroStop)
	p("History truncation = the `reply.interrupted` event's `heard` is non-empty and a prefix of its `text` (the story generated so far), whitespace runs collapsed; the strict count compares bytes. words/s = heard words ÷ (offset + stop): espeak-ng at its default 175 wpm gives about 2.5–3, far off means `heard` does not match what was played. Took %s.\n\n", b.took.Round(time.Second))
	p("Cross-check from the audio timelines callbot recorded (`Result.Sent`, `Result.Received`, 48 kHz on one clock, received audio placed by RTP timestamp): barge-in start = first frame > -40 dBFS of the last sent speech segment; the reply stopped where the first ≥ 250 ms of received silence (≤ -45 dBFS per 20 ms) after it begins, if more audio (the next reply) follows; %d of %d trials gave a value.\n\n", b.nTL, len(b.trials))
	p("| | p50 | p95 | max |\n|---|---:|---:|---:|\n")
	p("| stop, callbot `barge_in_stop_ms` | %.0f ms | %.0f ms | %.0f ms |\n", b.stop.P50, b.stop.P95, b.stop.Max)
	p("| stop, audio timeline | %.0f ms | %.0f ms | %.0f ms |\n\n", b.tlStop.P50, b.tlStop.P95, b.tlStop.Max)
	p("| interrupted | heard is a prefix (strict) |\n|---:|---:|\n")
	p("| %d / %d | %d / %d (%d) |\n\n", b.interrupted, len(b.trials), b.prefix, len(b.trials), b.strict)
	p("<details><summary>the %d trials</summary>\n\n", len(b.trials))
	p("| # | story voice | barge-in | offset | interrupted | stop ms | timeline stop / gap ms | heard words | words/s | prefix | next turn | call OK |\n|---:|---|---|---:|---|---:|---:|---:|---:|---|---|---|\n")
	for i, t := range b.trials {
		stop, rate := "—", "—"
		words := len(strings.Fields(t.heard))
		if t.stopMS != nil {
			stop = fmt.Sprintf("%.0f", *t.stopMS)
			if played := t.offset.Seconds() + *t.stopMS/1000; t.interrupted && played > 0 {
				rate = fmt.Sprintf("%.1f", float64(words)/played)
			}
		}
		ok := yesNo(t.ok)
		if !t.ok && len(t.errors) > 0 {
			ok += ": " + mdCell(strings.Join(t.errors, "; "), 120)
		}
		tl := "—"
		if t.tlOK {
			tl = fmt.Sprintf("%.0f / %.0f", t.tlStop, t.tlGap)
		}
		p("| %d | %s | \"%s\" (%s) | %s | %s | %s | %s | %d | %s | %s | %s | %s |\n",
			i+1, t.storyVoice, t.phrase, t.bargeVoice, t.offset, yesNo(t.interrupted), stop, tl, words, rate, yesNo(t.prefix), mdCell(t.after, 70), ok)
	}
	p("\n</details>\n\n")

	// ---- C ----
	p("### C. Engine overhead (fake engines, `BenchmarkTurnOverhead`)\n\n")
	p("Method: `%s` (package dialogue, test-only). The Assistant runs with fake engines of fixed delay (STT `Finish` 100 ms, LLM first token 150 ms after `Stream`, TTS first chunk 80 ms after `Synthesize`), a fake detector (speech = non-zero frames; 200 ms of silence ends the turn), `clock.Real()` and a real-clock `media.PacedWriter` over a recording SampleWriter; one engine for all turns, one warm-up turn not counted, each turn started at a seeded random point of the 20 ms tick cycle, caller frames every 20 ms during the reply. ", o.command)
	p("Overhead = (first reply frame written to the SampleWriter − the turn-ending frame handed to the engine) − the time measured inside the three engine calls − the tick phase (TTS first chunk → the writer tick that wrote it, 0–20 ms; ticks recorded by a forwarding ticker). Raw = first frame − hand-off − the nominal 330 ms (phase and timer overshoot included).\n\n")
	p("| overhead p50 | p95 | max | tick phase p50 / p95 | raw p50 / p95 |\n|---:|---:|---:|---:|---:|\n")
	m := o.metrics
	p("| %.2f ms | %.2f ms | %.2f ms | %.1f / %.1f ms | %.1f / %.1f ms |\n\n", m["p50-overhead-ms"], m["p95-overhead-ms"], m["max-overhead-ms"], m["p50-phase-ms"], m["p95-phase-ms"], m["p50-raw-ms"], m["p95-raw-ms"])
	p("```\n%s\n```\n\n", o.line)

	if n := len(r.serverWarnings); n > 0 {
		p("The server logged %d line(s) at warn level or above during A and B; the first:\n\n```\n%s\n```\n\n", n, strings.Join(first(r.serverWarnings, 5), "\n"))
	} else {
		p("The server logged nothing at warn level or above during A and B.\n\n")
	}
	return w.String()
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// mdCell makes s safe for a table cell and cuts it to n runes.
func mdCell(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}

// stageRows renders p50 / p95 of each turn.metrics field of ms as a table
// row named name.
func stageRows(name string, ms []events.TurnMetrics) string {
	col := func(f func(m events.TurnMetrics) float64) string {
		var v []float64
		for _, m := range ms {
			v = append(v, f(m))
		}
		q := nearestRank(v)
		return fmt.Sprintf("%.0f / %.0f", q.P50, q.P95)
	}
	return fmt.Sprintf("| %s | %d | %s | %s | %s | %s | %s | %s |\n", name, len(ms),
		col(func(m events.TurnMetrics) float64 { return m.SpeechDurationMS }),
		col(func(m events.TurnMetrics) float64 { return m.EndpointMS }),
		col(func(m events.TurnMetrics) float64 { return m.STTMS }),
		col(func(m events.TurnMetrics) float64 { return m.LLMFirstTokenMS }),
		col(func(m events.TurnMetrics) float64 { return m.TTSFirstAudioMS }),
		col(func(m events.TurnMetrics) float64 { return m.LatencyMS }))
}

// markdownR renders scenario R beside A.
func (r *report) markdownR() string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	rr, a := r.r, r.a
	if rr == nil {
		return ""
	}
	p("### R. Real recordings: turn latency beside A's synthetic voices\n\n")
	if len(rr.clips) == 0 {
		p("No real recordings found (%s).\n\n", strings.Join(rr.notes, "; "))
		return w.String()
	}
	var nLib, nFSDD int
	for _, c := range rr.clips {
		if strings.HasPrefix(c.source, "fsdd") {
			nFSDD++
		} else {
			nLib++
		}
	}
	cfg := realConfig()
	p("Method: two calls as in A (same server, right after it; librivox, then FSDD), of %d real recordings at 16 kHz, played as recorded (their own level and room tone): "+
		"the %d librivox sentences of pocketsphinx-testdata (one reader), each spoken %d times (%d turns), and %d FSDD digit strings "+
		"(%d per speaker of %s, %d–%d digits, %v–%v of silence between digits, 8 kHz resampled to 16 kHz; none of them asks for a skill). ",
		len(rr.clips), nLib/realRepeats, realRepeats, nLib, nFSDD, cfg.Strings, strings.Join(cfg.Speakers, ", "), cfg.DigitsMin, cfg.DigitsMax, cfg.GapMin, cfg.GapMax)
	p("Client latency as in A (last speech frame sent → first non-silent reply frame), where a speech frame is > -40 dBFS or, for a recording whose loudest frame is under -20 dBFS, within 20 dB of it but 10 dB over its quietest tenth of frames (FSDD's theo peaks near -40 dBFS); a turn the server cut in a pause, whose reply began after the caller went on, has none. Turns are matched to recordings by transcript words; a recording the VAD split gives more turns than recordings (per call: turns / recordings below). Calls OK: %v, took %s. %s\n\n",
		rr.ok, rr.took.Round(time.Second), strings.Join(rr.notes, "; "))
	p("| speech | turns with a latency | client p50 | p95 | max |\n|---|---:|---:|---:|---:|\n")
	p("| A: espeak-ng voices | %d | %.0f ms | %.0f ms | %.0f ms |\n", a.nLatency, a.latency.P50, a.latency.P95, a.latency.Max)
	p("| R: all real recordings | %d | %.0f ms | %.0f ms | %.0f ms |\n", rr.nLatency, rr.latency.P50, rr.latency.P95, rr.latency.Max)
	turns := map[string]int{}
	for _, row := range rr.rows {
		turns[row.group]++
	}
	for _, src := range []string{"librivox", "fsdd"} {
		if n := rr.nSource[src]; n > 0 {
			q := rr.bySource[src]
			rec := nLib
			if src == "fsdd" {
				rec = nFSDD
			}
			p("| R: %s call (%d turns / %d recordings) | %d | %.0f ms | %.0f ms | %.0f ms |\n", src, turns[src], rec, n, q.P50, q.P95, q.Max)
		}
	}
	tuning, heldOut := rr.fsddSplits()
	for _, sp := range []struct {
		name string
		v    []float64
	}{{"tuning speakers (" + strings.Join(eval.TrainFSDDSpeakers, ", ") + ")", tuning}, {"held-out speakers", heldOut}} {
		if len(sp.v) > 0 {
			q := nearestRank(sp.v)
			p("| … fsdd, %s | %d | %.0f ms | %.0f ms | %.0f ms |\n", sp.name, len(sp.v), q.P50, q.P95, q.Max)
		}
	}
	p("\nServer breakdown (`turn.metrics`, p50 / p95 ms; `speech` = speech_duration_ms, the utterance the VAD cut):\n\n")
	p("| call | turns | speech | endpoint | stt | llm first token | tts first audio | latency_ms |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	p("%s", stageRows("A: espeak-ng", a.metrics))
	for _, g := range []string{"librivox", "fsdd"} {
		if ms := rr.metrics[g]; len(ms) > 0 {
			p("%s", stageRows("R: "+g+" call", ms))
		}
	}
	p("\n")
	p("<details><summary>the %d turns of R</summary>\n\n", len(rr.rows))
	p("| # | recording | said | transcript | reply | client ms | server ms |\n|---:|---|---|---|---|---:|---:|\n")
	for i, row := range rr.rows {
		src, said := row.group+" call", "(no recording matched)"
		if row.clip >= 0 {
			src, said = rr.clips[row.clip].source, rr.clips[row.clip].text
		}
		p("| %d | %s | %s | %s | %s | %.0f | %.0f |\n", i+1, mdCell(src, 50), mdCell(said, 50), mdCell(row.user, 50), mdCell(row.reply, 60), row.latency, row.server)
	}
	for _, j := range rr.missing {
		p("| — | %s | %s | (no turn) | | | |\n", mdCell(rr.clips[j].source, 50), mdCell(rr.clips[j].text, 50))
	}
	if len(rr.errors) > 0 {
		p("\ncallbot errors: %s\n", mdCell(strings.Join(rr.errors, "; "), 400))
	}
	p("\n</details>\n\n")
	return w.String()
}
