package signaling

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Token errors.
var (
	ErrTokenMalformed = errors.New("malformed token")
	ErrTokenSignature = errors.New("token signature does not match")
	ErrTokenExpired   = errors.New("token expired")
)

// MaxTokenTTL is the longest lifetime a token may be minted with.
const MaxTokenTTL = 24 * time.Hour

const tokenPrefix = "dpx1."

// MintToken returns a short-lived call token: "dpx1." + base64url(expiry
// in unix seconds, 8 bytes, and a 16-byte nonce) + "." + base64url of the
// HMAC-SHA256 of everything before the last dot, keyed with secret. A
// backend that holds the API key (POST /v1/tokens) or the token secret
// (`duplex token`) mints them for browsers, which then call with
// `Authorization: Bearer TOKEN` (the page takes ?token=…).
func MintToken(secret []byte, expires time.Time) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("signaling: empty token secret")
	}
	var p [24]byte
	binary.BigEndian.PutUint64(p[:8], uint64(expires.Unix()))
	if _, err := rand.Read(p[8:]); err != nil {
		return "", fmt.Errorf("signaling: token nonce: %w", err)
	}
	head := tokenPrefix + base64.RawURLEncoding.EncodeToString(p[:])
	return head + "." + base64.RawURLEncoding.EncodeToString(tokenMAC(secret, head)), nil
}

// VerifyToken checks a token's signature (constant time) and expiry.
func VerifyToken(secret []byte, token string, now time.Time) error {
	if len(secret) == 0 || !strings.HasPrefix(token, tokenPrefix) {
		return ErrTokenMalformed
	}
	i := strings.LastIndexByte(token, '.')
	if i <= len(tokenPrefix) {
		return ErrTokenMalformed
	}
	head, sig := token[:i], token[i+1:]
	p, err := base64.RawURLEncoding.DecodeString(head[len(tokenPrefix):])
	if err != nil || len(p) != 24 {
		return ErrTokenMalformed
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return ErrTokenMalformed
	}
	if !hmac.Equal(mac, tokenMAC(secret, head)) {
		return ErrTokenSignature
	}
	if exp := int64(binary.BigEndian.Uint64(p[:8])); now.Unix() >= exp {
		return ErrTokenExpired
	}
	return nil
}

func tokenMAC(secret []byte, head string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(head))
	return m.Sum(nil)
}

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// isAPIKey compares against every configured key in constant time (the
// loop does not stop at a match, so timing says nothing about which).
func (s *Server) isAPIKey(k string) bool {
	if k == "" {
		return false
	}
	kh := sha256.Sum256([]byte(k))
	ok := 0
	for _, want := range s.keyHashes {
		ok |= subtle.ConstantTimeCompare(kh[:], want[:])
	}
	return ok == 1
}

// authorized reports whether r may use an endpoint protected by the API
// keys: always when none are configured; else with an API key or, when
// tokens are accepted, a valid token. The error says why not.
func (s *Server) authorized(r *http.Request, tokens bool) error {
	if len(s.keyHashes) == 0 {
		return nil
	}
	b := bearer(r)
	switch {
	case b == "":
		return errors.New("missing Authorization: Bearer header")
	case s.isAPIKey(b):
		return nil
	case tokens && strings.HasPrefix(b, tokenPrefix):
		if err := VerifyToken(s.opt.TokenSecret, b, s.opt.Now()); err != nil {
			return err
		}
		return nil
	case tokens && strings.HasPrefix(b, ekPrefix+tokenPrefix):
		// An ephemeral key from /v1/realtime/client_secrets.
		return VerifyToken(s.opt.TokenSecret, b[len(ekPrefix):], s.opt.Now())
	default:
		return errors.New("invalid API key or token")
	}
}

// TokenResponse is the body of POST /v1/tokens.
type TokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) mintToken(w http.ResponseWriter, r *http.Request) {
	if len(s.keyHashes) == 0 || len(s.opt.TokenSecret) == 0 {
		writeError(w, http.StatusNotFound, "tokens are not enabled (the server has no -api-key)")
		return
	}
	if err := s.authorized(r, false); err != nil {
		unauthorized(w, "minting a token needs the API key: "+err.Error())
		return
	}
	ttl := s.opt.TokenTTL
	if v := r.URL.Query().Get("ttl"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > MaxTokenTTL {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("ttl %q: want a duration between 1s and %s", v, MaxTokenTTL))
			return
		}
		ttl = d
	}
	exp := s.opt.Now().Add(ttl).Truncate(time.Second)
	tok, err := MintToken(s.opt.TokenSecret, exp)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, TokenResponse{Token: tok, ExpiresAt: exp.UTC()})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="duplex"`)
	writeError(w, http.StatusUnauthorized, msg)
}
