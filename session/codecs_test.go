package session_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/duplex-ai/duplex/internal/testpeer"
	"github.com/duplex-ai/duplex/session"
)

var (
	vp8      = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	vp9      = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000, SDPFmtpLine: "profile-id=0"}
	h264CB   = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}
	h264Main = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f"}
	h264Base = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"}
	h264PM0  = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f"}
	av1      = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeAV1, ClockRate: 90000}
)

// answerVideo returns the answer's video codecs in its order ("VP8",
// "H264 …42e01f"), or nil when the video section is rejected (port 0).
func answerVideo(t *testing.T, answer string) []string {
	t.Helper()
	var d sdp.SessionDescription
	if err := d.UnmarshalString(answer); err != nil {
		t.Fatal(err)
	}
	for _, md := range d.MediaDescriptions {
		if md.MediaName.Media != "video" {
			continue
		}
		if md.MediaName.Port.Value == 0 {
			return nil
		}
		var out []string
		for _, f := range md.MediaName.Formats {
			var pt uint8
			for _, c := range []byte(f) {
				pt = pt*10 + c - '0'
			}
			c, err := d.GetCodecForPayloadType(pt)
			if err != nil {
				t.Fatal(err)
			}
			if strings.EqualFold(c.Name, "rtx") {
				continue
			}
			out = append(out, strings.TrimSpace(c.Name+" "+c.Fmtp))
		}
		return out
	}
	t.Fatal("answer has no video section")
	return nil
}

// TestCameraCodecs: the answer keeps the offer's order among H.264
// (packetization mode 1, constrained baseline or main), VP8 and VP9, so a
// client that lists H.264 first sends H.264; codecs the receiver cannot
// decode are left out, and an offer with only those still gets its call,
// video rejected.
func TestCameraCodecs(t *testing.T) {
	m := newManager(t, session.Config{})
	cases := []struct {
		name   string
		offer  []webrtc.RTPCodecCapability
		first  string // answer's first video codec ("" = video rejected)
		absent string
	}{
		{"H.264 first", []webrtc.RTPCodecCapability{h264CB, vp8, vp9}, "H264", ""},
		{"VP9 first", []webrtc.RTPCodecCapability{vp9, h264CB, vp8}, "VP9", ""},
		{"VP8 first", []webrtc.RTPCodecCapability{vp8, vp9}, "VP8", ""},
		{"H.264 main only", []webrtc.RTPCodecCapability{h264Main}, "H264", ""},
		{"H.264 baseline only", []webrtc.RTPCodecCapability{h264Base}, "H264", ""},
		{"packetization mode 0 left out", []webrtc.RTPCodecCapability{h264PM0, vp8}, "VP8", "packetization-mode=0"},
		{"AV1 left out", []webrtc.RTPCodecCapability{av1, vp9}, "VP9", "AV1"},
		{"only AV1", []webrtc.RTPCodecCapability{av1}, "", ""},
	}
	for _, tc := range cases {
		offer, err := testpeer.OfferCodecs(tc.offer...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		c, answer, err := m.Create(context.Background(), offer)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := answerVideo(t, answer)
		c.Close(session.ReasonServerShutdown)
		switch {
		case tc.first == "" && got != nil:
			t.Errorf("%s: video accepted with %v, want rejected", tc.name, got)
		case tc.first != "" && (len(got) == 0 || !strings.HasPrefix(got[0], tc.first)):
			t.Errorf("%s: answer's video codecs %v, want %s first", tc.name, got, tc.first)
		}
		for _, g := range got {
			if tc.absent != "" && strings.Contains(g, tc.absent) {
				t.Errorf("%s: answer lists %q", tc.name, g)
			}
		}
		if strings.HasPrefix(tc.first, "H264") && !strings.Contains(got[0], "packetization-mode=1") {
			t.Errorf("%s: H.264 answered as %q", tc.name, got[0])
		}
	}
}
