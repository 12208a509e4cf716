package signaling

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duplex-ai/duplex/session"
)

// ResumeHeader carries a call's resume credential: in the 201 of POST
// /v1/calls, and in a POST /v1/calls that resumes that call.
const ResumeHeader = "Duplex-Resume"

// restartICE answers a PATCH that carries new ICE credentials (RFC 9725
// §4.3.2): 200 with the server's new credentials and candidates, and the
// new ICE session's ETag.
func (s *Server) restartICE(w http.ResponseWriter, r *http.Request, call *session.Call, frag string) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.CreateTimeout)
	defer cancel()
	answer, err := call.RestartICE(ctx, frag)
	switch {
	case err == nil:
	case errors.Is(err, session.ErrBadCandidate):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case errors.Is(err, session.ErrClosed):
		writeError(w, http.StatusNotFound, "the call has ended")
		return
	default:
		s.opt.Log.Error().Err(err).Str("call_id", call.ID()).Msg("ICE restart")
		writeError(w, http.StatusInternalServerError, "could not restart ICE")
		return
	}
	w.Header().Set("Content-Type", "application/trickle-ice-sdpfrag")
	w.Header().Set("ETag", call.ETag())
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, answer)
}

// ifMatch applies an If-Match header to the call's ETag: absent or "*"
// matches (clients written before ICE restarts send none), otherwise one
// of the listed tags must equal it (RFC 9110 §13.1.1, strong comparison).
func ifMatch(header, etag string) bool {
	header = strings.TrimSpace(header)
	if header == "" || header == "*" {
		return true
	}
	for _, tag := range strings.Split(header, ",") {
		if strings.TrimSpace(tag) == etag && etag != "" {
			return true
		}
	}
	return false
}

var (
	restartsDesc   = prometheus.NewDesc("duplex_ice_restarts_total", "ICE restarts of live calls that succeeded.", nil, nil)
	reattachedDesc = prometheus.NewDesc("duplex_calls_resumed_total", "New peer connections attached to live calls (resumes) that succeeded.", nil, nil)
)

// reconnectCollector exports the manager's restart and resume counts.
type reconnectCollector struct{ mgr *session.Manager }

func (c reconnectCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- restartsDesc
	ch <- reattachedDesc
}

func (c reconnectCollector) Collect(ch chan<- prometheus.Metric) {
	r, a := c.mgr.Reconnects()
	ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(r))
	ch <- prometheus.MustNewConstMetric(reattachedDesc, prometheus.CounterValue, float64(a))
}
