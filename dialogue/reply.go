package dialogue

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/tools"
)

// gate serializes a reply's Enqueue calls with its cancellation: once
// closed, nothing more of that reply reaches the writer, so a ClearQueue
// after close is final (no late chunk restarts the speech).
// A held gate (a preemptive reply) keeps the audio until release, up to
// maxHeld of it: then the producer waits (the first piece is ready, the
// rest need not be made for a reply that may be dropped).
type gate struct {
	mu     sync.Mutex
	closed bool
	out    pipeline.AudioOut
	held   bool
	buf    []heldAudio
	heldD  time.Duration
	ended  bool          // EndUtterance came while held
	wake   chan struct{} // closed by release or close (held gates only)
}

// maxHeld bounds the audio a held gate keeps before its producer waits.
const maxHeld = 2 * time.Second

func newGate(out pipeline.AudioOut, held bool) *gate {
	g := &gate{out: out, held: held}
	if held {
		g.wake = make(chan struct{})
	}
	return g
}

type heldAudio struct {
	pcm  []int16
	rate int
}

var errGateClosed = brain.ErrCancelled

func (g *gate) enqueue(id int, pcm []int16, rate int) error {
	g.mu.Lock()
	if g.held && g.heldD >= maxHeld && !g.closed {
		g.mu.Unlock()
		<-g.wake
		g.mu.Lock()
	}
	defer g.mu.Unlock()
	if g.closed {
		return errGateClosed
	}
	if g.held {
		g.buf = append(g.buf, heldAudio{pcm: append([]int16(nil), pcm...), rate: rate})
		if rate > 0 {
			g.heldD += time.Duration(len(pcm)) * time.Second / time.Duration(rate)
		}
		return nil
	}
	return g.out.Enqueue(id, pcm, rate)
}

func (g *gate) end(id int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.closed:
	case g.held:
		g.ended = true
	default:
		g.out.EndUtterance(id)
	}
}

// release queues what a held gate kept, in order, and lets the rest
// through as it comes.
func (g *gate) release(id int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || !g.held {
		return nil
	}
	g.held = false
	close(g.wake)
	buf := g.buf
	g.buf = nil
	for _, a := range buf {
		if err := g.out.Enqueue(id, a.pcm, a.rate); err != nil {
			return err
		}
	}
	if g.ended {
		g.out.EndUtterance(id)
	}
	return nil
}

func (g *gate) close() {
	g.mu.Lock()
	if g.held && !g.closed {
		close(g.wake)
	}
	g.closed = true
	g.buf = nil
	g.mu.Unlock()
}

// heardText returns what the user heard after played of the reply's
// audio: whole pieces that finished playing, then the words of the piece
// in progress whose start was played (word marks), else nothing of it.
func heardText(pieces []brain.Piece, played time.Duration) string {
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
		if p.End <= played {
			add(p.Text)
			continue
		}
		if p.Start >= played || len(p.Marks) == 0 {
			break
		}
		// Words whose start was played; the next word's start bounds the
		// last heard word.
		cut := -1
		for _, m := range p.Marks {
			if m.At > played {
				cut = m.TextOffset
				break
			}
		}
		if cut < 0 {
			// Every mark was played but the piece was not: its last word
			// was reached, so keep all of it.
			add(p.Text)
		} else if cut > 0 && cut <= len(p.Text) {
			add(p.Text[:cut])
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
	stage brain.Stage
	err   error
	at    time.Time
	audio bool
	tool  pipeline.Event // msgTool: ToolStarted or ToolDone
}

type replyMsgKind int

const (
	msgDelta replyMsgKind = iota + 1
	msgError
	msgProduced
	msgTool
)

// reply is one assistant answer in production. The brain's goroutines
// only produce, through replyOutput; all state changes happen in the engine.
type reply struct {
	turnID  int
	uttID   int
	apology bool
	ctx     context.Context
	cancel  context.CancelFunc
	gate    *gate

	// spoken is written by the speaker as audio is queued, read by the
	// engine on interruption; the milestones are set by the brain before
	// the audio they time is queued, so the first playout always finds
	// them. All guarded by mu.
	mu         sync.Mutex
	spoken     []brain.Piece
	firstToken time.Time
	ttsFirst   time.Time
	ttsStart   time.Time
	// toolCalls are the ids of the tool results the reply used.
	toolCalls []string

	// engine-owned state
	text       strings.Builder
	produced   bool
	audio      bool
	playedDone bool
	firstAudio time.Time
	paused     bool
	started    time.Time
	// specAt is when a preemptive reply was asked for (zero otherwise);
	// its first-token time counts from there.
	specAt time.Time
}

// heard returns what the user heard after played of the reply's audio.
func (r *reply) heard(played time.Duration) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return heardText(r.spoken, played)
}

// replyOutput is the brain.Output of one reply: audio through the reply's
// gate, everything else as messages to the engine.
type replyOutput struct {
	r    *reply
	send func(replyMsg)
}

func (o replyOutput) Delta(text string) { o.send(replyMsg{reply: o.r, kind: msgDelta, text: text}) }

// Mark records a milestone at once (not through the engine's queue, which
// the first playout could overtake); the first of each kind counts.
func (o replyOutput) Mark(m brain.Milestone, at time.Time) {
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	var t *time.Time
	switch m {
	case brain.FirstToken:
		t = &o.r.firstToken
	case brain.SpeechStart:
		t = &o.r.ttsStart
	case brain.FirstAudio:
		t = &o.r.ttsFirst
	default:
		return
	}
	if t.IsZero() {
		*t = at
	}
}

func (o replyOutput) Audio(pcm []int16, rate int) error {
	return o.r.gate.enqueue(o.r.uttID, pcm, rate)
}

func (o replyOutput) Spoken(i int, p brain.Piece) {
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	if i < len(o.r.spoken) {
		o.r.spoken[i] = p
		return
	}
	o.r.spoken = append(o.r.spoken, p)
}

func (o replyOutput) Failed(stage brain.Stage, err error) {
	o.send(replyMsg{reply: o.r, kind: msgError, stage: stage, err: err})
}

var _ brain.ToolReporter = replyOutput{}

// ToolStarted implements brain.ToolReporter.
func (o replyOutput) ToolStarted(turnID int, c llm.ToolCall) {
	o.send(replyMsg{reply: o.r, kind: msgTool, tool: pipeline.ToolStarted{TurnID: turnID, CallID: c.ID, Name: c.Name, Arguments: c.Arguments}})
}

// ToolDone implements brain.ToolReporter.
func (o replyOutput) ToolDone(turnID int, c llm.ToolCall, result string, err error, took time.Duration) {
	ev := pipeline.ToolDone{TurnID: turnID, CallID: c.ID, Name: c.Name, Result: result, DurationMS: ms(took)}
	if err != nil {
		ev.Error = err.Error()
		ev.Cancelled = errors.Is(err, tools.ErrDeclined) || errors.Is(err, tools.ErrCancelled)
	}
	o.send(replyMsg{reply: o.r, kind: msgTool, tool: ev})
}

var _ brain.ToolUser = replyOutput{}

// ToolsUsed implements brain.ToolUser.
func (o replyOutput) ToolsUsed(_ int, ids []string) {
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	for _, id := range ids {
		if !slices.Contains(o.r.toolCalls, id) {
			o.r.toolCalls = append(o.r.toolCalls, id)
		}
	}
}

// usedTools returns the ids of the tool results the reply used.
func (r *reply) usedTools() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.toolCalls...)
}

func (o replyOutput) Produced(audio bool) {
	o.r.gate.end(o.r.uttID)
	o.send(replyMsg{reply: o.r, kind: msgProduced, audio: audio})
}
