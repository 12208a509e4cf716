// Package testpeer makes real pion offers for tests of the signaling and
// session layers.
package testpeer

import (
	"fmt"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// Offer returns a gathered SDP offer from a real pion peer with a
// send-receive Opus audio section, optionally a VP8 video section, and the
// "events" data channel. The peer is closed before it returns: the offer is
// only good for set-up tests that never connect.
func Offer(video bool) (string, error) {
	return OfferAudio(webrtc.RTPTransceiverDirectionSendrecv, video)
}

// OfferAudio is Offer with the audio section in direction dir, for tests
// of offers that cannot carry a two-way call. pion cannot offer an inactive
// transceiver, so that one is its recvonly offer with the attribute rewritten.
func OfferAudio(dir webrtc.RTPTransceiverDirection, video bool) (string, error) {
	return offer(dir, video, nil)
}

// OfferCodecs is Offer with a send-only video section listing only codecs,
// in that order (a client's codec preferences).
func OfferCodecs(codecs ...webrtc.RTPCodecCapability) (string, error) {
	return offer(webrtc.RTPTransceiverDirectionSendrecv, true, codecs)
}

func offer(dir webrtc.RTPTransceiverDirection, video bool, codecs []webrtc.RTPCodecCapability) (string, error) {
	if dir == webrtc.RTPTransceiverDirectionInactive {
		offer, err := OfferAudio(webrtc.RTPTransceiverDirectionRecvonly, video)
		return strings.Replace(offer, "a=recvonly", "a=inactive", 1), err
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", err
	}
	defer func() { _ = pc.Close() }()
	if dir == webrtc.RTPTransceiverDirectionSendonly {
		// pion sends only from a track.
		track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "testpeer")
		if err != nil {
			return "", err
		}
		if _, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: dir}); err != nil {
			return "", err
		}
	} else if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: dir}); err != nil {
		return "", err
	}
	if video {
		tr, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			return "", err
		}
		if len(codecs) > 0 {
			prefs := make([]webrtc.RTPCodecParameters, len(codecs))
			for i, c := range codecs {
				prefs[i] = webrtc.RTPCodecParameters{RTPCodecCapability: c}
			}
			if err := tr.SetCodecPreferences(prefs); err != nil {
				return "", err
			}
		}
	}
	if _, err := pc.CreateDataChannel("events", nil); err != nil {
		return "", err
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
		return "", fmt.Errorf("testpeer: gathering timed out")
	}
	return pc.LocalDescription().SDP, nil
}
