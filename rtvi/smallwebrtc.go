package rtvi

import (
	"encoding/json"
	"fmt"
	"github.com/duplex-ai/duplex/internal/jsonkind"
	"strings"
)

// OfferRequest is the body of POST <offer endpoint>. PCID is empty (null
// on the wire) for a new call; with RestartPC the client replaces the
// peer connection of call PCID.
type OfferRequest struct {
	SDP         string          `json:"sdp"`
	Type        string          `json:"type"` // "offer"
	PCID        string          `json:"pc_id,omitempty"`
	RestartPC   bool            `json:"restart_pc"`
	RequestData json.RawMessage `json:"requestData,omitempty"`
}

// Answer is the reply to an offer: the complete answer SDP (the server
// never trickles) and the call's pc_id.
type Answer struct {
	SDP  string `json:"sdp"`
	Type string `json:"type"` // "answer"
	PCID string `json:"pc_id"`
}

// PatchRequest is the body of PATCH <offer endpoint>: the client's
// trickled candidates, batched.
type PatchRequest struct {
	PCID       string         `json:"pc_id"`
	Candidates []ICECandidate `json:"candidates"`
}

// ICECandidate is one trickled candidate (RTCIceCandidateInit, snake_case).
type ICECandidate struct {
	Candidate     string  `json:"candidate"`
	SDPMid        *string `json:"sdp_mid"`
	SDPMLineIndex *uint16 `json:"sdp_mline_index"`
}

// ParseOffer decodes and checks an offer body; an error is a 400 for the
// client (a 4xx stops its retries).
func ParseOffer(body []byte) (OfferRequest, error) {
	var o OfferRequest
	if err := json.Unmarshal(body, &o); err != nil {
		return OfferRequest{}, &Error{Kind: ErrMalformed, Message: "offer: " + jsonProblem(err)}
	}
	switch {
	case o.Type != "offer":
		return OfferRequest{}, &Error{Kind: ErrInvalidValue, Message: fmt.Sprintf("offer: type is %q, want \"offer\"", clip(o.Type))}
	case !strings.HasPrefix(o.SDP, "v=0"):
		return OfferRequest{}, &Error{Kind: ErrMissingField, Message: "offer: sdp is missing or not an SDP"}
	case o.RestartPC && o.PCID == "":
		return OfferRequest{}, &Error{Kind: ErrMissingField, Message: "offer: restart_pc without pc_id"}
	}
	return o, nil
}

// ParsePatch decodes and checks a PATCH body.
func ParsePatch(body []byte) (PatchRequest, error) {
	var p PatchRequest
	if err := json.Unmarshal(body, &p); err != nil {
		return PatchRequest{}, &Error{Kind: ErrMalformed, Message: "patch: " + jsonProblem(err)}
	}
	if p.PCID == "" {
		return PatchRequest{}, &Error{Kind: ErrMissingField, Message: "patch: missing pc_id"}
	}
	for i, c := range p.Candidates {
		if c.Candidate == "" && c.SDPMid == nil && c.SDPMLineIndex == nil {
			return PatchRequest{}, &Error{Kind: ErrMissingField, Message: fmt.Sprintf("patch: candidates[%d] is empty", i)}
		}
	}
	return p, nil
}

func jsonProblem(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok && te.Field != "" {
		return te.Field + " must be " + jsonkind.Of(te.Type)
	}
	return "body is not a JSON object"
}
