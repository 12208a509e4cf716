// Command callbot places a headless WebRTC call to a Duplex server, speaks a
// WAV file or several turns, waiting for each reply (optionally barging in
// on the last one), optionally streams a VP8 IVF, records the reply and
// reports turns and latencies.
//
//	callbot -server http://127.0.0.1:8080 -audio hello.wav -record reply.wav -json
//	callbot -turns a.wav,b.wav,c.wav -barge-in stop.wav -barge-in-after 2s -json
//	callbot -calls 100 -ramp 10 -duration 30s -audio question.wav -server-pid PID -json
//
// Load mode (-calls N) runs N concurrent callers against a server on this
// machine, each speaking -audio in a loop (utterance, wait for the reply
// audio, pause 1–2 s), and reports calls ok/failed, turn latency measured
// from audio, reply-audio continuity and the server's CPU and RSS.
//
// With -json the last line of stdout is the result as one JSON object. The
// exit status is 1 when the call was not OK, 2 on bad usage.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/events"
	"github.com/duplex-ai/duplex/internal/callbot"
	"github.com/duplex-ai/duplex/internal/wav"
	"github.com/duplex-ai/duplex/media"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("callbot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		server  = fs.String("server", "http://127.0.0.1:8080", "Duplex server base URL")
		audio   = fs.String("audio", "", "WAV file to speak (16-bit PCM, any rate; stereo is downmixed)")
		turns   = fs.String("turns", "", "comma-separated WAV files to speak one after the other, each once the reply to the previous one is over (instead of -audio)")
		bargeIn = fs.String("barge-in", "", "WAV file to speak over the reply to the last turn (an interruption)")
		bargeAt = fs.Duration("barge-in-after", time.Second, "start -barge-in this long after the first reply audio of the last turn arrived")
		gap     = fs.Duration("gap", 600*time.Millisecond, "silence between the end of a reply and the next turn")
		turnTO  = fs.Duration("turn-timeout", 20*time.Second, "give up waiting for the reply to a turn (or for reply audio before -barge-in) after this long; the call goes on")
		video   = fs.String("video", "", "optional video file to stream, looping: IVF (VP8, VP9) or H.264 Annex-B (30 fps)")
		record  = fs.String("record", "", "write the received audio to this WAV file (48 kHz mono)")
		asJSON  = fs.Bool("json", false, "print the result as one JSON object on the last line of stdout")
		token   = fs.String("token", os.Getenv("DUPLEX_TOKEN"), "bearer token (default $DUPLEX_TOKEN)")
		text    = fs.String("text", "", "typed message sent as input.text once the events channel opens")
		lead    = fs.Duration("lead", 500*time.Millisecond, "silence sent before the audio")
		tail    = fs.Duration("tail", 3*time.Second, "how long to stay on the call after the audio, waiting for replies")
		wait    = fs.Int("wait", 0, "end the tail early once this many replies have finished, the last after the script's audio, and gone quiet")
		timeout = fs.Duration("timeout", 60*time.Second, "give up on the whole call after this long")
		verbose = fs.Bool("v", false, "debug logging")

		echoGain  = fs.Float64("echo-gain", 0, "play the reply back into the microphone at this level in dB relative to it, as a speakerphone does (e.g. -10; 0: no echo)")
		echoDelay = fs.Duration("echo-delay", 150*time.Millisecond, "with -echo-gain: from the reply's arrival to its echo in the microphone")
		echoRT60  = fs.Duration("echo-rt60", 300*time.Millisecond, "with -echo-gain: the room tail's decay time (0: none)")
	)
	lf := addLoadFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "callbot: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *lf.calls != 0 {
		return runLoad(fs, lf, commonFlags{server: *server, audio: *audio, token: *token, asJSON: *asJSON, verbose: *verbose, turnTimeout: *turnTO, timeout: *timeout}, stdout, stderr)
	}
	if *audio == "" && *turns == "" && *text == "" {
		fmt.Fprintln(stderr, "callbot: give -audio FILE.wav, -turns A.wav,B.wav,... and/or -text MESSAGE")
		return 2
	}
	if *audio != "" && *turns != "" {
		fmt.Fprintln(stderr, "callbot: give -audio or -turns, not both")
		return 2
	}
	if *bargeIn != "" && *audio == "" && *turns == "" {
		fmt.Fprintln(stderr, "callbot: -barge-in needs -audio or -turns: it interrupts the reply to the last turn")
		return 2
	}
	if *bargeAt < 0 || *turnTO < 0 {
		fmt.Fprintln(stderr, "callbot: -barge-in-after and -turn-timeout must not be negative")
		return 2
	}
	level := zerolog.InfoLevel
	if *verbose {
		level = zerolog.DebugLevel
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	log := zerolog.New(zerolog.ConsoleWriter{Out: stderr, TimeFormat: "15:04:05.000", NoColor: !isTerminal(stderr)}).Level(level).With().Timestamp().Logger()

	opt := callbot.Options{
		Server:    *server,
		Token:     *token,
		VideoPath: *video,
		Lead:      nonZero(*lead),
		Tail:      nonZero(*tail),
		Gap:       nonZero(*gap),
		Wait:      *wait,
		Log:       log,

		TurnTimeout:  *turnTO,
		BargeInAfter: *bargeAt,
	}
	if *echoGain != 0 {
		opt.Echo = &callbot.EchoPath{GainDB: *echoGain, Delay: *echoDelay, RT60: *echoRT60}
	}
	var files []string
	switch {
	case *audio != "":
		files = []string{*audio}
	case *turns != "":
		for _, f := range strings.Split(*turns, ",") {
			if f = strings.TrimSpace(f); f == "" {
				fmt.Fprintf(stderr, "callbot: -turns %q has an empty file name\n", *turns)
				return 2
			}
			files = append(files, f)
		}
	}
	if *bargeIn != "" {
		files = append(files, *bargeIn)
	}
	if len(files) > 0 {
		pcms, rate, err := loadWAVs(files)
		if err != nil {
			fmt.Fprintf(stderr, "callbot: %v\n", err)
			return 2
		}
		if *bargeIn != "" {
			opt.BargeIn, pcms = pcms[len(pcms)-1], pcms[:len(pcms)-1]
		}
		opt.Turns, opt.AudioRate = pcms, rate
	}
	if *text != "" {
		opt.Commands = append(opt.Commands, events.Command{Type: events.TypeInputText, Text: *text})
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	res, err := callbot.Run(ctx, opt)
	if err != nil {
		log.Error().Err(err).Msg("call failed")
		res = &callbot.Result{Summary: callbot.Summary{Errors: []string{err.Error()}}, Turns: []callbot.Turn{}}
	} else if *record != "" {
		if err := wav.WriteFile(*record, res.Received, 48000); err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("record: %v", err))
			res.OK = false
		} else {
			log.Info().Str("file", *record).Float64("seconds", float64(len(res.Received))/48000).Msg("recorded")
		}
	}

	return finish(stdout, *asJSON, res, &res.Summary, `{"ok":false,"turns":[],"errors":["encoding the result failed"]}`,
		func() { printSummary(stdout, res) })
}

// finish prints the result of either mode (as JSON, or as text by
// printText) and returns the exit code: 0 when the run went well, else 1.
func finish(stdout io.Writer, asJSON bool, res any, sum *callbot.Summary, fallback string, printText func()) int {
	if asJSON {
		if !printJSON(stdout, res, fallback) {
			sum.OK = false
		}
	} else {
		printText()
	}
	if !sum.OK {
		return 1
	}
	return 0
}

// status and printErrors give the text summary's first and last
// lines, the same in both modes.
func status(sum callbot.Summary) string {
	if sum.OK {
		return "OK"
	}
	return "FAILED"
}

func printErrors(w io.Writer, sum callbot.Summary) {
	for _, e := range sum.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}

// loadWAVs reads the files; when their rates differ, all are resampled to
// 48 kHz. It returns the audio and its common rate.
func loadWAVs(files []string) ([][]int16, int, error) {
	pcms := make([][]int16, len(files))
	rates := make([]int, len(files))
	same := true
	for i, f := range files {
		pcm, rate, err := wav.ReadFile(f)
		if err != nil {
			return nil, 0, err
		}
		if len(pcm) == 0 {
			return nil, 0, fmt.Errorf("%s: no audio", f)
		}
		pcms[i], rates[i] = pcm, rate
		same = same && rate == rates[0]
	}
	if same {
		return pcms, rates[0], nil
	}
	const rate = 48000
	for i := range pcms {
		if rates[i] == rate {
			continue
		}
		out, err := media.Resample(pcms[i], rates[i], rate)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: resample %d Hz → %d Hz: %w", files[i], rates[i], rate, err)
		}
		pcms[i] = out
	}
	return pcms, rate, nil
}

// nonZero maps an explicit 0 flag to "none" (Options treats 0 as default).
func nonZero(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func printSummary(w io.Writer, res *callbot.Result) {
	fmt.Fprintf(w, "call %s: %s\n", orDash(res.CallURL), status(res.Summary))
	fmt.Fprintf(w, "audio: sent %.0f ms, received %.0f ms above -45 dBFS\n", res.AudioSentMS, res.AudioReceivedMS)
	a := res.Audio
	fmt.Fprintf(w, "reply audio: %d frames, %d gaps > 60 ms (longest %.0f ms), %d late, %d lost\n",
		a.Frames, a.Gaps, a.MaxGapMS, a.LateFrames, a.Lost)
	for i, t := range res.Turns {
		fmt.Fprintf(w, "turn %d: user %q → reply %q", i+1, t.User, t.Reply)
		if t.LatencyMS > 0 {
			fmt.Fprintf(w, ", latency %.0f ms", t.LatencyMS)
		}
		if t.ServerLatencyMS > 0 {
			fmt.Fprintf(w, " (server %.0f ms)", t.ServerLatencyMS)
		}
		if t.Interrupted {
			fmt.Fprintf(w, ", interrupted after %q", t.Heard)
		}
		if t.BargeInStopMS != nil {
			fmt.Fprintf(w, ", talked over the barge-in for %.0f ms", *t.BargeInStopMS)
		}
		fmt.Fprintln(w)
	}
	if res.LatencyMS.Max > 0 {
		fmt.Fprintf(w, "latency: p50 %.0f ms, p95 %.0f ms, max %.0f ms\n", res.LatencyMS.P50, res.LatencyMS.P95, res.LatencyMS.Max)
	}
	if res.BargeInStopMS.Max > 0 {
		fmt.Fprintf(w, "barge-in stop: p50 %.0f ms, p95 %.0f ms, max %.0f ms\n", res.BargeInStopMS.P50, res.BargeInStopMS.P95, res.BargeInStopMS.Max)
	}
	printErrors(w, res.Summary)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// printJSON writes v as one JSON line, or fallback when v cannot be
// encoded; it reports whether v was written.
func printJSON(w io.Writer, v any, fallback string) bool {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fallback)
	}
	fmt.Fprintf(w, "%s\n", b)
	return err == nil
}
