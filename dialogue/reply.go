package dialogue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/tts"
)

// gate serializes a reply's Enqueue calls with its cancellation: once
// closed, nothing more of that reply reaches the writer, so a ClearQueue
// after close is final (no late chunk restarts the speech).
type gate struct {
	mu     sync.Mutex
	closed bool
	out    pipeline.AudioOut
}

var errGateClosed = errors.New("dialogue: reply cancelled")

func (g *gate) enqueue(id int, pcm []int16, rate int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errGateClosed
	}
	return g.out.Enqueue(id, pcm, rate)
}

func (g *gate) end(id int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.out.EndUtterance(id)
	}
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// wordMark is a word start inside a spoken piece, as audio time from the
// start of the reply's audio.
type wordMark struct {
	textOffset int
	at         time.Duration
}

// spokenPiece is one synthesized piece of the reply and where its audio
// sits in the reply's utterance.
type spokenPiece struct {
	text       string
	start, end time.Duration
	marks      []wordMark
}

// heardText returns what the user heard after played of the reply's
// audio: whole pieces that finished playing, then the words of the piece
// in progress whose start was played (word marks), else nothing of it.
func heardText(pieces []spokenPiece, played time.Duration) string {
	var b strings.Builder
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	for _, p := range pieces {
		if p.end <= played {
			add(p.text)
			continue
		}
		if p.start >= played || len(p.marks) == 0 {
			break
		}
		// Words whose start was played; the next word's start bounds the
		// last heard word.
		cut := -1
		for _, m := range p.marks {
			if m.at > played {
				cut = m.textOffset
				break
			}
		}
		if cut < 0 {
			// Every mark was played but the piece was not: its last word
			// was reached, so keep all of it.
			add(p.text)
		} else if cut > 0 && cut <= len(p.text) {
			add(p.text[:cut])
		}
		break
	}
	return b.String()
}

// replyMsg is what a reply's goroutines tell the engine.
type replyMsg struct {
	reply *reply
	kind  replyMsgKind
	text  string
	stage string
	err   error
	at    time.Time
	audio bool
}

type replyMsgKind int

const (
	msgDelta replyMsgKind = iota + 1
	msgFirstToken
	msgTTSStart
	msgFirstAudio
	msgError
	msgProduced
)

// reply is one assistant answer in production. Its goroutines (LLM reader
// and TTS speaker) only produce; all state changes happen in the engine.
type reply struct {
	turnID  int
	uttID   int
	apology bool
	ctx     context.Context
	cancel  context.CancelFunc
	gate    *gate

	// spoken is written by the speaker as audio is queued, read by the
	// engine on interruption; guarded by mu.
	mu     sync.Mutex
	spoken []spokenPiece

	// engine-owned state
	text       strings.Builder
	produced   bool
	audio      bool
	playedDone bool
	firstAudio time.Time
	paused     bool
	started    time.Time
	firstToken time.Time
	ttsFirst   time.Time
	ttsStart   time.Time
}

// produceOptions are what a reply's goroutines need from the engine.
type produceOptions struct {
	llm        llm.Engine
	tts        tts.Engine
	req        llm.Request
	fixed      string // speak this instead of asking the LLM
	ttsOpt     tts.Options
	llmTimeout time.Duration
	ttsTimeout time.Duration
	maxChars   int
	// look, when set, attaches the camera picture to the request.
	look func(ctx context.Context) (cur, prev *llm.Image)
	send func(replyMsg)
	clk  clock.Clock
}

// produce runs the reply: the LLM reader feeds the chunker, the speaker
// synthesizes pieces in order and queues their audio. It returns when both
// are done; the caller runs it in a goroutine it joins.
func (r *reply) produce(o produceOptions) {
	pieces := make(chan string, 16)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(pieces)
		if o.fixed != "" {
			o.send(replyMsg{reply: r, kind: msgDelta, text: o.fixed})
			select {
			case pieces <- o.fixed:
			case <-r.ctx.Done():
			}
			return
		}
		r.readLLM(o, pieces)
	}()
	r.speak(o, pieces)
	wg.Wait()
}

func (r *reply) readLLM(o produceOptions, pieces chan<- string) {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	timer := o.clk.AfterFunc(o.llmTimeout, cancel)
	defer timer.Stop()
	fail := func(err error) {
		if r.ctx.Err() != nil {
			return // cancelled by the engine, not a failure
		}
		if !timer.Stop() && ctx.Err() != nil {
			err = fmt.Errorf("no reply within %v: %w", o.llmTimeout, err)
		}
		o.send(replyMsg{reply: r, kind: msgError, stage: "llm", err: err})
	}
	if o.look != nil {
		o.req.Image, o.req.PreviousImage = o.look(ctx)
	}
	stream, err := o.llm.Stream(ctx, o.req)
	if err != nil {
		fail(err)
		return
	}
	defer stream.Close()
	chunker := tts.NewChunker(tts.ChunkerOptions{})
	emit := func(ps []string) bool {
		for _, p := range ps {
			select {
			case pieces <- p:
			case <-r.ctx.Done():
				return false
			}
		}
		return true
	}
	total, first := 0, true
	for {
		d, err := stream.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail(err)
			return
		}
		if first {
			first = false
			timer.Stop()
			o.send(replyMsg{reply: r, kind: msgFirstToken, at: o.clk.Now()})
		}
		capped := false
		if total+len(d) > o.maxChars {
			d, capped = d[:max(0, o.maxChars-total)], true
		}
		total += len(d)
		if d != "" {
			o.send(replyMsg{reply: r, kind: msgDelta, text: d})
			if !emit(chunker.Push(d)) {
				return
			}
		}
		if capped {
			break
		}
	}
	emit(chunker.Flush())
}

// speak synthesizes pieces in order, queueing audio as it comes, and
// reports each piece's place in the reply's audio.
func (r *reply) speak(o produceOptions, pieces <-chan string) {
	var pos time.Duration
	failed := false
	for piece := range pieces {
		if failed || r.ctx.Err() != nil {
			continue // drain so the reader never blocks
		}
		sp, err := r.speakPiece(o, piece, pos)
		if err != nil {
			if r.ctx.Err() == nil && !errors.Is(err, errGateClosed) {
				o.send(replyMsg{reply: r, kind: msgError, stage: "tts", err: err})
			}
			failed = true
			continue
		}
		pos = sp.end
	}
	if failed || r.ctx.Err() != nil {
		return
	}
	r.gate.end(r.uttID)
	o.send(replyMsg{reply: r, kind: msgProduced, audio: pos > 0})
}

func (r *reply) speakPiece(o produceOptions, text string, pos time.Duration) (spokenPiece, error) {
	sp := spokenPiece{text: text, start: pos, end: pos}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	timer := o.clk.AfterFunc(o.ttsTimeout, cancel)
	defer timer.Stop()
	if pos == 0 {
		o.send(replyMsg{reply: r, kind: msgTTSStart, at: o.clk.Now()})
	}
	stream, err := o.tts.Synthesize(ctx, text, o.ttsOpt)
	if err != nil {
		return sp, err
	}
	defer stream.Close()
	r.mu.Lock()
	idx := len(r.spoken)
	r.spoken = append(r.spoken, sp)
	r.mu.Unlock()
	var samples int64
	first := true
	for {
		ch, err := stream.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !timer.Stop() && ctx.Err() != nil && r.ctx.Err() == nil {
				err = fmt.Errorf("no audio within %v: %w", o.ttsTimeout, err)
			}
			return sp, err
		}
		if first {
			timer.Stop()
			first = false
			if pos == 0 {
				o.send(replyMsg{reply: r, kind: msgFirstAudio, at: o.clk.Now()})
			}
		}
		if ch.SampleRate <= 0 {
			return sp, fmt.Errorf("tts chunk without a sample rate")
		}
		for _, m := range ch.Marks {
			sp.marks = append(sp.marks, wordMark{textOffset: m.TextOffset, at: pos + time.Duration(m.Sample)*time.Second/time.Duration(ch.SampleRate)})
		}
		if len(ch.PCM) == 0 {
			continue
		}
		samples += int64(len(ch.PCM))
		sp.end = pos + time.Duration(samples)*time.Second/time.Duration(ch.SampleRate)
		// Record where this audio sits before it can play.
		r.mu.Lock()
		r.spoken[idx] = spokenPiece{text: sp.text, start: sp.start, end: sp.end, marks: append([]wordMark(nil), sp.marks...)}
		r.mu.Unlock()
		if err := r.gate.enqueue(r.uttID, ch.PCM, ch.SampleRate); err != nil {
			return sp, err
		}
	}
	return sp, nil
}

// heard returns what the user heard after played of the reply's audio.
func (r *reply) heard(played time.Duration) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return heardText(r.spoken, played)
}
