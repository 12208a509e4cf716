package signaling

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/realtime"
	"github.com/duplex-ai/duplex/realtime/codec"
	"github.com/duplex-ai/duplex/session"
)

// ekPrefix marks an OpenAI-style ephemeral key: "ek_" + a call token.
// The official browser client refuses any other key.
const ekPrefix = "ek_"

// maxSecrets bounds the minted keys whose session defaults are kept.
const maxSecrets = 4096

// secrets keeps the session defaults of minted ek_ keys until they expire.
type secrets struct {
	mu sync.Mutex
	m  map[string]secretEntry
}

type secretEntry struct {
	session *realtime.Session
	expires time.Time
}

func (s *secrets) put(key string, sess *realtime.Session, exp, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]secretEntry{}
	}
	if len(s.m) >= maxSecrets {
		for k, e := range s.m {
			if !now.Before(e.expires) {
				delete(s.m, k)
			}
		}
	}
	if len(s.m) < maxSecrets {
		s.m[key] = secretEntry{session: sess, expires: exp}
	}
}

func (s *secrets) get(key string, now time.Time) *realtime.Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok || !now.Before(e.expires) {
		return nil
	}
	return e.session
}

// mintClientSecret serves POST /v1/realtime/client_secrets: an ek_ key on
// the call-token machinery, carrying the session defaults it was minted
// with.
func (s *Server) mintClientSecret(w http.ResponseWriter, r *http.Request) {
	if len(s.keyHashes) > 0 && len(s.opt.TokenSecret) == 0 {
		writeRealtimeError(w, http.StatusNotFound, realtime.CodeUnsupported, "ephemeral keys are not enabled (the server has no token secret)")
		return
	}
	if err := s.authorized(r, false); err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="duplex"`)
		writeRealtimeError(w, http.StatusUnauthorized, "invalid_api_key", "minting a key needs the API key: "+err.Error())
		return
	}
	body := []byte(nil)
	if r.ContentLength != 0 {
		b, err := s.readBody(w, r, "application/json")
		if err != nil {
			s.bodyError(w, err)
			return
		}
		body = []byte(b)
	}
	req, err := realtime.ParseClientSecretRequest(body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": realtime.ErrorFor(err).Error})
		return
	}
	secs := realtime.DefaultSecretSeconds
	if req.ExpiresAfter != nil {
		secs = req.ExpiresAfter.Seconds
	}
	now := s.opt.Now()
	exp := now.Add(time.Duration(secs) * time.Second).Truncate(time.Second)
	var key string
	if len(s.opt.TokenSecret) > 0 {
		tok, err := MintToken(s.opt.TokenSecret, exp)
		if err != nil {
			writeRealtimeError(w, http.StatusInternalServerError, realtime.CodeServerError, err.Error())
			return
		}
		key = ekPrefix + tok
	} else {
		// An open server (no API key) accepts any credential; the key
		// still names the session defaults.
		var b [16]byte
		_, _ = rand.Read(b[:])
		key = ekPrefix + hex.EncodeToString(b[:])
	}
	sess := req.Session
	if sess == nil {
		sess = &realtime.Session{Type: realtime.SessionRealtime}
	}
	s.secrets.put(key, sess, exp, now)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, realtime.ClientSecret{Value: key, ExpiresAt: exp.Unix(), Session: sess})
}

// createRealtimeCall serves POST /v1/realtime/calls: the OpenAI Realtime
// WebRTC call set-up (raw SDP, or multipart sdp + session).
func (s *Server) createRealtimeCall(w http.ResponseWriter, r *http.Request) {
	if err := s.authorized(r, true); err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="duplex"`)
		writeRealtimeError(w, http.StatusUnauthorized, "invalid_api_key", err.Error())
		return
	}
	defaults := s.secrets.get(bearer(r), s.opt.Now())
	offer, part, err := s.readRealtimeOffer(w, r)
	if err != nil {
		var re *realtime.Error
		if errors.As(err, &re) {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": re.Object()})
			return
		}
		s.bodyError(w, err)
		return
	}
	if part != nil {
		merged := realtime.Session{}
		if defaults != nil {
			merged = *defaults
		}
		if part.Instructions != nil {
			merged.Instructions = part.Instructions
		}
		if part.Audio != nil {
			merged.Audio = part.Audio
		}
		defaults = &merged
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.CreateTimeout)
	defer cancel()
	call, answer, err := s.mgr.CreateWith(ctx, offer, session.CreateOptions{
		ClientIP:  s.clientIP(r),
		Protocols: map[string]func() pipeline.Protocol{codec.Label: func() pipeline.Protocol { return codec.New(defaults) }},
	})
	if !s.createError(w, err) {
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/v1/realtime/calls/"+call.ID())
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// readRealtimeOffer reads the offer: application/sdp, or multipart with the
// parts sdp and session.
func (s *Server) readRealtimeOffer(w http.ResponseWriter, r *http.Request) (string, *realtime.Session, error) {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.EqualFold(ct, "multipart/form-data") {
		offer, err := s.readBody(w, r, "application/sdp")
		return offer, nil, err
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, s.opt.MaxBody), params["boundary"])
	var offer string
	var sess *realtime.Session
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", nil, fmt.Errorf("%w: multipart body: %w", ErrBodyTooLarge, err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return "", nil, fmt.Errorf("%w: multipart body: %w", ErrBodyTooLarge, err)
		}
		switch p.FormName() {
		case "sdp":
			offer = string(b)
		case "session":
			ss, err := realtime.ParseSession(b)
			if err != nil {
				return "", nil, err
			}
			sess = &ss
		}
	}
	if offer == "" {
		return "", nil, errors.New("the multipart body has no sdp part")
	}
	return offer, sess, nil
}

// deleteRealtimeCall ends a call set up on /v1/realtime/calls. The call id
// (128 random bits) and the credential that could create it are needed.
func (s *Server) deleteRealtimeCall(w http.ResponseWriter, r *http.Request) {
	if err := s.authorized(r, true); err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="duplex"`)
		writeRealtimeError(w, http.StatusUnauthorized, "invalid_api_key", err.Error())
		return
	}
	if err := s.mgr.Hangup(r.PathValue("id")); err != nil {
		writeRealtimeError(w, http.StatusNotFound, "call_not_found", "no such call")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// createError answers a failed Create as POST /v1/calls does; it returns
// true when err is nil.
func (s *Server) createError(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, session.ErrTooManyCallsFromIP):
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusTooManyRequests, err.Error())
	case errors.Is(err, session.ErrBadOffer), errors.Is(err, session.ErrNoOpus):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, session.ErrTooManyCalls), errors.Is(err, session.ErrClosed):
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, err.Error())
	default:
		s.opt.Log.Error().Err(err).Msg("create call")
		writeError(w, http.StatusInternalServerError, "could not set up the call")
	}
	return false
}

// writeRealtimeError writes {"error":{"message",…}}, which the official
// client reads (error.message).
func writeRealtimeError(w http.ResponseWriter, status int, code, msg string) {
	typ := realtime.ErrorTypeInvalidRequest
	if status >= 500 {
		typ = realtime.ErrorTypeServer
	}
	writeJSON(w, status, map[string]any{"error": realtime.ErrorObject{Type: typ, Code: code, Message: msg}})
}
