package main

// The capacity scenario's section of BENCHMARKS.md.

import (
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/internal/benchmd"
)

type capReport struct {
	started, ended time.Time
	load0, load1   string
	busyBefore     float64
	ours, peer     *target
	peerErr        error
	micro          []microRow
	microErr       error
	microCmd       string
	pprofTop       string
	serverArgs     []string
	peerArgs       []string
	warnings       []string
	// camera is the clip every caller of ours sent (-capacity-camera): the
	// report is then the camera run's (cameraMarkdown), with no peer.
	camera string
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func (r *capReport) markdown(c config, commit string) string {
	if r.camera != "" {
		return r.cameraMarkdown(c, commit)
	}
	var w mdWriter
	r.writeIntro(&w, c, commit)
	f := r.figures()
	r.writeFigures(&w, f)
	r.writeMissed(&w, f)
	for _, t := range []*target{r.ours, r.peer} {
		if t != nil {
			writeSteps(&w, t, "###")
		}
	}
	r.writeNotes(&w)
	r.writeMicro(&w, "###")
	w.p("\n")
	return w.String()
}

// cameraMarkdown is the report of a run with cameras on: a subsection of
// BENCHMARKS.md's hand-written "Capacity with cameras on", our server only,
// judged by its own criterion (every step holds, gaps ≤ 1 %) instead of
// the audio-only targets and the aiortc comparison.
func (r *capReport) cameraMarkdown(c config, commit string) string {
	var w mdWriter
	w.p("### Capacity with cameras on: run (`-only capacity -capacity-camera`)\n\n")
	r.writeMeasured(&w, c, commit)
	r.writeMethod(&w, false)
	f := r.figures()
	ours := r.ours
	w.p("**Criterion of this run:** with every camera decoded, the steps hold with gaps ≤ %.0f %% of reply frames (and the other rules of a step above); the audio-only section's targets (calls held, the ratio to aiortc, RSS per idle call) do not apply, and no aiortc peer runs.\n\n", 100*holdMaxGap)
	w.p("| figure | Duplex (canned), cameras on |\n|---|---:|\n")
	w.p("| largest N that holds | %s%s |\n", nCalls(f.ob), capNote(ours))
	w.p("| gaps > 60 ms, at that N | %s |\n", gapCell(f.ob))
	w.p("| server CPU per active call, at that N | %s |\n", cpuCell(f.ob))
	w.p("| server RSS per active call, at that N | %s |\n", rssCell(ours, f.ob))
	oiText, _, _ := idleRSS(ours, f.oi)
	w.p("| server RSS per idle call | %s |\n", oiText)
	w.p("| server CPU per idle call | %s |\n\n", idleCPU(f.oi))
	if failed := cameraFailed(ours); failed != nil {
		w.p("**Criterion missed:** the %d-call step did not hold (%s); see the steps and the CPU profile below.\n\n", failed.calls, failedWhy(failed))
	} else if f.ob == nil {
		w.p("**Criterion missed:** no step ran to the end; see the steps below.\n\n")
	} else {
		w.p("**Criterion met:** every step run held, up to %d calls with cameras on.\n\n", f.ob.calls)
	}
	if ours != nil {
		writeSteps(&w, ours, "####")
	}
	r.writeNotes(&w)
	if r.micro != nil || r.microErr == nil {
		r.writeMicro(&w, "####")
	}
	w.p("\n")
	return w.String()
}

// cameraFailed is the first step of t that ran and did not hold, nil if
// none.
func cameraFailed(t *target) *capStep {
	if t == nil {
		return nil
	}
	for _, s := range t.results {
		if s.skipped == "" && !s.holds {
			return s
		}
	}
	return nil
}

func failedWhy(s *capStep) string {
	if s.err != nil {
		return "error: " + mdCell(s.err.Error(), 120)
	}
	return s.why
}

func gapCell(s *capStep) string {
	if s == nil || s.res == nil {
		return "—"
	}
	return fmt.Sprintf("%d of %d reply frames (%.2f %%)", s.res.Audio.Gaps, s.res.Audio.Frames, 100*s.res.Audio.GapFraction)
}

// mdWriter accumulates the report.
type mdWriter struct{ strings.Builder }

func (w *mdWriter) p(format string, args ...any) { fmt.Fprintf(w, format, args...) }

// writeIntro writes the title, when and where it was measured, and the
// method.
func (r *capReport) writeIntro(w *mdWriter, c config, commit string) {
	w.p("## Capacity: concurrent calls per core, side by side with aiortc (`make bench`)\n\n")
	r.writeMeasured(w, c, commit)
	r.writeMethod(w, true)
}

// writeMeasured says when, how and on what machine the run was made.
func (r *capReport) writeMeasured(w *mdWriter, c config, commit string) {
	cmd := "-only capacity"
	if r.camera != "" {
		cmd += " -capacity-camera " + r.camera
	}
	w.p("Measured %s by `go run ./cmd/bench -server-bin %s %s` (took %s) at commit `%s`. ",
		r.started.UTC().Format("2006-01-02 15:04 UTC"), c.serverBin, cmd, r.ended.Sub(r.started).Round(time.Second), commit)
	w.p("Machine: %s, %d logical cores, %s; load average (1 / 5 / 15 min) %s at the start, %s at the end; before the first step the machine was %.2f cores busy (other jobs share this VM: the \"others\" column below is what they took during each step). ",
		benchmd.CPUModel(), runtime.NumCPU(), runtime.Version(), r.load0, r.load1, r.busyBefore)
	w.p("The load generator (callbot load mode, `internal/callbot/load.go`, in the bench process) runs on the same %d cores as the server under test.\n\n", runtime.NumCPU())
}

// writeMethod describes our server, the peer (withPeer) and the steps.
func (r *capReport) writeMethod(w *mdWriter, withPeer bool) {
	w.p("**Method.** Our server: `%s` (the canned pipeline: spectral VAD turn detection on every caller frame, and at the end of each turn one cached espeak-ng reply, \"%s\", synthesized once at start and Opus-encoded per call by the paced writer; no STT/LLM/TTS during calls, so codec, VAD, pacing, SRTP and signaling are what is measured). ", shellJoin(r.serverArgs), capacityReply)
	if r.camera != "" {
		w.p("**Cameras on:** every caller of our server also sends `%s` in real time, looping (pion sample track, the clip's codec only); the server decodes every frame of every camera (`-max-video-calls=0`). ", r.camera)
	}
	ramp := fmt.Sprintf("%g calls/s", capOpt.oursRamp)
	if withPeer {
		w.p("The peer: `bench/peer/server.py` on Debian's aiortc 1.4 (aiortc decodes the caller's Opus; an energy VAD, -40 dBFS, 100 ms to start, 300 ms of silence to end; the same reply as a WAV, resampled to 48 kHz once, played on the call's track, which aiortc encodes and paces, sending silence between replies). ")
		ramp = fmt.Sprintf("%g calls/s (ours) or %g calls/s (aiortc)", capOpt.oursRamp, capOpt.peerRamp)
	}
	w.p("Each step: N callers (pion WebRTC over loopback, Opus 20 ms frames pre-encoded once, RTCP reports as their only interceptor) join at %s; once all are connected the hold lasts %s: each caller says \"%s\" (espeak-ng, 1 s), sends silence until the reply audio has been quiet for 800 ms (or 5 s without reply), pauses 1–2 s (seeded), and speaks again; then all hang up. ",
		ramp, capOpt.hold, capacityUtterance)
	w.p("Figures are from the hold only. Turn latency: last speech frame sent → first reply frame received above -45 dBFS (from audio, no events needed); a turn spoken while the previous reply was still arriving (it stalled for 800 ms) is \"talked over\" and has no latency. Reply audio = voiced frames and the RTP-contiguous frames up to 400 ms after one; a **gap** is an arrival more than 60 ms after the previous packet of the same reply; a **late** frame missed the deadline of a 60 ms jitter buffer (first frame of the reply + RTP offset + 60 ms; the buffer re-anchors after a miss). ")
	w.p("A step **holds** when no call failed, ≤ 1 %% of turns went unanswered, gaps ≤ 1 %% and late frames ≤ 1 %% of reply frames, and turn latency p95 ≤ 1 s; a step that does not hold is run once more and the second attempt counts (the load generator shares the machine, so results near the limit are noisy); the steps stop at the first that does not hold. ")
	w.p("Server CPU = its utime + stime from `/proc/PID/stat` over the hold ÷ hold time (cores); RSS = mean of `/proc/PID/statm` samples (1 s) in the hold. Per call: CPU ÷ N; RSS − the server's RSS right after start, ÷ N. Idle calls: N callers connected, sending silence, same sampling.\n\n")
}

// capFigures are the headline figures, shared by the summary table and
// the missed-targets note.
type capFigures struct {
	ob, pb       *capStep // the largest steps that held
	oursN, peerN int
	ratio        float64
	oi, pi       *capStep // the idle steps
	oiV          float64  // RSS per idle call on ours, bytes
	oiOK         bool
}

func (r *capReport) figures() capFigures {
	var f capFigures
	if r.ours != nil {
		f.ob, f.oi = r.ours.best(), r.ours.idleStep
	}
	if r.peer != nil {
		f.pb, f.pi = r.peer.best(), r.peer.idleStep
	}
	if f.ob != nil {
		f.oursN = f.ob.calls
	}
	if f.pb != nil {
		f.peerN = f.pb.calls
	}
	if f.peerN > 0 {
		f.ratio = float64(f.oursN) / float64(f.peerN)
	}
	_, f.oiV, f.oiOK = idleRSS(r.ours, f.oi)
	return f
}

// writeFigures writes the table of headline figures against the targets.
func (r *capReport) writeFigures(w *mdWriter, f capFigures) {
	ours, peer := r.ours, r.peer
	w.p("| figure | target | Duplex (canned) | aiortc peer | |\n|---|---:|---:|---:|---|\n")
	w.p("| largest N that holds | ≥ %d calls | %s%s | %s%s | %s |\n", targetCalls, nCalls(f.ob), capNote(ours), nCalls(f.pb), capNote(peer), verdictGE(float64(f.oursN), targetCalls, ours != nil))
	ratioText := "—"
	if f.peerN > 0 {
		ratioText = fmt.Sprintf("%.1f×", f.ratio)
	}
	w.p("| ours ÷ aiortc (largest N that holds) | ≥ %.0f× | %s | | %s |\n", targetRatio, ratioText, verdictGE(f.ratio, targetRatio, f.peerN > 0))
	w.p("| server CPU per active call, at that N | | %s | %s | |\n", cpuCell(f.ob), cpuCell(f.pb))
	w.p("| server RSS per active call, at that N | | %s | %s | |\n", rssCell(ours, f.ob), rssCell(peer, f.pb))
	oiText, _, _ := idleRSS(ours, f.oi)
	piText, _, _ := idleRSS(peer, f.pi)
	w.p("| server RSS per idle call | ≤ %d MiB | %s | %s | %s |\n", targetIdleRSS>>20, oiText, piText, verdict(f.oiV, targetIdleRSS, f.oiOK))
	w.p("| server CPU per idle call | | %s | %s | |\n\n", idleCPU(f.oi), idleCPU(f.pi))
}

func nCalls(s *capStep) string {
	if s == nil {
		return "none"
	}
	return fmt.Sprintf("%d calls", s.calls)
}

// capNote says why the steps of t stopped where they did.
func capNote(t *target) string {
	if t == nil {
		return ""
	}
	h := t.highest()
	if h == nil {
		return ""
	}
	if b := t.best(); b != nil && b.calls == h.calls {
		switch last := t.results[len(t.results)-1]; {
		case last.skipped != "":
			return fmt.Sprintf(" (%d not run: %s)", last.calls, last.skipped)
		case last.err != nil:
			return fmt.Sprintf(" (%d: error)", last.calls)
		case b.calls == t.steps[len(t.steps)-1]:
			return " (every step held; the largest tried)"
		}
		return ""
	}
	return fmt.Sprintf(" (%d: %s)", h.calls, h.why)
}

func cpuCell(s *capStep) string {
	if s == nil || s.res == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f %% of a core (%.0f calls per core)", s.res.Server.CPUPerCallPct, 100/math.Max(s.res.Server.CPUPerCallPct, 1e-9))
}

func rssCell(t *target, s *capStep) string {
	if t == nil || s == nil || s.res == nil || s.calls == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f KiB", float64(s.res.Server.RSSBytes-t.startRSS)/float64(s.calls)/1024)
}

// idleRSS is the RSS per idle call: as text, in bytes, and whether known.
func idleRSS(t *target, s *capStep) (string, float64, bool) {
	if t == nil || s == nil || s.res == nil || s.calls == 0 {
		return "—", 0, false
	}
	v := float64(s.res.Server.RSSBytes-t.startRSS) / float64(s.calls)
	return fmt.Sprintf("%.0f KiB (%d calls)", v/1024, s.calls), v, true
}

func idleCPU(s *capStep) string {
	if s == nil || s.res == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f %% of a core", s.res.Server.CPUPerCallPct)
}

// writeMissed says plainly which targets were missed, if any.
func (r *capReport) writeMissed(w *mdWriter, f capFigures) {
	oursN, peerN, ratio, oiOK, oiV := f.oursN, f.peerN, f.ratio, f.oiOK, f.oiV
	ours := r.ours
	missed := oursN < targetCalls || peerN == 0 || ratio < targetRatio || !oiOK || oiV > targetIdleRSS
	if missed {
		w.p("**Missed targets, plainly:**")
		if oursN < targetCalls {
			w.p(" fewer than %d concurrent calls held on our server (%d);", targetCalls, oursN)
		}
		if peerN > 0 && ratio < targetRatio {
			w.p(" ours ÷ aiortc is %.1f×, not %.0f×;", ratio, targetRatio)
		}
		if peerN == 0 {
			w.p(" no aiortc figure to compare with;")
		}
		if oiOK && oiV > targetIdleRSS {
			w.p(" an idle call costs %.1f MiB of RSS, more than %d MiB;", oiV/(1<<20), targetIdleRSS>>20)
		}
		w.p(" see the steps and the CPU profile below.")
		if sum := profileSummary(r.pprofTop); sum != "" {
			w.p(" Where our server's CPU went in the %d-call step (cumulative share of its profile): %s.", ours.profStep, sum)
		}
		w.p("\n\n")
	}
}

// writeSteps writes the table of t's steps under a heading of level h
// ("###").
func writeSteps(w *mdWriter, t *target, h string) {
	title := "Duplex, `-pipeline canned`"
	if t.name == "aiortc" {
		title = "aiortc peer (`bench/peer/server.py`)"
	}
	w.p("%s %s\n\n", h, title)
	w.p("RSS right after start: %.1f MiB.\n\n", mib(t.startRSS))
	w.p("| calls | set-up p95 | turns answered | latency p50 / p95 / max | reply frames | gaps > 60 ms | late | lost | server CPU | CPU / call | RSS | RSS / call | callbot CPU | others | holds |\n")
	w.p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	rows := append([]*capStep{}, t.results...)
	if t.idleStep != nil {
		rows = append([]*capStep{t.idleStep}, rows...)
	}
	for _, s := range rows {
		label := fmt.Sprintf("%d", s.calls)
		if s.idle {
			label += " idle"
		}
		switch {
		case s.skipped != "":
			w.p("| %s | | | | | | | | | | | | | | not run: %s |\n", label, s.skipped)
			continue
		case s.err != nil:
			w.p("| %s | | | | | | | | | | | | | | error: %s |\n", label, mdCell(s.err.Error(), 120))
			continue
		}
		x := s.res
		a := x.Audio
		hold := "yes"
		if !s.holds {
			hold = "**no**: " + s.why
		}
		if s.rerun {
			hold += " (second attempt)"
		}
		turns, lat, frames, gaps, late, lost := "—", "—", "—", "—", "—", "—"
		if !s.idle {
			turns = fmt.Sprintf("%d / %d", x.TurnsAnswered, x.Turns)
			if x.TurnsTalkedOver > 0 {
				turns += fmt.Sprintf(" (%d talked over)", x.TurnsTalkedOver)
			}
			lat = fmt.Sprintf("%.0f / %.0f / %.0f ms", x.LatencyMS.P50, x.LatencyMS.P95, x.LatencyMS.Max)
			frames = fmt.Sprintf("%d", a.Frames)
			gaps = fmt.Sprintf("%d (%.2f %%)", a.Gaps, 100*a.GapFraction)
			late = fmt.Sprintf("%d (%.2f %%)", a.LateFrames, 100*a.LateFraction)
			lost = fmt.Sprintf("%d", a.Lost)
		}
		rssPer := float64(x.Server.RSSBytes-t.startRSS) / float64(s.calls) / 1024
		w.p("| %s | %.0f ms | %s | %s | %s | %s | %s | %s | %.2f cores | %.2f %% | %.0f MiB | %.0f KiB | %.2f cores | %.2f cores | %s |\n",
			label, x.SetupMS.P95, turns, lat, frames, gaps, late, lost, x.Server.CPUCores, x.Server.CPUPerCallPct, mib(x.Server.RSSBytes), rssPer, x.BotCPUCores, s.others, hold)
		if len(x.Errors) > 0 {
			w.p("| | | | | | | | | | | | | | | errors: %s |\n", mdCell(strings.Join(x.Errors, "; "), 300))
		}
	}
	w.p("\n")
}

// writeNotes writes the peer's error, our CPU profile and our warnings.
func (r *capReport) writeNotes(w *mdWriter) {
	ours := r.ours
	if r.peerErr != nil {
		w.p("The aiortc peer could not be measured: %s\n\n", mdCell(r.peerErr.Error(), 300))
	}
	if r.pprofTop != "" {
		w.p("<details><summary>Our server's CPU profile during the %d-call step (<code>go tool pprof -top</code>, by flat and by cumulative time; <code>runtime.cgocall</code> is libopus)</summary>\n\n```\n%s\n```\n\n</details>\n\n", ours.profStep, r.pprofTop)
	}
	if n := len(r.warnings); n > 0 {
		w.p("Our server logged %d line(s) at warn level or above; the first:\n\n```\n%s\n```\n\n", n, strings.Join(first(r.warnings, 5), "\n"))
	}
}

// writeMicro writes the micro-benchmark table and the encode-cost note
// under a heading of level h ("###").
func (r *capReport) writeMicro(w *mdWriter, h string) {
	ours := r.ours
	w.p("%s Go micro-benchmarks of the per-call media path\n\n", h)
	w.p("`%s` (one run, `-benchtime` 1 s, on the same shared machine). Per call: the frame cost × 50 frames per second, as a share of one core; a call pays decode, receive, VAD and detector on every caller frame, encode on every reply frame.\n\n", r.microCmd)
	w.p("| benchmark | what | per | ns/op | allocs/op | B/op | per call (50/s) |\n|---|---|---|---:|---:|---:|---:|\n")
	for _, m := range r.micro {
		if !m.found {
			w.p("| `%s` | %s | %s | not run | | | |\n", m.name, m.what, m.unit)
			continue
		}
		per := ""
		if m.perCall {
			per = fmt.Sprintf("%.2f %% of a core", m.nsOp*50/1e9*100)
		}
		w.p("| `%s` | %s | %s | %.0f | %.0f | %.0f | %s |\n", m.name, m.what, m.unit, m.nsOp, m.allocsOp, m.bytesOp, per)
	}
	if r.microErr != nil {
		w.p("\n%s\n", mdCell(r.microErr.Error(), 400))
	}
	if ours != nil {
		for _, s := range ours.results {
			if s.calls != ours.profStep || s.res == nil || s.res.HoldS <= 0 {
				continue
			}
			if us, ok := encodeCost(r.pprofTop, float64(s.res.Audio.Frames)/s.res.HoldS); ok {
				ratio := ""
				if ns := microNs(r.micro, "BenchmarkOpusEncode"); !math.IsNaN(ns) {
					ratio = fmt.Sprintf(", %.1f× the benchmark", us*1000/ns)
				}
				w.p("\n`BenchmarkOpusEncode` encodes a 440 Hz tone. Reply speech costs more: in the %d-call step our server spent about %.0f µs per reply frame in Opus encode (its profile's encode time ÷ the reply frames the callers received per second ÷ the profile's duration)%s; at that cost a call that is replying half the time pays %.2f %% of a core for encoding alone.\n",
					s.calls, us, ratio, us*50/1e6*100/2)
			}
		}
	}
}

// microNs returns a benchmark's ns/op, NaN if it did not run.
func microNs(rows []microRow, name string) float64 {
	for _, m := range rows {
		if m.name == name && m.found {
			return m.nsOp
		}
	}
	return math.NaN()
}

func verdictGE(v, target float64, have bool) string {
	switch {
	case !have:
		return "no data"
	case v >= target:
		return "met"
	default:
		return "**missed**"
	}
}

// shellJoin renders argv for the report, with the binary's base name and
// temporary paths shortened.
func shellJoin(argv []string) string {
	var out []string
	for i, a := range argv {
		switch {
		case i == 0:
			a = filepath.Base(a)
		case a == "" || strings.ContainsAny(a, " \t"):
			a = strconv.Quote(a)
		case strings.HasSuffix(a, "="):
			a += `""`
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}
