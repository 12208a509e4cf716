package clients

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/dialogue"
	"github.com/duplex-ai/duplex/internal/wav"
	"github.com/duplex-ai/duplex/llm"
	"github.com/duplex-ai/duplex/llm/local"
	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/signaling"
	"github.com/duplex-ai/duplex/stt/sphinx"
	"github.com/duplex-ai/duplex/tts/espeak"
	"github.com/duplex-ai/duplex/vad"
)

// The live tests: each official client, in Chromium with a spoken fake
// microphone, against a real Duplex server (signaling, session and the
// offline assistant in process; loopback only). The microphone says
// "what time is it", waits for the answer, asks for a story and, while
// the story is being told, says "stop talking please" (twice). What the
// tests assert is the protocols' behaviour, not what pocketsphinx makes
// of espeak-ng: a user transcript with some text, a reply, its audio and
// an interruption (storyTeller makes the reply to interrupt long
// whatever was heard).

// assistant is the server's default offline assistant (pocketsphinx,
// the local language model, espeak-ng), as cmd/duplex builds it.
func assistant(t *testing.T) *dialogue.Assistant {
	t.Helper()
	s, err := sphinx.NewEngine(sphinx.Options{})
	if err != nil {
		skipOrFail(t, fmt.Sprintf("offline STT: %v (make test installs pocketsphinx)", err))
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Warm(t.Context()); err != nil {
		t.Fatalf("offline STT: %v", err)
	}
	tt, err := espeak.New(espeak.Options{})
	if err != nil {
		skipOrFail(t, fmt.Sprintf("offline TTS: %v (make test installs libespeak-ng-dev)", err))
	}
	t.Cleanup(func() { _ = tt.Close() })
	det, err := dialogue.VADFactory(vad.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := dialogue.NewAssistant(dialogue.Options{STT: s, LLM: storyTeller{local.New(local.Options{})}, TTS: tt, NewDetector: det, Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// storyTeller is the offline language model scripted so that the live
// conversation has the same shape whatever pocketsphinx hears: the first
// user turn gets the model's own answer, later spoken turns a long story
// until one reply has been interrupted, then "Okay."; the typed
// questions (the date, what it sees, what was said) keep their answers.
type storyTeller struct{ *local.Engine }

func (s storyTeller) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	n := len(req.History)
	if n == 0 || req.History[n-1].Role != llm.RoleUser {
		return s.Engine.Stream(ctx, req)
	}
	users, cut := 0, false
	for _, m := range req.History {
		if m.Role == llm.RoleUser {
			users++
		}
		cut = cut || (m.Role == llm.RoleAssistant && m.Interrupted)
	}
	if skill, _, err := s.Reply(req); users == 1 || (err == nil && (skill == "date" || skill == "camera" || skill == "repeat-me")) {
		return s.Engine.Stream(ctx, req)
	}
	say := "tell me a story"
	if cut {
		say = "okay"
	}
	r := req
	r.History = append([]llm.Message(nil), req.History...)
	// As if heard clearly: the model quotes a turn it did not understand.
	r.History[n-1].Text, r.History[n-1].NotUnderstood, r.History[n-1].Confidence = say, false, 1
	return s.Engine.Stream(ctx, r)
}

// liveServer serves the test page and bundle beside a real Duplex
// signaling server on one origin.
func liveServer(t *testing.T, bundle string) string {
	t.Helper()
	file := bundlePath(t, bundle)
	lvl := zerolog.WarnLevel
	if l, err := zerolog.ParseLevel(os.Getenv("DUPLEX_TEST_LOG")); err == nil && l != zerolog.NoLevel {
		lvl = l // DUPLEX_TEST_LOG=debug shows the engine's turn decisions
	}
	logs := &testLog{t: t}
	t.Cleanup(logs.stop) // runs last: pion may log while the calls close
	mgr, err := session.NewManager(session.Config{Pipeline: assistant(t), IncludeLoopback: true,
		Log: zerolog.New(zerolog.ConsoleWriter{Out: logs, NoColor: true, TimeFormat: "15:04:05.000"}).Level(lvl).With().Timestamp().Logger()})
	if err != nil {
		t.Fatal(err)
	}
	sig := signaling.New(mgr, signaling.Options{Log: zerolog.Nop()})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self' blob: data:; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; connect-src 'self'")
		fmt.Fprintf(w, page+statsJS, bundle)
	})
	mux.HandleFunc("GET /bundle/"+bundle+".js", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, file) })
	mux.Handle("/", sig)
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		_ = mgr.Close(session.ReasonServerShutdown)
	})
	return hs.URL
}

// testLog writes the server's log to the test log until stop.
type testLog struct {
	t       *testing.T
	mu      sync.Mutex
	stopped bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (l *testLog) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}

// statsJS adds inboundEnergy(pc): the received audio's totalAudioEnergy
// (WebRTC stats), which grows while reply audio arrives.
const statsJS = `<script>
async function inboundEnergy(pc) {
  let e = 0;
  (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') e += s.totalAudioEnergy || 0; });
  return e;
}
</script>`

// conversationWAV renders the microphone: the question, a pause long
// enough for the answer, a request for a story, and a barge-in over it.
// It returns the file and when its last phrase ends.
func conversationWAV(t *testing.T) (string, time.Duration) {
	return micWAV(t, func(say func(string) []int16, quiet func(time.Duration) []int16) [][]int16 {
		return [][]int16{
			quiet(time.Second), say("What time is it?"), quiet(7 * time.Second),
			say("Tell me a story."), quiet(4 * time.Second),
			// Said twice: under load (make test runs -race beside other
			// packages) the first may land before the story starts or go unheard.
			say("Stop talking please."), quiet(4 * time.Second),
			say("Stop talking please."), quiet(30 * time.Second),
		}
	})
}

// micWAV writes the fake microphone's file (48 kHz) from the pieces
// parts makes with espeak-ng phrases and silences; it returns the file and
// when the speech in it ends.
func micWAV(t *testing.T, parts func(say func(string) []int16, quiet func(time.Duration) []int16) [][]int16) (string, time.Duration) {
	t.Helper()
	espeakPath, err := exec.LookPath("espeak-ng")
	if err != nil {
		skipOrFail(t, "espeak-ng not found (make test installs it)")
	}
	const rate = 48000
	dir := t.TempDir()
	say := func(text string) []int16 {
		raw := filepath.Join(dir, "say.wav")
		if out, err := exec.Command(espeakPath, "-v", "en-us", "-s", "150", "-w", raw, text).CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v %s", err, out)
		}
		pcm, r, err := wav.ReadFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		if pcm, err = media.Resample(pcm, r, rate); err != nil {
			t.Fatal(err)
		}
		return pcm
	}
	quiet := func(d time.Duration) []int16 { return make([]int16, int(d*rate/time.Second)) }
	var pcm []int16
	for _, p := range parts(say, quiet) {
		pcm = append(pcm, p...)
	}
	path := filepath.Join(dir, "mic.wav")
	if err := wav.WriteFile(path, pcm, rate); err != nil {
		t.Fatal(err)
	}
	end := len(pcm)
	for end > 0 && pcm[end-1] == 0 {
		end--
	}
	return path, time.Duration(end) * time.Second / rate
}

// poll evaluates js (returning a JSON value or null) every 250 ms until
// it is not null or timeout passes.
func (b *browser) poll(what string, timeout time.Duration, js string, out any) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var raw any
		b.eval(js, &raw)
		if raw != nil {
			b.eval(js, out)
			return
		}
		if time.Now().After(deadline) {
			var log any
			b.eval(`window.__log || null`, &log)
			b.t.Fatalf("timed out after %s waiting for %s; client log: %v", timeout, what, log)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

var chromiumMu sync.Mutex // one live call at a time: the machine is small

// TestOpenAIAgentsSDKLive: the Agents SDK's RealtimeSession, on an ek_ key
// minted by the server, holds a spoken conversation with Duplex.
func TestOpenAIAgentsSDKLive(t *testing.T) {
	chromiumMu.Lock()
	defer chromiumMu.Unlock()
	url := liveServer(t, "openai")
	mic, speechEnd := conversationWAV(t)
	b := newBrowserMic(t, url+"/", mic)
	var key string
	b.eval(`(async () => {
		const r = await fetch('/v1/realtime/client_secrets', { method: 'POST', headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ session: { type: 'realtime', instructions: 'Be brief.' } }) });
		return (await r.json()).value;
	})()`, &key)
	if !strings.HasPrefix(key, "ek_") {
		t.Fatalf("minted key %q", key)
	}
	var connected string
	b.eval(`(async () => {
		const m = window.DuplexOpenAI;
		window.__log = [];
		const agent = new m.RealtimeAgent({ name: 'duplex-test', instructions: 'Be brief.' });
		const session = new m.RealtimeSession(agent);
		window.__session = session;
		session.on('transport_event', (e) => { if (e.type !== 'response.output_audio_transcript.delta') window.__log.push(e.type); });
		session.on('error', (e) => window.__log.push('error: ' + JSON.stringify(e.error && e.error.error || e.error || e)));
		await session.connect({ apiKey: '`+key+`', url: location.origin + '/v1/realtime/calls' });
		window.__t0 = performance.now(); // the microphone started before
		return session.transport.status;
	})()`, &connected)
	if connected != "connected" {
		t.Fatalf("status %q after connect", connected)
	}
	// The first turn, as the SDK's history reports it.
	const firstTurn = `(() => {
		const h = window.__session.history.filter((i) => i.type === 'message');
		const u = h.find((i) => i.role === 'user' && i.content[0] && i.content[0].transcript);
		const a = h.find((i) => i.role === 'assistant' && i.status === 'completed' && i.content[0] && i.content[0].transcript);
		return u && a ? { user: u.content[0].transcript, reply: a.content[0].transcript } : null;
	})()`
	var turn struct{ User, Reply string }
	b.poll("the first turn in the SDK's history", 40*time.Second, firstTurn, &turn)
	t.Logf("history: user %q, assistant %q", turn.User, turn.Reply)
	if strings.TrimSpace(turn.User) == "" || strings.TrimSpace(turn.Reply) == "" {
		t.Errorf("first turn %+v: want the user's transcript and a reply", turn)
	}
	var energy float64
	b.eval(`inboundEnergy(window.__session.transport.connectionState.peerConnection)`, &energy)
	t.Logf("reply audio: totalAudioEnergy %.4g", energy)
	if energy <= 0 {
		t.Errorf("no reply audio received (totalAudioEnergy %v)", energy)
	}
	// The story is cut by "stop talking please": the SDK sees the buffer
	// cleared and the reply kept as heard (incomplete).
	const interrupted = `(() => {
		const a = window.__session.history.find((i) => i.type === 'message' && i.role === 'assistant' && i.status === 'incomplete');
		return a && window.__log.includes('output_audio_buffer.cleared') ? { reply: (a.content[0] && a.content[0].transcript) || '' } : null;
	})()`
	var cut struct{ Reply string }
	b.poll("an interrupted reply in the SDK's history", 40*time.Second, interrupted, &cut)
	t.Logf("interrupted reply as heard: %q", cut.Reply)
	// After the barge-in's own answer the audio stops: no reply energy
	// arrives while nobody speaks (the story would go on for half a minute).
	b.poll("the bot to fall silent after the barge-in", 40*time.Second, settledJS(`(l) => {
		const started = l.lastIndexOf('output_audio_buffer.started');
		return l.lastIndexOf('output_audio_buffer.stopped') > started || l.lastIndexOf('output_audio_buffer.cleared') > started;
	}`, speechEnd), new(bool))
	b.expectQuiet(`window.__session.transport.connectionState.peerConnection`, energy)
	// Typed input: sendMessage (conversation.item.create + response.create).
	b.eval(`(async () => { window.__session.sendMessage('What is the date?'); return true; })()`, new(bool))
	var typed struct{ Reply string }
	b.poll("the answer to a typed message", 30*time.Second, `(() => {
		const h = window.__session.history.filter((i) => i.type === 'message');
		const u = h.findIndex((i) => i.role === 'user' && i.content[0] && i.content[0].type === 'input_text');
		// A late answer to the mic may come first; the date must follow.
		const a = u >= 0 && h.slice(u + 1).find((i) => i.role === 'assistant' && i.status === 'completed' &&
			/^Today is /.test(i.content[0] && i.content[0].transcript));
		return a ? { reply: a.content[0].transcript } : null;
	})()`, &typed)
	if !strings.HasPrefix(typed.Reply, "Today is ") {
		t.Errorf("typed question answered %q, want the date", typed.Reply)
	}
	// A still from the client (session.addImage: an input_image item) is
	// what the next turn sees.
	b.eval(`(async () => {
		const c = document.createElement('canvas');
		c.width = 64; c.height = 48;
		const g = c.getContext('2d');
		g.fillStyle = '#e01010';
		g.fillRect(0, 0, 64, 48);
		window.__session.addImage(c.toDataURL('image/png'), { triggerResponse: false });
		window.__session.sendMessage('What do you see?');
		return true;
	})()`, new(bool))
	var seen struct{ Reply string }
	b.poll("the answer about the picture", 30*time.Second, `(() => {
		const h = window.__session.history.filter((i) => i.type === 'message');
		const u = h.findIndex((i) => i.role === 'user' && i.content.some((p) => p.type === 'input_text' && /see/.test(p.text)));
		const a = u >= 0 && h.slice(u + 1).find((i) => i.role === 'assistant' && i.status === 'completed');
		return a ? { reply: (a.content[0] && a.content[0].transcript) || '' } : null;
	})()`, &seen)
	t.Logf("answer about the client's picture: %q", seen.Reply)
	if !strings.Contains(strings.ToLower(seen.Reply), "red") {
		t.Errorf("the client's red picture was described as %q", seen.Reply)
	}
	var log []string
	b.eval(`window.__log`, &log)
	var hist []string
	b.eval(`window.__session.history.filter((i) => i.type === 'message').map((i) => i.role + ' ' + i.status + ': ' + ((i.content[0] && (i.content[0].transcript || i.content[0].text)) || ''))`, &hist)
	t.Logf("history: %q", hist)
	for i, want := range []string{"output_audio_buffer.cleared", "response.done", "conversation.item.truncated"} {
		if !containsAfter(log, want, "output_audio_buffer.cleared") {
			t.Errorf("event %d %s missing after the barge-in: %v", i, want, log)
		}
	}
	for _, l := range log {
		if strings.HasPrefix(l, "error: ") {
			t.Errorf("the SDK reported %s", l)
		}
	}
	b.eval(`(async () => { window.__session.close(); return true; })()`, new(bool))
}

// settledJS is a poll expression: true once the microphone's last phrase
// (it ends at speechEnd) is over, window.__log has not changed for 5 s
// (longer than the pause between the two barge-in phrases) and done(log)
// holds: the conversation has come to rest (the offline STT may also
// split a barge-in into several turns, and a slow machine delay them).
func settledJS(done string, speechEnd time.Duration) string {
	return `(() => {
		const l = window.__log, now = performance.now();
		if (now - window.__t0 < ` + fmt.Sprint(speechEnd.Milliseconds()) + `) return null;
		if (window.__n !== l.length) { window.__n = l.length; window.__since = now; return null; }
		return now - window.__since > 5000 && (` + done + `)(l) ? true : null;
	})()`
}

// expectQuiet checks that almost no audio energy arrives on pc (a JS
// expression) over 1.5 s, against ref, the energy of the first reply.
func (b *browser) expectQuiet(pc string, ref float64) {
	b.t.Helper()
	var e struct{ Before, After float64 }
	b.eval(`(async () => {
		const pc = `+pc+`;
		await new Promise((r) => setTimeout(r, 1500)); // playout and the jitter buffer drain
		const before = await inboundEnergy(pc);
		await new Promise((r) => setTimeout(r, 1500));
		return { before, after: await inboundEnergy(pc) };
	})()`, &e)
	b.t.Logf("reply audio energy over 1.5 s after the bot stopped: %.3g (first reply: %.3g)", e.After-e.Before, ref)
	if e.After-e.Before > 0.05*ref {
		b.t.Errorf("audio keeps arriving after the bot stopped: %.3g in 1.5 s (first reply %.3g)", e.After-e.Before, ref)
	}
}

// containsAfter reports whether want occurs at or after the first from.
func containsAfter(log []string, want, from string) bool {
	for i, l := range log {
		if l == from {
			for _, m := range log[i:] {
				if m == want {
					return true
				}
			}
			return false
		}
	}
	return false
}

// TestPipecatClientLive: Pipecat's client-js on the SmallWebRTC transport
// (offline media manager) holds a spoken conversation with Duplex.
func TestPipecatClientLive(t *testing.T) {
	chromiumMu.Lock()
	defer chromiumMu.Unlock()
	url := liveServer(t, "pipecat")
	mic, speechEnd := conversationWAV(t)
	b := newBrowserMic(t, url+"/", mic)
	var ready string
	b.eval(`(async () => {
		const m = window.DuplexPipecat;
		window.__log = [];
		window.__user = [];
		window.__bot = [];
		const log = (s) => window.__log.push(s);
		const transport = m.createTransport();
		window.__transport = transport;
		const client = new m.PipecatClient({ transport, enableMic: true, enableCam: false, callbacks: {
			onUserStartedSpeaking: () => log('user-started-speaking'),
			onUserStoppedSpeaking: () => log('user-stopped-speaking'),
			onBotStartedSpeaking: () => log('bot-started-speaking'),
			onBotStoppedSpeaking: () => log('bot-stopped-speaking'),
			onUserTranscript: (d) => { if (d.final) window.__user.push(d.text); },
			onBotOutput: (d) => window.__bot.push(d.text),
			onError: (e) => log('error: ' + JSON.stringify(e.data || e)),
			// The app plays the bot's track (the media manager does not).
			onTrackStarted: (track, p) => {
				if (p && p.local || track.kind !== 'audio') return;
				const a = new Audio();
				a.srcObject = new MediaStream([track]);
				a.play();
			},
		} });
		window.__client = client;
		const r = await client.connect({ webrtcRequestParams: { endpoint: location.origin + '/api/offer' } });
		window.__t0 = performance.now(); // the microphone started before
		return (r && r.version) || client.state;
	})()`, &ready)
	t.Logf("connected: %s", ready)
	const firstTurn = `(() => {
		const u = window.__user.find((s) => s.trim() !== '');
		return u && window.__bot.length ? { user: u, reply: window.__bot[0] } : null; // one sentence
	})()`
	var turn struct{ User, Reply string }
	b.poll("the first turn through client-js callbacks", 40*time.Second, firstTurn, &turn)
	t.Logf("callbacks: user %q, bot %q", turn.User, turn.Reply)
	if strings.TrimSpace(turn.User) == "" || strings.TrimSpace(turn.Reply) == "" {
		t.Errorf("first turn %+v: want a user transcript and bot output", turn)
	}
	var energy float64
	b.poll("reply audio", 20*time.Second, `(async () => { const e = await inboundEnergy(window.__transport.pc); return e > 0 ? e : null; })()`, &energy)
	t.Logf("reply audio: totalAudioEnergy %.4g", energy)
	// The barge-in: user-started-speaking while the bot speaks, then
	// bot-stopped-speaking, as Pipecat reports an interruption.
	const cut = `(() => {
		const l = window.__log;
		let bot = false;
		for (let i = 0; i < l.length; i++) {
			if (l[i] === 'bot-started-speaking') bot = true;
			if (l[i] === 'bot-stopped-speaking') bot = false;
			if (bot && l[i] === 'user-started-speaking' && l[i + 1] === 'bot-stopped-speaking') return i;
		}
		return null;
	})()`
	var at int
	b.poll("an interruption (user-started-speaking then bot-stopped-speaking)", 40*time.Second, cut, &at)
	b.poll("the bot to fall silent after the barge-in", 40*time.Second, settledJS(`(l) => l[l.length - 1] === 'bot-stopped-speaking'`, speechEnd), new(bool))
	b.expectQuiet(`window.__transport.pc`, energy)
	// Typed input: send-text.
	b.eval(`(async () => { window.__bot = []; window.__client.sendText('What is the date?'); return true; })()`, new(bool))
	var typed string
	b.poll("the date in answer to send-text", 30*time.Second, `window.__bot.find((s) => /^Today is /.test(s)) || null`, &typed)
	if !strings.HasPrefix(typed, "Today is ") {
		t.Errorf("send-text answered %q, want the date", typed)
	}
	// The transport's own restart (what it does when ICE fails): a new
	// peer connection, offered with the pc_id and restart_pc. The call
	// goes on with its memory: "what did I say" quotes the typed question.
	var restarted struct{ Same bool }
	b.eval(`(async () => {
		const t = window.__transport, old = t.pc, id = t.pc_id;
		await t.attemptReconnection(true);
		for (let i = 0; i < 100 && !(t.pc !== old && t.pc.connectionState === 'connected'); i++) await new Promise((r) => setTimeout(r, 100));
		return { same: t.pc !== old && t.pc.connectionState === 'connected' && t.pc_id === id };
	})()`, &restarted)
	if !restarted.Same {
		t.Fatalf("the restarted peer connection did not connect with the same pc_id")
	}
	b.eval(`(async () => { window.__bot = []; window.__client.sendText('What did I say?'); return true; })()`, new(bool))
	var quoted string
	b.poll("the answer after the restart", 30*time.Second, `window.__bot.find((s) => /^You said/.test(s)) || null`, &quoted)
	t.Logf("after restart_pc: %q", quoted)
	if !strings.Contains(quoted, "What is the date") {
		t.Errorf("after restart_pc the call answered %q: want it to remember the typed question", quoted)
	}
	var log []string
	b.eval(`window.__log`, &log)
	t.Logf("client-js events: %v", log)
	for _, l := range log {
		if strings.HasPrefix(l, "error: ") {
			t.Errorf("client-js reported %s", l)
		}
	}
	b.eval(`(async () => { await window.__client.disconnect(); return true; })()`, new(bool))
}

// TestOpenAIAgentsSDKClientTurns: the Agents SDK with turn_detection null
// commits the user's turn itself (input_audio_buffer.commit) and asks
// for the reply (response.create); nothing is answered before it asks,
// and a commit with nothing new is input_audio_buffer_commit_empty.
func TestOpenAIAgentsSDKClientTurns(t *testing.T) {
	chromiumMu.Lock()
	defer chromiumMu.Unlock()
	url := liveServer(t, "openai")
	mic, _ := micWAV(t, func(say func(string) []int16, quiet func(time.Duration) []int16) [][]int16 {
		return [][]int16{quiet(time.Second), say("What time is it?"), quiet(30 * time.Second)}
	})
	b := newBrowserMic(t, url+"/", mic)
	var connected string
	b.eval(`(async () => {
		const m = window.DuplexOpenAI;
		window.__log = [];
		const agent = new m.RealtimeAgent({ name: 'duplex-test', instructions: 'Be brief.' });
		const session = new m.RealtimeSession(agent, { config: { audio: { input: { turnDetection: null } } } });
		window.__session = session;
		session.on('transport_event', (e) => { if (e.type !== 'response.output_audio_transcript.delta') window.__log.push(e.type); });
		session.on('error', (e) => window.__log.push('error: ' + JSON.stringify(e.error && e.error.error || e.error || e)));
		await session.connect({ apiKey: 'ek_open', url: location.origin + '/v1/realtime/calls' });
		window.__t0 = performance.now();
		return session.transport.status;
	})()`, &connected)
	if connected != "connected" {
		t.Fatalf("status %q after connect", connected)
	}
	// The phrase is over 3 s after the microphone starts; with no turn
	// detection the server neither ends the turn nor answers.
	b.poll("5 s of the call", 20*time.Second, `performance.now() - window.__t0 > 5000 ? true : null`, new(bool))
	var early []string
	b.eval(`window.__log.filter((e) => /^(input_audio_buffer\.(speech_started|speech_stopped|committed)|response\.created)$/.test(e))`, &early)
	if len(early) != 0 {
		t.Fatalf("before the client committed: %v", early)
	}
	b.eval(`(async () => { window.__session.transport.sendEvent({ type: 'input_audio_buffer.commit' }); return true; })()`, new(bool))
	var user string
	b.poll("the committed turn's transcript", 20*time.Second, `(() => {
		const u = window.__session.history.find((i) => i.type === 'message' && i.role === 'user' && i.content[0] && i.content[0].transcript);
		return u && window.__log.includes('input_audio_buffer.committed') ? u.content[0].transcript : null;
	})()`, &user)
	t.Logf("committed turn heard as %q", user)
	b.eval(`new Promise((r) => setTimeout(() => r(true), 1500))`, new(bool))
	var created bool
	b.eval(`window.__log.includes('response.created')`, &created)
	if created {
		t.Fatal("a response started before response.create")
	}
	b.eval(`(async () => { window.__session.transport.sendEvent({ type: 'response.create' }); return true; })()`, new(bool))
	var reply string
	b.poll("the reply after response.create", 30*time.Second, `(() => {
		const a = window.__session.history.find((i) => i.type === 'message' && i.role === 'assistant' && i.status === 'completed');
		return a && a.content[0] && a.content[0].transcript ? a.content[0].transcript : null;
	})()`, &reply)
	t.Logf("reply %q", reply)
	var energy float64
	b.eval(`inboundEnergy(window.__session.transport.connectionState.peerConnection)`, &energy)
	if energy <= 0 {
		t.Errorf("no reply audio received (totalAudioEnergy %v)", energy)
	}
	// Nothing spoken since: the commit is empty.
	b.eval(`(async () => { window.__session.transport.sendEvent({ type: 'input_audio_buffer.commit' }); return true; })()`, new(bool))
	b.poll("input_audio_buffer_commit_empty", 10*time.Second, `window.__log.find((e) => e.startsWith('error: ') && e.includes('input_audio_buffer_commit_empty')) || null`, new(string))
	var log []string
	b.eval(`window.__log`, &log)
	t.Logf("events: %v", log)
	b.eval(`(async () => { window.__session.close(); return true; })()`, new(bool))
}
