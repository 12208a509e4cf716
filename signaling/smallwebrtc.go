package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/pion/webrtc/v4"

	"github.com/duplex-ai/duplex/pipeline"
	"github.com/duplex-ai/duplex/rtvi"
	rtvicodec "github.com/duplex-ai/duplex/rtvi/codec"
	"github.com/duplex-ai/duplex/session"
)

// DefaultSmallWebRTCPath is where Pipecat's SmallWebRTC transport posts
// its offer unless Options.SmallWebRTCPath says otherwise.
const DefaultSmallWebRTCPath = "/api/offer"

// smallWebRTCOffer serves POST <SmallWebRTCPath>: {sdp,type,pc_id,
// restart_pc,requestData} → {sdp,type:"answer",pc_id}. The call's chat
// channel speaks RTVI. restart_pc with a known pc_id attaches a new peer
// connection to that call, which keeps its conversation (memory,
// transcript, mode); an offer for a known pc_id without it (in-call
// renegotiation) is refused.
func (s *Server) smallWebRTCOffer(w http.ResponseWriter, r *http.Request) {
	body, ok := s.authorizedJSON(w, r)
	if !ok {
		return
	}
	o, err := rtvi.ParseOffer([]byte(body))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if o.PCID != "" {
		old, err := s.mgr.Get(o.PCID)
		switch {
		case err != nil && o.RestartPC:
			// The old call is gone (ended or unknown): a new one.
		case err != nil:
			writeError(w, http.StatusNotFound, "no call with this pc_id")
			return
		case !o.RestartPC:
			writeError(w, http.StatusConflict, "renegotiating a live call is not supported; restart with restart_pc true (the call keeps its conversation)")
			return
		default:
			ctx, cancel := context.WithTimeout(r.Context(), s.opt.CreateTimeout)
			defer cancel()
			answer, err := old.Reattach(ctx, o.SDP)
			if err == nil {
				writeJSON(w, http.StatusOK, rtvi.Answer{SDP: answer, Type: "answer", PCID: old.ID()})
				return
			}
			if !errors.Is(err, session.ErrClosed) {
				s.createError(w, err)
				return
			}
			// The call ended meanwhile: a new one.
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.CreateTimeout)
	defer cancel()
	call, answer, err := s.mgr.CreateWith(ctx, o.SDP, session.CreateOptions{
		ClientIP:  s.clientIP(r),
		Protocols: map[string]func() pipeline.Protocol{rtvicodec.Label: rtvicodec.NewProtocol},
	})
	if !s.createError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, rtvi.Answer{SDP: answer, Type: "answer", PCID: call.ID()})
}

// smallWebRTCPatch serves PATCH <SmallWebRTCPath>: {pc_id, candidates}.
func (s *Server) smallWebRTCPatch(w http.ResponseWriter, r *http.Request) {
	body, ok := s.authorizedJSON(w, r)
	if !ok {
		return
	}
	p, err := rtvi.ParsePatch([]byte(body))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	call, err := s.mgr.Get(p.PCID)
	if err != nil {
		writeError(w, http.StatusNotFound, "no call with this pc_id")
		return
	}
	inits := make([]webrtc.ICECandidateInit, 0, len(p.Candidates))
	for _, c := range p.Candidates {
		inits = append(inits, webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex})
	}
	if err := call.AddICECandidates(inits); err != nil {
		if errors.Is(err, session.ErrBadCandidate) {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "success"})
}

// authorizedJSON checks the caller's credential and reads a JSON body; on
// failure it has written the error and returns false.
func (s *Server) authorizedJSON(w http.ResponseWriter, r *http.Request) (string, bool) {
	if err := s.authorized(r, true); err != nil {
		unauthorized(w, err.Error())
		return "", false
	}
	body, err := s.readBody(w, r, "application/json")
	if err != nil {
		s.bodyError(w, err)
		return "", false
	}
	return body, true
}
