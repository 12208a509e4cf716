package sphinx

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/vad/eval"
)

// TestFSDDCall (STT_FSDD=<FSDD folder>; minutes) plays real FSDD digit
// strings into streams as a call does: the strings scenario R of
// cmd/bench makes (eval.DigitStrings, seed 21, 3-6 digits, 100-400 ms
// gaps, 8 kHz resampled to 16 kHz), after 300 ms of quiet, each split one
// call (one Adaptation), in 20 ms frames at the pace the worker keeps
// (Consumed), so the grammar's passes run speculatively in the pauses; the
// turn ends 120 ms after the last loud frame. It counts skill answers (an
// understood result that is not digits) per split and logs how each was
// accepted. STT_FSDD_STRINGS: strings per speaker (default 25);
// STT_FSDD_OPUS=1: through Opus (16 kHz, 32 kbps) and back first;
// STT_FSDD_REALTIME=1: frames every 20 ms of wall time;
// STT_FSDD_ALONE=1: each string its own call (no Adaptation);
// STT_FSDD_BAND=0/1: Options.BandCheck off/on (default: the default);
// STT_FSDD_BANDDIGITS=0/1: Options.BandDigits off/on.
func TestFSDDCall(t *testing.T) {
	dir := os.Getenv("STT_FSDD")
	if dir == "" {
		t.Skip("set STT_FSDD=<FSDD folder>")
	}
	requireTools(t, false)
	n := 25
	if v, err := strconv.Atoi(os.Getenv("STT_FSDD_STRINGS")); err == nil && v > 0 {
		n = v
	}
	opt := Options{PoolSize: 1}
	switch os.Getenv("STT_FSDD_BAND") {
	case "0":
		opt.BandCheck = false
	case "1":
		opt.BandCheck = true
	}
	switch os.Getenv("STT_FSDD_BANDDIGITS") {
	case "0":
		opt.BandDigits = false
	case "1":
		opt.BandDigits = true
	}
	e := newTestEngine(t, opt)
	if err := e.Warm(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, sp := range []struct {
		name     string
		speakers []string
	}{{"calibration", []string{"george", "jackson"}}, {"held-out", []string{"nicolas", "theo"}}} {
		strs, err := fsddCallStrings(dir, sp.speakers, n)
		if err != nil {
			t.Fatal(err)
		}
		adapt := &stt.Adaptation{}
		skill, digitsOK, notUnd := 0, 0, 0
		for _, u := range strs {
			if os.Getenv("STT_FSDD_OPUS") != "" {
				u.pcm = opusRoundTrip(t, u.pcm)
			}
			if os.Getenv("STT_FSDD_ALONE") != "" {
				adapt = &stt.Adaptation{}
			}
			r, evs := playCall(t, e, adapt, u.pcm)
			var path []string
			for _, ev := range evs {
				if strings.HasPrefix(ev, "accepted") || strings.HasPrefix(ev, "band") {
					path = append(path, ev)
				}
			}
			digits := r.Text != "" && strings.Trim(r.Text, "0123456789") == ""
			switch {
			case r.NotUnderstood || r.Text == "":
				notUnd++
			case digits:
				if r.Text == strings.ReplaceAll(u.name[strings.LastIndexByte(u.name, ':')+1:], " ", "") {
					digitsOK++
				}
			default:
				skill++
				t.Logf("SKILL %s %s → %q conf %.2f: %s", sp.name, u.name, r.Text, r.Confidence, strings.Join(path, "; "))
			}
			t.Logf("RESULT %s %s → %q understood=%v; %s", sp.name, u.name, r.Text, !r.NotUnderstood, strings.Join(path, "; "))
		}
		t.Logf("SPLIT %s (%s): %d strings, skill answers %d, digits right %d, not understood %d",
			sp.name, strings.Join(sp.speakers, "/"), len(strs), skill, digitsOK, notUnd)
	}
}

// TestFSDDCallNoSkillAnswer (STT_FSDD=<FSDD folder>): the twelve digit
// strings of cmd/bench's scenario R, played in one call as there, get no
// skill answer. Without Options.BandDigits george's "four three four" is
// heard as "what do you see" on the call's cepstral mean.
func TestFSDDCallNoSkillAnswer(t *testing.T) {
	dir := os.Getenv("STT_FSDD")
	if dir == "" {
		t.Skip("set STT_FSDD=<FSDD folder>")
	}
	requireTools(t, false)
	e := newTestEngine(t, Options{PoolSize: 1, BandDigits: true})
	strs, err := fsddCallStrings(dir, eval.FSDDSpeakers, 3)
	if err != nil {
		t.Fatal(err)
	}
	adapt := &stt.Adaptation{}
	for _, u := range strs {
		r, _ := playCall(t, e, adapt, u.pcm)
		if !r.NotUnderstood && strings.Trim(r.Text, "0123456789") != "" {
			t.Errorf("%s → %q: a skill answer", u.name, r.Text)
		}
		t.Logf("%s → %q understood=%v", u.name, r.Text, !r.NotUnderstood)
	}
}

// fsddCallStrings makes n digit strings per speaker as scenario R does
// (its seed; R's three per speaker are the first three here), at 16 kHz
// with 300 ms of quiet before and after.
func fsddCallStrings(dir string, speakers []string, n int) ([]namedPCM, error) {
	ss, err := eval.DigitStrings(dir, eval.RealConfig{Seed: 21, Speakers: speakers, Strings: n, DigitsMin: 3, DigitsMax: 6,
		GapMin: 100 * time.Millisecond, GapMax: 400 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	var out []namedPCM
	pad := make([]int16, stt.SampleRate*3/10)
	for i, s := range ss {
		pcm := append([]int16(nil), pad...)
		for _, v := range s.PCM {
			pcm = append(pcm, int16(max(-32768, min(32767, math.Round(v)))))
		}
		out = append(out, namedPCM{fmt.Sprintf("%s#%d:%s", s.Speaker, i%n, s.Text), append(pcm, pad...)})
	}
	return out, nil
}

// opusRoundTrip encodes pcm with Opus (16 kHz, voip, 32 kbps) in 20 ms
// frames and decodes it again, as the call's audio travels.
func opusRoundTrip(t *testing.T, pcm []int16) []int16 {
	t.Helper()
	enc, err := media.NewOpusEncoder(stt.SampleRate, 1, media.EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := media.NewOpusDecoder(stt.SampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	var out []int16
	for off := 0; off+frameSamples <= len(pcm); off += frameSamples {
		pkt, err := enc.Encode(pcm[off : off+frameSamples])
		if err != nil {
			t.Fatal(err)
		}
		f, err := dec.Decode(pkt)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f...)
	}
	return out
}

// playCall writes pcm in 20 ms frames, each once the worker has taken up
// the one before (or every 20 ms with STT_FSDD_REALTIME), ends the turn
// 120 ms after the last loud frame and returns the result and the trace.
func playCall(t *testing.T, e *Engine, adapt *stt.Adaptation, pcm []int16) (stt.Result, []string) {
	t.Helper()
	st, err := e.NewStream(t.Context(), stt.StreamOptions{Adaptation: adapt})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*stream)
	var mu sync.Mutex
	var evs []string
	s.trace = func(ev string) {
		mu.Lock()
		evs = append(evs, ev)
		mu.Unlock()
	}
	last := 0
	for off := 0; off+frameSamples <= len(pcm); off += frameSamples {
		if frameRMS(pcm[off:off+frameSamples]) >= quietRMS {
			last = off + frameSamples
		}
	}
	end := min(len(pcm), last+120*stt.SampleRate/1000)
	var tick *time.Ticker
	if os.Getenv("STT_FSDD_REALTIME") != "" {
		tick = time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
	}
	for off := 0; off < end; off += frameSamples {
		if tick != nil {
			<-tick.C
		}
		next := min(off+frameSamples, end)
		if err := s.Write(pcm[off:next]); err != nil {
			t.Fatal(err)
		}
		for tick == nil && s.Consumed() < next {
			time.Sleep(100 * time.Microsecond)
		}
	}
	r, err := s.Finish(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return r, append([]string(nil), evs...)
}
