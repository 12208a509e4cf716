package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/duplex-ai/duplex/internal/livepartials"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/stt/sphinx"
	"github.com/duplex-ai/duplex/vad/eval"
)

// liveRecogniser decodes an utterance window as the server's offline STT
// does (stt/sphinx, skills-grammar live pass with its streaming general-LM
// pass), in 20 ms writes each taken up before the next (media time), as
// cmd/turn-eval does, and keeps the partials in a cache file when named.
type liveRecogniser struct {
	eng   *sphinx.Engine
	file  string
	cache map[string]eval.UttPartials
	audio time.Duration // decoded (not from the cache)
	took  time.Duration
}

// lmStart and lmRTF place the streaming general-LM pass's partials where
// they reach the server in a real call (cmd/turn-eval's model: the pass
// starts after 1 s of audio and decodes at 0.3 of real time); this tool
// feeds audio at the grammar pass's pace, not in real time.
const (
	lmStart = stt.SampleRate
	lmRTF   = 0.3
)

func newLiveRecogniser(file string) (*liveRecogniser, error) {
	eng, err := sphinx.NewEngine(sphinx.Options{PoolSize: 1})
	if err != nil {
		return nil, err
	}
	r := &liveRecogniser{eng: eng, file: file, cache: map[string]eval.UttPartials{}}
	if file == "" {
		return r, nil
	}
	b, err := os.ReadFile(file)
	switch {
	case os.IsNotExist(err):
		return r, nil
	case err != nil:
		eng.Close()
		return nil, err
	}
	if err := json.Unmarshal(b, &r.cache); err != nil {
		eng.Close()
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return r, nil
}

// Close saves the cache and frees the engine.
func (r *liveRecogniser) Close() error {
	r.eng.Close()
	return r.save()
}

// save writes the cache file, when named.
func (r *liveRecogniser) save() error {
	if r.file == "" {
		return nil
	}
	b, err := json.Marshal(r.cache)
	if err != nil {
		return err
	}
	return os.WriteFile(r.file, b, 0o644)
}

// source returns the partial source of one corpus mixture; key names the
// corpus (its items and seed) and the condition, so the cache never gives
// one mixture's partials to another.
func (r *liveRecogniser) source(key string) eval.UttPartialSource {
	return func(utt int, pcm []int16) (eval.UttPartials, error) {
		k := fmt.Sprintf("%s/%d/%d", key, utt, len(pcm))
		if p, ok := r.cache[k]; ok {
			return p, nil
		}
		p, err := r.decode(pcm)
		if err != nil {
			return p, err
		}
		r.cache[k] = p
		return p, nil
	}
}

func (r *liveRecogniser) decode(pcm []int16) (eval.UttPartials, error) {
	start := time.Now()
	g, lm, err := livepartials.Decode(r.eng, pcm, true)
	if err != nil {
		return eval.UttPartials{}, err
	}
	for i := range lm {
		lm[i].Samples = max(lm[i].Samples, lmStart+int(lmRTF*float64(lm[i].Samples)))
	}
	r.audio += time.Duration(len(pcm)) * time.Second / eval.Rate
	r.took += time.Since(start)
	return eval.UttPartials{Grammar: g, LM: lm}, nil
}
