package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/internal/testpeer"
	"github.com/duplex-ai/duplex/pipeline"
)

// idlePipeline does nothing until its call ends.
type idlePipeline struct{}

func (idlePipeline) Name() string               { return "idle" }
func (idlePipeline) Engines() map[string]string { return nil }
func (idlePipeline) Run(ctx context.Context, _ *pipeline.IO) error {
	<-ctx.Done()
	return nil
}

// maxFuzzCreateOffer bounds the offers also taken through Manager.Create:
// set-up costs a peer connection and ICE gathering (a few ms on loopback),
// and long offers only add m-sections the validator has already seen.
const maxFuzzCreateOffer = 8 << 10

// FuzzValidateOffer feeds arbitrary text as an SDP offer to ValidateOffer
// and, when it is short enough, through a full Manager.Create on loopback:
// no panic; the error wraps ErrBadOffer or ErrNoOpus; Create agrees with
// ValidateOffer; an accepted offer gets an answer that parses and offers
// Opus back.
func FuzzValidateOffer(f *testing.F) {
	f.Add("")
	f.Add("hello")
	f.Add("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n")
	f.Add("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n")
	f.Add("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n")
	f.Add("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n")

	m, err := NewManager(Config{
		Pipeline:        idlePipeline{},
		IncludeLoopback: true,
		GatherTimeout:   time.Second,
		ConnectTimeout:  10 * time.Second,
		Log:             zerolog.Nop(),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = m.Close(ReasonServerShutdown) })

	f.Fuzz(func(t *testing.T, offer string) {
		verr := ValidateOffer(offer)
		if verr != nil && !errors.Is(verr, ErrBadOffer) && !errors.Is(verr, ErrNoOpus) {
			t.Fatalf("ValidateOffer: untyped error %v", verr)
		}
		if len(offer) > maxFuzzCreateOffer {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, answer, err := m.Create(ctx, offer)
		if err != nil {
			if c != nil || answer != "" {
				t.Fatal("Create failed but returned a call or an answer")
			}
			if !errors.Is(err, ErrBadOffer) && !errors.Is(err, ErrNoOpus) {
				t.Fatalf("Create: untyped error %v", err)
			}
			if verr != nil && err.Error() != verr.Error() {
				t.Fatalf("Create error %v, ValidateOffer error %v", err, verr)
			}
			if m.Active() != 0 {
				t.Fatal("failed Create left a call registered")
			}
			return
		}
		c.Close(ReasonClientHangup)
		if verr != nil {
			t.Fatalf("Create accepted an offer ValidateOffer rejects (%v)", verr)
		}
		var sd sdp.SessionDescription
		if err := sd.UnmarshalString(answer); err != nil {
			t.Fatalf("answer does not parse: %v\n%s", err, answer)
		}
		if err := ValidateOffer(answer); err != nil {
			t.Fatalf("answer carries no Opus audio: %v\n%s", err, answer)
		}
		if m.Active() != 0 {
			t.Fatal("closed call still registered")
		}
	})
}

// TestCreateRejectsUnbundledAudio: pion rejects (port 0) every m-section
// outside the offer's BUNDLE group, so such an offer used to get a 201
// answer with no audio; now Create fails with ErrBadOffer (found by
// FuzzValidateOffer, seed audio-outside-bundle).
func TestCreateRejectsUnbundledAudio(t *testing.T) {
	offer, err := testpeer.Offer(false)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.SplitAfter(offer, "\n") {
		if !strings.HasPrefix(line, "a=group:BUNDLE") {
			kept = append(kept, line)
		}
	}
	unbundled := strings.Join(kept, "")
	if err := ValidateOffer(unbundled); err != nil {
		t.Fatalf("ValidateOffer: %v", err)
	}
	m, err := NewManager(Config{Pipeline: idlePipeline{}, IncludeLoopback: true, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close(ReasonServerShutdown) }()
	if _, _, err := m.Create(context.Background(), unbundled); !errors.Is(err, ErrBadOffer) {
		t.Fatalf("Create of an unbundled offer: %v, want ErrBadOffer", err)
	}
	if m.Active() != 0 {
		t.Fatal("rejected call still registered")
	}
	c, answer, err := m.Create(context.Background(), offer)
	if err != nil {
		t.Fatalf("Create of the bundled offer: %v", err)
	}
	c.Close(ReasonClientHangup)
	if err := checkAnswerAudio(answer); err != nil {
		t.Fatal(err)
	}
}

func TestParseTrickleFragment(t *testing.T) {
	cands, end, err := parseTrickleFragment("a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n" +
		"a=mid:a\na=candidate:2 1 udp 1 10.0.0.2 9 typ host\r" + // bare CR ends a line too
		"a=candidate:3 1 udp 1 10.0.0.3 9 typ host\r\na=end-of-candidates")
	if err != nil || !end || len(cands) != 3 {
		t.Fatalf("%d candidates, end %v, err %v", len(cands), end, err)
	}
	if c := cands[0]; c.Candidate != "candidate:1 1 udp 1 10.0.0.1 9 typ host" || c.SDPMid != nil || c.SDPMLineIndex == nil || *c.SDPMLineIndex != 0 {
		t.Fatalf("first candidate %+v", c)
	}
	for _, c := range cands[1:] {
		if c.SDPMid == nil || *c.SDPMid != "a" || c.SDPMLineIndex != nil || strings.ContainsAny(c.Candidate, "\r\n") {
			t.Fatalf("candidate %+v", c)
		}
	}
	if _, _, err := parseTrickleFragment("a=mid:0\r\n"); !errors.Is(err, ErrBadCandidate) {
		t.Fatalf("fragment without candidates: %v", err)
	}
}

// FuzzTrickleFragment feeds arbitrary text as a trickle-ICE fragment to the
// parser behind Call.AddCandidates: no panic; an error wraps
// ErrBadCandidate; otherwise the fragment holds a candidate or its end, every
// candidate is one trimmed "candidate:" line bound to exactly one of mid and
// m-line index, and pion's ice.UnmarshalCandidate (what AddICECandidate
// runs) accepts or rejects it without panicking.
func FuzzTrickleFragment(f *testing.F) {
	f.Add("a=end-of-candidates\r\n")
	f.Add("a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\n")
	f.Add("a=mid:0\r\n")
	f.Add("a=candidate:\n")
	f.Fuzz(func(t *testing.T, frag string) {
		cands, end, err := parseTrickleFragment(frag)
		if err != nil {
			if !errors.Is(err, ErrBadCandidate) {
				t.Fatalf("untyped error %v", err)
			}
			if cands != nil || end {
				t.Fatal("error with a result")
			}
			return
		}
		if len(cands) == 0 && !end {
			t.Fatal("accepted a fragment with neither a candidate nor its end")
		}
		if n := strings.Count(frag, "a=candidate:"); len(cands) > n {
			t.Fatalf("%d candidates from %d a=candidate: substrings", len(cands), n)
		}
		for _, c := range cands {
			if !strings.HasPrefix(c.Candidate, "candidate:") || strings.ContainsAny(c.Candidate, "\r\n") || strings.TrimSpace(c.Candidate) != c.Candidate {
				t.Fatalf("candidate %q", c.Candidate)
			}
			if (c.SDPMid == nil) == (c.SDPMLineIndex == nil) {
				t.Fatalf("candidate %q: mid %v, m-line index %v", c.Candidate, c.SDPMid, c.SDPMLineIndex)
			}
			if c.SDPMid != nil && *c.SDPMid == "" {
				t.Fatal("empty mid")
			}
			value := strings.TrimPrefix(c.Candidate, "candidate:")
			if value == "" {
				continue // pion: end of candidates
			}
			ic, err := ice.UnmarshalCandidate(value)
			if err != nil {
				continue
			}
			_ = ic.Marshal()
		}
	})
}
