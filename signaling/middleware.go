package signaling

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the caller's address: the TCP peer, or, when the peer is a
// trusted proxy, the right-most X-Forwarded-For entry that is not one.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if !s.trusted(addr) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a.String()
		}
		addr = a
	}
	return addr.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.opt.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// cors answers preflights and sets the CORS headers for allowed origins.
// It returns false when the request has been answered.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.opt.CORSOrigins) == 0 {
		if r.Method == http.MethodOptions && origin != "" {
			writeError(w, http.StatusForbidden, "cross-origin requests are not allowed (see -cors-origin)")
			return false
		}
		return true
	}
	allowed := false
	for _, o := range s.opt.CORSOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			allowed = true
			break
		}
	}
	w.Header().Add("Vary", "Origin")
	if !allowed {
		if r.Method == http.MethodOptions {
			writeError(w, http.StatusForbidden, fmt.Sprintf("origin %q is not allowed (see -cors-origin)", origin))
			return false
		}
		return true // no CORS headers: the browser keeps the response from the page
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "Location, Retry-After, ETag, Duplex-Resume")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS")
		// X-OpenAI-Agents-SDK: the OpenAI Agents SDK sends it with every offer.
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match, Duplex-Resume, X-OpenAI-Agents-SDK")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	return true
}

// limit applies the per-address request rate to the API. It returns false
// when the request has been refused.
func (s *Server) limit(w http.ResponseWriter, r *http.Request) bool {
	if s.rate == nil || !strings.HasPrefix(r.URL.Path, "/v1/") {
		return true
	}
	ok, retry := s.rate.allow(s.clientIP(r), s.opt.Now())
	if ok {
		return true
	}
	w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(max(retry.Seconds(), 1)))))
	writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many requests from this address: the limit is %g per second", s.opt.RateLimit))
	return false
}
