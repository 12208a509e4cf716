// Package signaling serves the HTTP API of Duplex: WHIP-style call set-up
// (RFC 9725 semantics) on /v1/calls, trickle ICE, hang-up, health, client
// configuration, metrics and the embedded web page.
package signaling

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/session"
	"github.com/duplex-ai/duplex/transcript"
)

// DefaultMaxBody is the largest request body accepted (64 KiB).
const DefaultMaxBody = 64 << 10

// Options configures a Server.
type Options struct {
	// MaxBody caps request bodies; default DefaultMaxBody.
	MaxBody int64
	// CreateTimeout bounds one call set-up (negotiation and gathering);
	// default 10 s.
	CreateTimeout time.Duration
	// Web serves the page at "/"; nil serves nothing there.
	Web http.Handler
	// Log is the request logger.
	Log zerolog.Logger
	// Collectors are extra Prometheus collectors served at /metrics (the
	// dialogue engine's, for instance).
	Collectors []prometheus.Collector

	// APIKeys, when any is set, protect POST /v1/calls, POST /v1/tokens and
	// GET /v1/config: the request needs "Authorization: Bearer KEY" (or a
	// token minted with TokenSecret, except for /v1/tokens).
	APIKeys []string
	// TokenSecret signs and checks call tokens; empty: no tokens.
	TokenSecret []byte
	// TokenTTL is the lifetime of a minted token; default 10 min.
	TokenTTL time.Duration
	// CORSOrigins are the web origins allowed to call the API from a
	// browser ("*" for any); empty: same-origin only.
	CORSOrigins []string
	// RateLimit is the API requests per second allowed per client address
	// (token bucket with RateBurst); 0: no limit.
	RateLimit float64
	// RateBurst is the bucket size; default 4 × RateLimit, at least 1.
	RateBurst int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client.
	TrustedProxies []netip.Prefix
	// Transcripts serves GET /v1/calls/{id}/transcript; nil: 404.
	Transcripts *transcript.Store
	// Now is the clock of tokens and rate limits; default time.Now.
	Now func() time.Time
	// SmallWebRTCPath is where Pipecat clients POST and PATCH (SmallWebRTC
	// signaling, RTVI on the chat channel); default DefaultSmallWebRTCPath.
	SmallWebRTCPath string
	// TURN, when set, adds the built-in TURN server to /v1/config.
	TURN *TURNOptions
	// NodeID, when set, names this node in call URLs and resume
	// credentials ({node}.{id}) so that a proxy can route them (node.go).
	NodeID string
}

// Server is the HTTP front of a session.Manager.
type Server struct {
	mgr       *session.Manager
	opt       Options
	mux       *http.ServeMux
	keyHashes [][sha256.Size]byte
	rate      *keyedLimiter
	secrets   secrets
}

// New returns a Server for mgr.
func New(mgr *session.Manager, opt Options) *Server {
	if opt.MaxBody <= 0 {
		opt.MaxBody = DefaultMaxBody
	}
	if opt.CreateTimeout <= 0 {
		opt.CreateTimeout = 10 * time.Second
	}
	if opt.TokenTTL <= 0 {
		opt.TokenTTL = 10 * time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Server{mgr: mgr, opt: opt, mux: http.NewServeMux()}
	for _, k := range opt.APIKeys {
		if k != "" {
			s.keyHashes = append(s.keyHashes, sha256.Sum256([]byte(k)))
		}
	}
	if opt.RateLimit > 0 {
		burst := opt.RateBurst
		if burst <= 0 {
			burst = max(1, int(4*opt.RateLimit))
		}
		s.rate = newKeyedLimiter(opt.RateLimit, burst, maxRateKeys)
	}
	s.mux.HandleFunc("POST /v1/calls", s.createCall)
	s.mux.HandleFunc("POST /v1/tokens", s.mintToken)
	s.mux.HandleFunc("PATCH /v1/calls/{id}", s.patchCall)
	s.mux.HandleFunc("DELETE /v1/calls/{id}", s.deleteCall)
	s.mux.HandleFunc("GET /v1/calls/{id}/transcript", s.getTranscript)
	s.mux.HandleFunc("POST /v1/realtime/calls", s.createRealtimeCall)
	s.mux.HandleFunc("DELETE /v1/realtime/calls/{id}", s.deleteRealtimeCall)
	s.mux.HandleFunc("POST /v1/realtime/client_secrets", s.mintClientSecret)
	if opt.SmallWebRTCPath == "" {
		opt.SmallWebRTCPath = DefaultSmallWebRTCPath
	}
	s.mux.HandleFunc("POST "+opt.SmallWebRTCPath, s.smallWebRTCOffer)
	s.mux.HandleFunc("PATCH "+opt.SmallWebRTCPath, s.smallWebRTCPatch)
	s.mux.HandleFunc("OPTIONS /v1/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin requests need an Origin header from an allowed origin")
	})
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /v1/config", s.config)
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
		managerCollector{mgr},
		reconnectCollector{mgr},
	)
	for _, c := range opt.Collectors {
		reg.MustRegister(c)
	}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if opt.Web != nil {
		s.mux.Handle("GET /", opt.Web)
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.cors(w, r) || !s.limit(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) createCall(w http.ResponseWriter, r *http.Request) {
	if err := s.authorized(r, true); err != nil {
		unauthorized(w, err.Error())
		return
	}
	offer, err := s.readBody(w, r, "application/sdp")
	if err != nil {
		s.bodyError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.CreateTimeout)
	defer cancel()
	var call *session.Call
	var answer string
	if cred := r.Header.Get(ResumeHeader); cred != "" {
		call, answer, err = s.mgr.Resume(ctx, s.local(cred), offer)
	} else {
		call, answer, err = s.mgr.CreateWith(ctx, offer, session.CreateOptions{ClientIP: s.clientIP(r)})
	}
	switch {
	case err == nil:
	case errors.Is(err, session.ErrResumeExpired):
		writeError(w, http.StatusGone, err.Error())
		return
	case errors.Is(err, session.ErrResumeUnknown):
		writeError(w, http.StatusNotFound, "no call to resume with this credential (each one is single use)")
		return
	case errors.Is(err, session.ErrTooManyCallsFromIP):
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusTooManyRequests, err.Error())
		return
	case errors.Is(err, session.ErrBadOffer), errors.Is(err, session.ErrNoOpus):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case errors.Is(err, session.ErrTooManyCalls), errors.Is(err, session.ErrClosed):
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	default:
		s.opt.Log.Error().Err(err).Msg("create call")
		writeError(w, http.StatusInternalServerError, "could not set up the call")
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/v1/calls/"+s.onNode(call.ID())+"?secret="+call.Secret())
	w.Header().Set("ETag", call.ETag())
	if cred := call.ResumeCredential(); cred != "" {
		w.Header().Set(ResumeHeader, s.onNode(cred))
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// call finds the call of a /v1/calls/{id} request and checks its secret
// (?secret= from the Location URL); on failure it has answered.
func (s *Server) call(w http.ResponseWriter, r *http.Request) (*session.Call, bool) {
	call, err := s.mgr.Authorize(s.local(r.PathValue("id")), r.URL.Query().Get("secret"))
	switch {
	case errors.Is(err, session.ErrForbidden):
		writeError(w, http.StatusForbidden, "wrong or missing call secret: use the Location URL returned by POST /v1/calls")
		return nil, false
	case err != nil:
		writeError(w, http.StatusNotFound, "no such call")
		return nil, false
	}
	return call, true
}

func (s *Server) patchCall(w http.ResponseWriter, r *http.Request) {
	call, ok := s.call(w, r)
	if !ok {
		return
	}
	frag, err := s.readBody(w, r, "application/trickle-ice-sdpfrag")
	if err != nil {
		s.bodyError(w, err)
		return
	}
	if !ifMatch(r.Header.Get("If-Match"), call.ETag()) {
		writeError(w, http.StatusPreconditionFailed, "If-Match does not name the call's current ICE session (its ETag)")
		return
	}
	if call.IsRestart(frag) {
		s.restartICE(w, r, call, frag)
		return
	}
	if err := call.AddCandidates(frag); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteCall(w http.ResponseWriter, r *http.Request) {
	call, ok := s.call(w, r)
	if !ok {
		return
	}
	call.Close(session.ReasonClientHangup)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getTranscript(w http.ResponseWriter, r *http.Request) {
	if s.opt.Transcripts == nil {
		writeError(w, http.StatusNotFound, "transcripts are not kept (see -data-dir)")
		return
	}
	b, err := s.opt.Transcripts.Read(s.local(r.PathValue("id")), r.URL.Query().Get("secret"))
	switch {
	case errors.Is(err, transcript.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such call")
		return
	case errors.Is(err, transcript.ErrForbidden):
		writeError(w, http.StatusForbidden, "wrong or missing call secret: use the Location URL returned by POST /v1/calls")
		return
	case err != nil:
		s.opt.Log.Error().Err(err).Msg("read transcript")
		writeError(w, http.StatusInternalServerError, "could not read the transcript")
		return
	}
	w.Header().Set("Content-Type", "application/jsonl")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.mgr.Draining() {
		// The balancer's readiness check: send no new calls here.
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "draining")
		return
	}
	_, _ = io.WriteString(w, "ok")
}

// ClientConfig is the body of GET /v1/config.
type ClientConfig struct {
	ICEServers []ICEServer `json:"ice_servers"`
}

// ICEServer is one STUN/TURN server as the page passes it to RTCPeerConnection.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	if err := s.authorized(r, true); err != nil {
		unauthorized(w, err.Error())
		return
	}
	cfg := ClientConfig{ICEServers: []ICEServer{}}
	for _, is := range s.mgr.ICEServers() {
		cred, _ := is.Credential.(string)
		cfg.ICEServers = append(cfg.ICEServers, ICEServer{URLs: is.URLs, Username: is.Username, Credential: cred})
	}
	if s.opt.TURN != nil {
		cfg.ICEServers = append(cfg.ICEServers, s.turnServer(r))
	}
	w.Header().Set("Cache-Control", "no-store") // credentials are minted per request
	writeJSON(w, http.StatusOK, cfg)
}

var (
	activeDesc = prometheus.NewDesc("duplex_active_calls", "Calls in progress.", nil, nil)
	totalDesc  = prometheus.NewDesc("duplex_calls_total", "Calls created since start.", nil, nil)
	closedDesc = prometheus.NewDesc("duplex_calls_closed_total", "Calls ended, by reason.", []string{"reason"}, nil)
)

// managerCollector exports the session registry's counts.
type managerCollector struct{ mgr *session.Manager }

func (c managerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- activeDesc
	ch <- totalDesc
	ch <- closedDesc
}

func (c managerCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(activeDesc, prometheus.GaugeValue, float64(c.mgr.Active()))
	ch <- prometheus.MustNewConstMetric(totalDesc, prometheus.CounterValue, float64(c.mgr.Total()))
	for reason, n := range c.mgr.ClosedByReason() {
		ch <- prometheus.MustNewConstMetric(closedDesc, prometheus.CounterValue, float64(n), string(reason))
	}
}

// readBody checks the content type and reads at most MaxBody bytes.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, want string) (string, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.EqualFold(ct, want) {
		return "", fmt.Errorf("%w: want Content-Type %s, got %q", ErrUnsupportedMediaType, want, r.Header.Get("Content-Type"))
	}
	if r.ContentLength > s.opt.MaxBody {
		return "", fmt.Errorf("%w: %d bytes, the limit is %d", ErrBodyTooLarge, r.ContentLength, s.opt.MaxBody)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opt.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", fmt.Errorf("%w: the limit is %d bytes (%w)", ErrBodyTooLarge, s.opt.MaxBody, err)
		}
		return "", fmt.Errorf("reading body: %w", err)
	}
	return string(b), nil
}

func (s *Server) bodyError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrUnsupportedMediaType):
		writeError(w, http.StatusUnsupportedMediaType, err.Error())
	case errors.Is(err, ErrBodyTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
	default:
		writeError(w, http.StatusBadRequest, err.Error())
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ICEServersFromURLs turns "-ice-server" flag values into pion ICE
// servers. A value may carry credentials as turn:user:pass@host:port.
func ICEServersFromURLs(urls []string) ([]webrtc.ICEServer, error) {
	out := make([]webrtc.ICEServer, 0, len(urls))
	for _, u := range urls {
		scheme, rest, ok := strings.Cut(u, ":")
		if !ok || (scheme != "stun" && scheme != "stuns" && scheme != "turn" && scheme != "turns") {
			return nil, fmt.Errorf("ice server %q: want stun:, stuns:, turn: or turns: URL", u)
		}
		srv := webrtc.ICEServer{URLs: []string{u}}
		if creds, host, ok := strings.Cut(rest, "@"); ok {
			user, pass, ok := strings.Cut(creds, ":")
			if !ok {
				return nil, fmt.Errorf("ice server %q: credentials must be user:pass@host", u)
			}
			srv = webrtc.ICEServer{URLs: []string{scheme + ":" + host}, Username: user, Credential: pass}
		}
		out = append(out, srv)
	}
	return out, nil
}
