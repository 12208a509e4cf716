package dialogue

import (
	"context"
	"errors"
	"fmt"
	"github.com/duplex-ai/duplex/tools"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/internal/echogate"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/stt"
	"github.com/duplex-ai/duplex/tts"
	"github.com/duplex-ai/duplex/vad"
)

// Assistant is the full-duplex dialogue pipeline: VAD → STT → LLM → TTS,
// with barge-in, backchannel tolerance, false-interruption resume,
// half-duplex mode, text input and memory. One engine goroutine per call
// owns all turn state.
type Assistant struct {
	opt Options
}

// NewAssistant checks the options and returns the pipeline.
func NewAssistant(opt Options) (*Assistant, error) {
	if opt.NewDetector == nil || (opt.Brain == nil && (opt.STT == nil || opt.LLM == nil || opt.TTS == nil)) {
		return nil, errors.New("dialogue: NewDetector and a Brain (or STT, LLM and TTS) are required")
	}
	if opt.Mode != "" && !opt.Mode.Valid() {
		return nil, fmt.Errorf("dialogue: mode %q: want %s or %s", opt.Mode, pipeline.ModeFullDuplex, pipeline.ModeHalfDuplex)
	}
	switch opt.EchoCancel {
	case "", EchoAuto, EchoOn, EchoOff:
	default:
		return nil, fmt.Errorf("dialogue: echo cancel %q: want auto, on or off", opt.EchoCancel)
	}
	opt.setDefaults()
	return &Assistant{opt: opt}, nil
}

// Name implements pipeline.Pipeline.
func (a *Assistant) Name() string { return "assistant" }

// Mode implements pipeline.Moder.
func (a *Assistant) Mode() pipeline.Mode { return a.opt.Mode }

// Engines implements pipeline.Pipeline.
func (a *Assistant) Engines() map[string]string {
	if a.opt.Brain != nil {
		return a.opt.Brain.Engines()
	}
	return (&Cascade{STT: a.opt.STT, LLM: a.opt.LLM, TTS: a.opt.TTS}).Engines()
}

// brain is the call's brain: Options.Brain, or the cascade of the
// options' engines on the call's clock.
func (a *Assistant) brain(clk clock.Clock) brain.Brain {
	if a.opt.Brain != nil {
		return a.opt.Brain
	}
	o := &a.opt
	return &Cascade{
		STT: o.STT, LLM: o.LLM, TTS: o.TTS,
		TTSOptions: tts.Options{Voice: o.Voice, Language: o.Language},
		LLMTimeout: o.LLMTimeout, TTSTimeout: o.TTSTimeout, MaxReplyChars: o.MaxReplyChars,
		Chunker: tts.ChunkerOptions{FirstMinChars: o.FirstPieceMinChars, FirstWords: o.FirstPieceWords},
		Clock:   clk,
		Tools:   o.Tools, ToolOptions: tools.Options{Timeout: o.ToolTimeout},
	}
}

// Run implements pipeline.Pipeline.
func (a *Assistant) Run(ctx context.Context, io *pipeline.IO) error {
	clk := a.opt.Clock
	if clk == nil {
		clk = io.Clock
	}
	if clk == nil {
		clk = clock.Real()
	}
	sess, err := a.brain(clk).NewSession(ctx)
	if err != nil {
		return fmt.Errorf("dialogue: brain: %w", err)
	}
	e := &engine{
		o:       &a.opt,
		clk:     clk,
		brain:   sess,
		io:      io,
		log:     io.Log,
		ctx:     ctx,
		det:     a.opt.NewDetector(),
		mode:    a.opt.Mode,
		system:  a.opt.SystemPrompt,
		hist:    history{window: a.opt.Memory, max: a.opt.MaxHistory},
		replyCh: make(chan replyMsg, 256),
		plays:   newPlayouts(firstFrame),
		sttCh:   make(chan sttResult, 4),
	}
	e.livePartials = hasLivePartials(sess)
	if sp, ok := sess.(brain.Speculator); ok && sp.Speculative() && a.opt.PreemptAt > 0 {
		_, e.specOK = e.det.(Tentative)
	}
	e.eyes = &eyes{video: io.Camera, maxW: a.opt.ImageMaxWidth, maxH: a.opt.ImageMaxHeight, q: a.opt.JPEGQuality, wait: a.opt.SnapshotWait, clk: clk, log: io.Log}
	io.Out.SetOnPlayout(e.plays.report)
	defer io.Out.SetOnPlayout(nil)
	if ro, ok := io.Out.(pipeline.ReferenceOut); ok && a.opt.EchoCancel != EchoOff {
		e.echo = echogate.New(echogate.Options{})
		ro.SetOnReference(e.echo.Reference)
		defer ro.SetOnReference(nil)
		defer func() {
			st := e.echo.Stats()
			e.log.Debug().Int("frames", st.Frames).Int("suppressed", st.Suppressed).Bool("locked", st.Locked).
				Dur("delay", st.Delay).Float64("gain_db", st.GainDB).Msg("echo gate")
		}()
	}
	return e.run()
}

type sttResult struct {
	turn *userTurn
	spec *speculation // set for a preemptive reply's transcript
	res  stt.Result
	err  error
	at   time.Time
}

// userTurn is the user's utterance being heard.
type userTurn struct {
	stream stt.Stream
	async  *asyncStream // stream, when opened by startUser
	// hint is the newest pushed partials' vad.Hint + 1 (0: none new).
	hint atomic.Uint32
	// The newest pushed partial of each live pass (notePartial) and the
	// generation of the stream they may come from (partialsOf).
	partMu            sync.Mutex
	partFirst, partLM string
	partGen           int
	ptt               bool
	// manual: client-committed turns; only CmdInputAudioCommit ends it.
	manual bool
	// committed: CmdInputAudioCommit ended it.
	committed bool
	// frames heard in a manual turn (capped at clientTurnMax).
	frames int
	// over is the reply that was playing when the user started; nil if none.
	over    *reply
	onset   time.Duration
	pauseAt time.Duration
	endWall time.Time
	endMS   float64
	endWait time.Duration // the adaptive wait that ended it (0: fixed silence)
	speech  time.Duration
	// keep: the turn's audio is kept in audio (preemptive replies: a
	// discarded speculation replays it into a new stream).
	keep      bool
	audio     []int16
	discarded int // speculations dropped because the user went on
	// replayed: the stream is a new one fed the turn's audio again; its
	// empty partial does not replace the hint until it has words.
	replayed bool
	// speculated: the turn ended with a speculation under way (its
	// recognition, and maybe its reply, began before the commit).
	speculated bool
}

type engine struct {
	o   *Options
	io  *pipeline.IO
	log zerolog.Logger
	ctx context.Context
	det Detector
	clk clock.Clock
	// brain produces replies; the engine keeps turn-taking.
	brain brain.Session

	mode     pipeline.Mode
	hintTick int // frames while the user speaks (hint)
	// system is this call's system prompt (the client may replace it).
	system string
	state  pipeline.State
	turnID int
	uttSeq int
	hist   history
	eyes   *eyes
	// echo discounts the assistant's own voice before turn detection (nil:
	// off, or the audio out reports no reference).
	echo  *echogate.Gate
	adapt stt.Adaptation // the caller's voice and channel, for the recognizer

	user *userTurn
	// finishing is the last ended user turn whose transcript has not come
	// back yet.
	finishing *userTurn
	ignoring  bool // half duplex: speech over the assistant is ignored
	// clientTurns: the client commits turns and asks for replies
	// (clientturns.go); held is a spoken turn's reply waiting for its
	// response.create, respondPending a response.create waiting for the
	// committed turn's transcript.
	clientTurns    bool
	held           func()
	respondPending bool
	reply          *reply
	metrics        *pipeline.Metrics
	resumeT        clock.Timer
	replyCh        chan replyMsg
	plays          *playouts
	playBuf        []playMsg
	sttCh          chan sttResult
	// spec is the preemptive reply being prepared for the user's turn;
	// specOK says whether the brain and options allow one.
	spec   *speculation
	specOK bool
	// livePartials: the brain's streams have words while the user still
	// speaks (stt.LivePartialer); it sets the false-interruption rule.
	livePartials bool
	wg           sync.WaitGroup
}

// hasLivePartials says whether v (an stt.Engine or a brain session)
// reports live partials; one that does not say has none.
func hasLivePartials(v any) bool {
	lp, ok := v.(stt.LivePartialer)
	return ok && lp.LivePartials()
}

func (e *engine) run() error {
	defer e.shutdown()
	e.setState(pipeline.StateListening)
	for {
		var resumeC <-chan time.Time
		if e.resumeT != nil {
			resumeC = e.resumeT.C()
		}
		select {
		case <-e.ctx.Done():
			e.endOfCall()
			return nil
		case f := <-e.io.Frames:
			e.onFrame(f)
		case cmd := <-e.io.Commands:
			e.onCommand(cmd)
		case r := <-e.sttCh:
			e.onTranscript(r)
		case m := <-e.replyCh:
			e.onReply(m)
		case <-e.plays.C():
			e.playBuf = e.plays.take(e.playBuf)
			for _, p := range e.playBuf {
				e.onPlay(p)
			}
		case <-resumeC:
			e.resumeT = nil
			e.onResumeTimeout()
		}
	}
}

// endOfCall records what the end of the call cut short, as a barge-in
// does: the reply in progress as interrupted at the playback position
// (with the call's close reason), then the user's unfinished turns (one
// being recognised, one being spoken) as partial transcripts of what the
// recogniser has.
func (e *engine) endOfCall() {
	reason := pipeline.EndReason(e.ctx)
	if reason == "" {
		reason = reasonEnded
	}
	if e.reply != nil {
		e.cutReply("ended", reason)
	}
	// A turn still being recognised, then the one still being spoken.
	turn := e.turnID
	for _, u := range []*userTurn{e.finishing, e.user} {
		if u != nil {
			turn++
			e.emit(pipeline.TranscriptFinal{TurnID: turn, Text: strings.TrimSpace(u.stream.Partial()), Partial: true})
		}
	}
}

// reasonEnded is the reason recorded when a pipeline's context ends
// without a pipeline.Ended cause.
const reasonEnded = "ended"

func (e *engine) shutdown() {
	e.dropSpec()
	if e.reply != nil {
		e.reply.cancel()
		e.reply.gate.close()
	}
	if e.user != nil && e.user.stream != nil {
		_ = e.user.stream.Close()
	}
	if e.resumeT != nil {
		e.resumeT.Stop()
	}
	e.wg.Wait()
	if err := e.adapt.Close(); err != nil { // the recogniser's per-call socket, joined
		e.log.Debug().Err(err).Msg("stt adaptation close")
	}
	if err := e.brain.Close(); err != nil {
		e.log.Debug().Err(err).Msg("brain close")
	}
}

func (e *engine) emit(ev pipeline.Event) { e.io.Emit(ev) }

func (e *engine) setState(s pipeline.State) {
	if e.state == s {
		return
	}
	e.state = s
	e.emit(pipeline.StateChanged{State: s, TurnID: e.turnID})
}

// ---- caller audio ----

func (e *engine) onFrame(f media.Frame) {
	if e.user != nil && (e.user.ptt || e.user.manual) {
		e.writeSTT(f.PCM)
		if e.user.manual {
			e.capClientTurn()
		}
		return
	}
	e.hint()
	pcm := f.PCM
	if e.echo != nil && (e.o.EchoCancel == EchoOn || e.mode == pipeline.ModeFullDuplex) {
		pcm = e.echo.Process(pcm, f.At, e.clk.Now())
	}
	evs := e.det.Push(pcm, f.At)
	now := f.At + media.FrameDuration
	if e.user != nil && len(evs) == 0 {
		e.writeSTT(f.PCM)
	}
	if u := e.user; u != nil && u.over != nil && u.over == e.reply && !e.reply.paused && now >= u.pauseAt {
		e.pauseReply()
	}
	for _, ev := range evs {
		e.onTurnEvent(ev, now)
	}
	e.preempt()
}

func (e *engine) onTurnEvent(ev vad.Event, now time.Duration) {
	decided := ev.DecidedAt
	if decided == 0 {
		decided = now
	}
	switch ev.Type {
	case vad.SpeechStarted:
		if e.reply != nil && e.mode == pipeline.ModeHalfDuplex {
			e.ignoring = true
			return
		}
		e.startUser(false, ev.At)
		if e.clientTurns {
			e.manualTurn()
		}
		if e.user != nil {
			e.writeSTT(e.det.PreRoll())
			if u := e.user; u.over != nil && now >= u.pauseAt {
				e.pauseReply()
			}
		}
	case vad.SpeechEnded:
		if e.ignoring {
			e.ignoring = false
			return
		}
		if e.user == nil {
			return
		}
		e.user.speech = ev.Duration
		e.user.endMS = ms(decided - ev.At)
		e.user.endWait = ev.Wait
		if s := e.spec; s != nil && s.turn == e.user && !s.committed {
			e.commitSpec(s)
			return
		}
		e.endUser()
	}
}

func (e *engine) writeSTT(pcm []int16) {
	u := e.user
	if u == nil || u.stream == nil || len(pcm) == 0 {
		return
	}
	if u.keep && len(u.audio)+len(pcm) <= maxPendingSamples {
		u.audio = append(u.audio, pcm...)
	}
	if e.spec != nil && e.spec.turn == u {
		return // the stream was finished for the speculation
	}
	if err := u.stream.Write(pcm); err != nil {
		e.log.Debug().Err(err).Msg("stt write")
	}
}

// startUser opens a user turn: an STT stream, state user_speaking. Over a
// reply in full duplex it becomes an interruption candidate.
func (e *engine) startUser(ptt bool, onset time.Duration) {
	if e.user != nil {
		return
	}
	// The stream lives as long as the call: cancelling its context would
	// abandon recognition. It opens off the engine goroutine (a pooled
	// recognizer may have to wait for a decoder); an open error comes back
	// from Finish as an STT failure of the turn.
	u := &userTurn{ptt: ptt, onset: onset, keep: e.specOK && !ptt}
	u.async = openAsync(e.ctx, e.brain.Hear, stt.StreamOptions{Language: e.o.Language, Adaptation: &e.adapt}, &e.wg, u.partialsOf(0))
	u.stream = u.async
	e.eyes.speaking(true)
	if e.reply != nil {
		u.over = e.reply
		u.pauseAt = onset + e.o.MinInterruption
	}
	e.user = u
	e.setState(pipeline.StateUserSpeaking)
	if ptt && e.reply != nil {
		// Push-to-talk is explicit: the reply stops at once.
		e.interrupt("interrupted")
	}
}

// endUser closes the user turn and finishes recognition off the engine
// goroutine.
func (e *engine) endUser() {
	u := e.user
	e.user = nil
	e.finishing = u
	u.endWall = e.clk.Now()
	e.eyes.speaking(false)
	if r := e.reply; r != nil && r.paused && u.over == r && !e.livePartials && !e.o.NoResume {
		// Without live partials the timer counts from the end of speech:
		// the transcript decides, or its absence resumes the reply. Armed
		// before the state event, so whoever sees the event sees the timer.
		e.armResume()
	}
	if r := e.reply; r != nil && !r.paused {
		e.setState(replyState(r)) // the reply went on (false interruption)
	} else {
		e.setState(pipeline.StateThinking)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	timer := e.clk.AfterFunc(e.o.STTTimeout, cancel)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer cancel()
		res, err := u.stream.Finish(ctx)
		timedOut := !timer.Stop() && e.ctx.Err() == nil
		_ = u.stream.Close()
		if err != nil && timedOut {
			err = fmt.Errorf("no transcript within %v: %w", e.o.STTTimeout, err)
		}
		select {
		case e.sttCh <- sttResult{turn: u, res: res, err: err, at: e.clk.Now()}:
		case <-e.ctx.Done():
		}
	}()
}

func (e *engine) onTranscript(r sttResult) {
	if r.spec != nil {
		e.onSpecTranscript(r)
		return
	}
	u := r.turn
	if u == e.finishing {
		e.finishing = nil
	}
	overReply := u.over != nil && u.over == e.reply
	if u.committed && (r.err != nil || strings.TrimSpace(r.res.Text) == "") {
		e.emit(pipeline.NothingHeard{})
		e.nothingToAnswer()
	}
	if r.err != nil {
		if e.ctx.Err() != nil {
			return
		}
		if overReply {
			e.resume()
		}
		e.stageError(brain.StageSTT, r.err)
		return
	}
	text := strings.TrimSpace(r.res.Text)
	if overReply {
		if text == "" || (isBackchannel(text) && !e.o.NoResume) {
			e.log.Debug().Str("heard", text).Msg("not an interruption: resuming")
			e.resume()
			return
		}
		e.interrupt("interrupted")
	}
	if text == "" {
		if e.reply == nil && e.user == nil {
			e.setState(pipeline.StateListening)
		}
		return
	}
	m := &pipeline.Metrics{
		EndpointMS:            u.endMS,
		STTMS:                 max(0, ms(r.at.Sub(u.endWall))), // 0: finished during a speculation
		SpeechDurationMS:      ms(u.speech),
		DiscardedSpeculations: u.discarded,
		Speculative:           u.speculated,
	}
	splitEndpoint(m, u.endWait, e.o.FixedSilence)
	e.newTurn(text, &r.res, m, u.endWall)
}

// ---- client commands ----

func (e *engine) onCommand(c pipeline.Command) {
	if c.Kind == pipeline.CmdInputText || c.Kind == pipeline.CmdInputAudioStart || (c.Kind == pipeline.CmdConfigure && c.Turn != nil) {
		e.discardSpec() // the turn being spoken is superseded or forgotten
	}
	switch c.Kind {
	case pipeline.CmdInputText:
		e.eyes.setStill(c.Image)
		e.newTurn(c.Text, nil, &pipeline.Metrics{}, e.clk.Now())
	case pipeline.CmdResponseCancel:
		if e.reply != nil {
			e.interrupt("cancelled")
			if e.user == nil {
				e.setState(pipeline.StateListening)
			}
		}
	case pipeline.CmdSessionUpdate:
		e.mode = c.Mode
		e.log.Info().Str("mode", string(c.Mode)).Msg("mode changed")
		e.emit(pipeline.ModeChanged{Mode: e.mode})
	case pipeline.CmdConfigure:
		if c.Instructions != nil {
			e.system = *c.Instructions
			e.log.Info().Int("chars", len(e.system)).Msg("instructions changed")
		}
		if c.Turn != nil {
			e.tune(*c.Turn)
		}
		if c.ClientTurns != nil {
			e.setClientTurns(*c.ClientTurns)
		}
	case pipeline.CmdInputAudioCommit:
		e.commitTurn()
	case pipeline.CmdInputAudioClear:
		e.clearTurn()
	case pipeline.CmdResponseCreate:
		e.respond()
	case pipeline.CmdInputImage:
		e.eyes.setStill(c.Image)
	case pipeline.CmdInputAudioStart:
		if e.user != nil && !e.user.ptt {
			e.user.ptt = true
			return
		}
		e.det.Reset()
		e.startUser(true, 0)
	case pipeline.CmdInputAudioStop:
		if e.user != nil && e.user.ptt {
			e.det.Reset()
			e.endUser()
		}
	}
}

// tune applies a client's turn-detection settings to this call's
// detector (rebuilt: speech in progress is forgotten).
func (e *engine) tune(ts pipeline.TurnSettings) {
	t, ok := e.det.(Tunable)
	if !ok {
		e.emit(pipeline.Error{Code: pipeline.CodeUnsupported, Message: "this pipeline's turn detector cannot be tuned"})
		return
	}
	if err := t.Tune(ts); err != nil {
		e.emit(pipeline.Error{Code: pipeline.CodeBadMessage, Message: "turn detection: " + err.Error()})
		return
	}
	e.log.Info().Float64("threshold", ts.Threshold).Dur("prefix", ts.PrefixPadding).Dur("silence", ts.Silence).Msg("turn detection tuned")
}

// ---- replies ----

// newTurn records the user's words and starts the reply; heard is the
// recogniser's result, nil for typed input.
func (e *engine) newTurn(text string, heard *stt.Result, m *pipeline.Metrics, endWall time.Time) {
	// A spoken turn the client commits waits for its response.create.
	hold := heard != nil && e.clientTurns && !e.respondPending
	// A new turn supersedes a reply still in progress (a typed turn's,
	// when the user had started speaking before it).
	if e.reply != nil && !hold {
		e.interrupt("interrupted")
	}
	e.discardSpec()
	e.turnID++
	now := e.clk.Now()
	ev := pipeline.TranscriptFinal{TurnID: e.turnID, Text: text}
	msg := llm.Message{Role: llm.RoleUser, Text: text, At: now}
	if heard != nil {
		understood := !heard.NotUnderstood
		ev.Understood = &understood
		msg.NotUnderstood, msg.Confidence = heard.NotUnderstood, heard.Confidence
	}
	e.emit(ev)
	e.hist.add(msg)
	e.hist.trim(now)
	// The camera as the user spoke: speech ended EndpointMS before the turn did.
	to := endWall.Add(-time.Duration(m.EndpointMS * float64(time.Millisecond)))
	w := window{from: to.Add(-time.Duration(m.SpeechDurationMS * float64(time.Millisecond))), to: to}
	start := func(endWall time.Time) {
		req := llm.Request{
			System:   e.system,
			History:  e.hist.snapshot(),
			Now:      now,
			Language: e.o.Language,
		}
		e.metrics = m
		e.eyes.turn = w
		e.startReply(req, "", false, endWall, func(ctx context.Context) (cur, prev *llm.Image) { return e.eyes.look(ctx, w) })
	}
	e.held, e.respondPending = nil, false
	if hold {
		// Its latency counts from the client's response.create.
		e.held = func() { start(e.clk.Now()) }
		if e.reply == nil && e.user == nil {
			e.setState(pipeline.StateListening)
		}
	} else {
		start(endWall)
	}
	if e.o.Metrics != nil {
		e.o.Metrics.Turns.Inc()
	}
}

func (e *engine) startReply(req llm.Request, fixed string, apology bool, endWall time.Time, look func(context.Context) (cur, prev *llm.Image)) {
	r := e.newReply(e.turnID, apology, endWall, false)
	e.reply = r
	if e.user == nil {
		e.setState(pipeline.StateThinking)
	}
	breq := brain.Request{TurnID: r.turnID, LLM: req, Say: fixed, Look: look}
	if look != nil {
		w := e.eyes.turn
		breq.Frames = func(context.Context) []*llm.Image { return e.eyes.frames(w) }
		breq.Latest = e.eyes.latest
	}
	e.launch(r, breq)
}

// newReply makes a reply of turnID under its own context; a held one
// keeps its audio until released (a preemptive reply).
func (e *engine) newReply(turnID int, apology bool, started time.Time, held bool) *reply {
	e.uttSeq++
	ctx, cancel := context.WithCancel(e.ctx)
	return &reply{
		turnID:  turnID,
		uttID:   e.uttSeq,
		apology: apology,
		ctx:     ctx,
		cancel:  cancel,
		gate:    newGate(e.io.Out, held),
		started: started,
	}
}

// launch runs the brain's Respond for r on a goroutine of its own.
func (e *engine) launch(r *reply, breq brain.Request) {
	out := replyOutput{r: r, send: func(m replyMsg) {
		select {
		case e.replyCh <- m:
		case <-e.ctx.Done():
		}
	}}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer r.cancel()
		e.brain.Respond(r.ctx, breq, out)
	}()
}

func (e *engine) onReply(m replyMsg) {
	r := m.reply
	if m.kind == msgTool {
		e.onTool(m.tool) // a tool call outlives the reply that asked for it
		return
	}
	if s := e.spec; s != nil && r == s.reply {
		e.onSpecReply(s, m)
		return
	}
	if r != e.reply {
		return // a cancelled reply's late news
	}
	switch m.kind {
	case msgDelta:
		r.text.WriteString(m.text)
		e.emit(pipeline.ReplyDelta{TurnID: r.turnID, Text: m.text})
	case msgError:
		e.replyFailed(r, m.stage, m.err)
	case msgProduced:
		r.produced, r.audio = true, m.audio
		if !r.audio || r.playedDone {
			e.finishReply(r)
		}
	}
}

func (e *engine) onPlay(p playMsg) {
	r := e.reply
	if r == nil || p.id != r.uttID {
		return
	}
	if r.firstAudio.IsZero() {
		r.firstAudio = e.clk.Now()
		if e.user == nil && !r.paused {
			e.setState(pipeline.StateSpeaking)
		}
		e.emitMetrics(r)
	}
	if p.done {
		r.playedDone = true
		if r.produced {
			e.finishReply(r)
		}
	}
}

func (e *engine) emitMetrics(r *reply) {
	m := e.metrics
	if m == nil || r.apology {
		return
	}
	e.metrics = nil
	m.LatencyMS = m.EndpointMS + ms(r.firstAudio.Sub(r.started))
	r.mu.Lock()
	firstToken, ttsStart, ttsFirst := r.firstToken, r.ttsStart, r.ttsFirst
	r.mu.Unlock()
	switch {
	case firstToken.IsZero():
	case !r.specAt.IsZero():
		m.LLMFirstTokenMS = ms(firstToken.Sub(r.specAt))
	default:
		m.LLMFirstTokenMS = ms(firstToken.Sub(r.started)) - m.STTMS
	}
	if !ttsFirst.IsZero() && !ttsStart.IsZero() {
		m.TTSFirstAudioMS = ms(ttsFirst.Sub(ttsStart))
	}
	e.emit(pipeline.TurnMetrics{TurnID: r.turnID, Metrics: *m})
	if mt := e.o.Metrics; mt != nil {
		mt.TurnLatency.Observe(m.LatencyMS / 1000)
		mt.StageSeconds.WithLabelValues("endpoint").Observe(m.EndpointMS / 1000)
		mt.StageSeconds.WithLabelValues("stt").Observe(m.STTMS / 1000)
		mt.StageSeconds.WithLabelValues("llm_ttft").Observe(m.LLMFirstTokenMS / 1000)
		mt.StageSeconds.WithLabelValues("tts_ttfb").Observe(m.TTSFirstAudioMS / 1000)
	}
}

// finishReply: everything was produced and played.
func (e *engine) finishReply(r *reply) {
	text := strings.TrimSpace(r.text.String())
	e.emit(pipeline.ReplyDone{TurnID: r.turnID, Text: text, ToolCalls: r.usedTools()})
	if !r.apology && text != "" {
		e.hist.add(llm.Message{Role: llm.RoleAssistant, Text: text, At: e.clk.Now()})
	}
	e.reply = nil
	e.stopResumeTimer()
	if e.user == nil {
		e.setState(pipeline.StateListening)
	}
}

// pauseReply holds the reply's audio at once: the user may be
// interrupting. What they say decides between resume and interrupt.
func (e *engine) pauseReply() {
	r := e.reply
	if r == nil || r.paused {
		return
	}
	r.paused = true
	e.io.Out.Pause()
	switch {
	case e.o.NoResume:
		e.interrupt("interrupted")
	case e.livePartials:
		// Speech that brings no partial within the timeout is noise.
		e.armResume()
	default:
		// No words can show before the speech ends: endUser arms it.
		e.stopResumeTimer()
	}
}

// armResume (re)starts the false-interruption timer.
func (e *engine) armResume() {
	e.stopResumeTimer()
	e.resumeT = e.clk.NewTimer(e.o.FalseInterruptionTimeout)
}

// resume continues a paused reply (backchannel, noise, false interruption).
func (e *engine) resume() {
	r := e.reply
	e.stopResumeTimer()
	if r == nil || !r.paused {
		return
	}
	r.paused = false
	e.io.Out.Resume()
	if e.o.Metrics != nil {
		e.o.Metrics.Interruptions.WithLabelValues("resumed").Inc()
	}
	if e.user == nil {
		e.setState(replyState(r))
	}
}

// replyState is the state shown while r is under way.
func replyState(r *reply) pipeline.State {
	if r.firstAudio.IsZero() {
		return pipeline.StateThinking
	}
	return pipeline.StateSpeaking
}

func (e *engine) onResumeTimeout() {
	r := e.reply
	if r == nil || !r.paused {
		return
	}
	if u := e.user; u != nil && u.over == r && (!e.livePartials || u.stream.Partial() != "") {
		// Words are coming, or may be (a stream without live partials
		// has none before the speech ends): wait for the transcript.
		return
	}
	e.log.Debug().Msg("false interruption: resuming")
	if u := e.user; u != nil && u.over == r {
		u.over = nil // whatever it turns out to be, the reply goes on
	}
	e.resume()
}

func (e *engine) stopResumeTimer() {
	if e.resumeT != nil {
		e.resumeT.Stop()
		e.resumeT = nil
	}
}

// interrupt ends the current reply: cancel production, drop queued audio,
// keep only what the user heard.
func (e *engine) interrupt(outcome string) { e.cutReply(outcome, "") }

// cutReply interrupts the current reply; reason is empty for the user's
// barge-in or cancel, else why the call ended (reply.interrupted's reason).
func (e *engine) cutReply(outcome, reason string) {
	r := e.reply
	if r == nil {
		return
	}
	r.cancel()
	r.gate.close()
	e.io.Out.ClearQueue()
	e.io.Out.Resume()
	e.stopResumeTimer()
	played := e.io.Out.Played(r.uttID)
	heard := r.heard(played)
	e.brain.Truncate(r.turnID, played, heard)
	e.emit(pipeline.ReplyInterrupted{TurnID: r.turnID, Heard: heard, Text: strings.TrimSpace(r.text.String()), Reason: reason, PlayedMS: ms(played), ToolCalls: r.usedTools()})
	if !r.apology && heard != "" {
		e.hist.add(llm.Message{Role: llm.RoleAssistant, Text: heard, Interrupted: true, At: e.clk.Now()})
	}
	e.reply = nil
	if e.o.Metrics != nil {
		e.o.Metrics.Interruptions.WithLabelValues(outcome).Inc()
	}
}

// replyFailed turns a backend failure into an error event and a spoken
// apology; the call goes on.
func (e *engine) replyFailed(r *reply, stage brain.Stage, err error) {
	e.log.Warn().Str("stage", string(stage)).Err(err).Msg("reply failed")
	played := e.io.Out.Played(r.uttID) > 0
	r.cancel()
	r.gate.close()
	if !played {
		e.io.Out.ClearQueue()
	}
	e.reply = nil
	e.stageError(stage, err)
	if r.apology {
		return
	}
	if e.user == nil {
		e.setState(pipeline.StateListening)
	}
}

// stageError reports a failed stage and apologises aloud.
func (e *engine) stageError(stage brain.Stage, err error) {
	if e.o.Metrics != nil {
		e.o.Metrics.Errors.WithLabelValues(string(stage)).Inc()
	}
	e.emit(pipeline.Error{Code: pipeline.CodeBackendFailed, Message: string(stage) + ": " + err.Error()})
	if stage == brain.StageTTS || e.reply != nil {
		if e.user == nil && e.reply == nil {
			e.setState(pipeline.StateListening)
		}
		return
	}
	what := map[brain.Stage]string{brain.StageSTT: "understanding you", brain.StageLLM: "thinking of an answer", brain.StageModel: "answering you"}[stage]
	e.startReply(llm.Request{}, "Sorry, I had a problem "+what+". Please try again.", true, e.clk.Now(), nil)
}

// onTool shows a tool call; a failed one is also an error event (the
// brain speaks the apology; the call goes on).
func (e *engine) onTool(ev pipeline.Event) {
	e.emit(ev)
	if d, ok := ev.(pipeline.ToolDone); ok && d.Error != "" && !d.Cancelled {
		e.log.Warn().Str("tool", d.Name).Str("id", d.CallID).Str("err", d.Error).Msg("tool call failed")
		if e.o.Metrics != nil {
			e.o.Metrics.Errors.WithLabelValues("tool").Inc()
		}
		e.emit(pipeline.Error{Code: pipeline.CodeBackendFailed, Message: "tool " + d.Name + ": " + d.Error})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
