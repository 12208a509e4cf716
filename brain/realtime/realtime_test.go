package realtime

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/brain"
	"github.com/duplex-ai/duplex/llm"
	wire "github.com/duplex-ai/duplex/realtime"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// betaServer answers with the beta event names (response.audio.delta,
// response.audio_transcript.delta, conversation.item.created), as servers
// written against the beta API still do, and records what it got.
type betaServer struct {
	mu   sync.Mutex
	got  []string
	auth string
	path string
}

func (b *betaServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.auth, b.path = r.Header.Get("Authorization"), r.URL.RequestURI()
	b.mu.Unlock()
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ctx := r.Context()
	send := func(s string) { _ = ws.Write(ctx, websocket.MessageText, []byte(s)) }
	send(`{"type":"session.created","event_id":"e0","session":{"id":"sess_1","model":"beta-model"}}`)
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		ev, err := wire.ParseClientEvent(data)
		if err != nil {
			send(`{"type":"error","event_id":"ex","error":{"type":"invalid_request_error","message":"bad event"}}`)
			continue
		}
		b.mu.Lock()
		b.got = append(b.got, string(data))
		b.mu.Unlock()
		if ev.EventType() != wire.TypeResponseCreate {
			continue
		}
		// 480 samples (20 ms) of PCM16: "AAAA…" is zeros, enough to count.
		audio := strings.Repeat("AAAA", 320)
		for _, s := range []string{
			`{"type":"response.created","event_id":"e1","response":{"id":"resp_1","object":"realtime.response","status":"in_progress","output":[]}}`,
			`{"type":"response.output_item.added","event_id":"e2","response_id":"resp_1","output_index":0,"item":{"id":"item_a","object":"realtime.item","type":"message","status":"in_progress","role":"assistant","content":[]}}`,
			`{"type":"conversation.item.created","event_id":"e3","previous_item_id":null,"item":{"id":"item_a","object":"realtime.item","type":"message","status":"in_progress","role":"assistant","content":[]}}`,
			`{"type":"response.audio_transcript.delta","event_id":"e4","response_id":"resp_1","item_id":"item_a","output_index":0,"content_index":0,"delta":"Hello"}`,
			`{"type":"response.audio.delta","event_id":"e5","response_id":"resp_1","item_id":"item_a","output_index":0,"content_index":0,"delta":"` + audio + `"}`,
			`{"type":"response.audio_transcript.delta","event_id":"e6","response_id":"resp_1","item_id":"item_a","output_index":0,"content_index":0,"delta":" there"}`,
			`{"type":"response.audio.delta","event_id":"e7","response_id":"resp_1","item_id":"item_a","output_index":0,"content_index":0,"delta":"` + audio + `"}`,
			`{"type":"response.audio.done","event_id":"e8","response_id":"resp_1","item_id":"item_a","output_index":0,"content_index":0}`,
			`{"type":"response.done","event_id":"e9","response":{"id":"resp_1","object":"realtime.response","status":"completed","output":[]}}`,
		} {
			send(s)
		}
	}
}

// recOutput records a reply.
type recOutput struct {
	mu       sync.Mutex
	text     string
	samples  int
	rates    map[int]bool
	pieces   []brain.Piece
	marks    []brain.Milestone
	failed   error
	produced int
}

func (o *recOutput) Delta(t string) { o.mu.Lock(); o.text += t; o.mu.Unlock() }
func (o *recOutput) Mark(m brain.Milestone, _ time.Time) {
	o.mu.Lock()
	o.marks = append(o.marks, m)
	o.mu.Unlock()
}
func (o *recOutput) Audio(pcm []int16, rate int) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.samples += len(pcm)
	if o.rates == nil {
		o.rates = map[int]bool{}
	}
	o.rates[rate] = true
	return nil
}
func (o *recOutput) Spoken(i int, p brain.Piece) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if i < len(o.pieces) {
		o.pieces[i] = p
		return
	}
	o.pieces = append(o.pieces, p)
}
func (o *recOutput) Failed(_ brain.Stage, err error) { o.mu.Lock(); o.failed = err; o.mu.Unlock() }
func (o *recOutput) Produced(bool)                   { o.mu.Lock(); o.produced++; o.mu.Unlock() }

// TestBetaDialect: a typed turn (no audio committed) goes in as an
// input_text item; a server speaking the beta event names is understood:
// its audio, transcript and pieces reach the engine's Output.
func TestBetaDialect(t *testing.T) {
	bs := &betaServer{}
	hs := httptest.NewServer(bs)
	defer hs.Close()
	b, err := New(Config{URL: hs.URL + "/v1/realtime", Model: "beta-model", APIKey: "sk-x", Instructions: "Hi.", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if b.Engines()["model"] != "realtime:beta-model" {
		t.Fatalf("engines %v", b.Engines())
	}
	sess, err := b.NewSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out := &recOutput{}
	sess.Respond(context.Background(), brain.Request{TurnID: 1, LLM: llm.Request{History: []llm.Message{{Role: llm.RoleUser, Text: "hello"}}}}, out)
	if out.failed != nil || out.produced != 1 {
		t.Fatalf("failed %v, produced %d", out.failed, out.produced)
	}
	if out.text != "Hello there" || out.samples != 960 || !out.rates[SampleRate] || len(out.rates) != 1 {
		t.Fatalf("text %q, %d samples at %v", out.text, out.samples, out.rates)
	}
	if len(out.pieces) != 2 || out.pieces[0].Text != "Hello" || out.pieces[1].Text != " there" || out.pieces[1].Start != 20*time.Millisecond || out.pieces[1].End != 40*time.Millisecond {
		t.Fatalf("pieces %+v", out.pieces)
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.auth != "Bearer sk-x" || bs.path != "/v1/realtime?model=beta-model" {
		t.Fatalf("upgrade auth %q path %q", bs.auth, bs.path)
	}
	want := []string{wire.TypeSessionUpdate, wire.TypeConversationItemCreate, wire.TypeResponseCreate}
	if len(bs.got) != len(want) {
		t.Fatalf("client events %q", bs.got)
	}
	for i, typ := range want {
		if !strings.Contains(bs.got[i], `"type":"`+typ+`"`) || !strings.Contains(bs.got[i], `"event_id":"event_`) {
			t.Fatalf("event %d %s, want %s with an event_id", i, bs.got[i], typ)
		}
	}
	if !strings.Contains(bs.got[1], `"type":"input_text","text":"hello"`) {
		t.Fatalf("the typed turn went in as %s", bs.got[1])
	}
	if !strings.Contains(bs.got[0], `"turn_detection":null`) {
		t.Fatalf("session.update %s: want turn_detection null", bs.got[0])
	}
}

// TestNewChecksConfig: bad settings are clear errors.
func TestNewChecksConfig(t *testing.T) {
	for _, c := range []Config{
		{URL: "ftp://x", Model: "m"},
		{URL: "ws://", Model: "m"},
		{URL: "ws://h", Model: ""},
		{URL: "ws://h", Model: "m", Turns: "sometimes"},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	b, err := New(Config{URL: "https://api.openai.com/v1/realtime?x=1", Model: "gpt-realtime"})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.cfg.endpoint(); got != "wss://api.openai.com/v1/realtime?model=gpt-realtime&x=1" {
		t.Fatalf("endpoint %s", got)
	}
}
