package callbot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"
	"github.com/rs/zerolog"

	"github.com/duplex-ai/duplex/media/video"
)

// maxVideoBytes caps the video file loaded into memory.
const maxVideoBytes = 256 << 20

// annexBInterval is the frame interval of H.264 Annex-B files, which carry
// no timing: 30 fps, what ffmpeg's default and most cameras use.
const annexBInterval = time.Second / 30

// h264Fmtp is the H.264 the callbot offers: constrained baseline, level
// 3.1, packetization-mode 1 (what browsers and phones send).
const h264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"

// videoClip is a camera file held in memory: IVF (VP8, VP9) or H.264
// Annex-B, one entry per frame (an access unit for H.264).
type videoClip struct {
	codec    webrtc.RTPCodecCapability // what the track sends; pion picks the payloader from it
	frames   [][]byte
	key      []bool
	interval time.Duration
}

// loadVideo reads an IVF (VP8, VP9) or H.264 Annex-B file, told apart by
// their first bytes.
func loadVideo(path string) (*videoClip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxVideoBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxVideoBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxVideoBytes>>20)
	}
	clip, err := parseVideo(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return clip, nil
}

func parseVideo(data []byte) (*videoClip, error) {
	if bytes.HasPrefix(data, []byte{0, 0, 1}) || bytes.HasPrefix(data, []byte{0, 0, 0, 1}) {
		return parseAnnexB(data)
	}
	return parseIVF(data)
}

// parseIVF reads a VP8 or VP9 IVF file; every size is checked against the
// data before use.
func parseIVF(data []byte) (*videoClip, error) {
	ivf, err := video.ParseIVF(data)
	if err != nil {
		return nil, err
	}
	clip := &videoClip{}
	var codec video.Codec
	switch ivf.FourCC {
	case "VP80":
		codec, clip.codec = video.VP8, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	case "VP90":
		codec, clip.codec = video.VP9, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000}
	default:
		return nil, fmt.Errorf("ivf: codec %q, need VP80 or VP90", ivf.FourCC)
	}
	if ivf.TimebaseDen != 0 {
		clip.interval = time.Duration(float64(ivf.TimebaseNum) / float64(ivf.TimebaseDen) * float64(time.Second))
	}
	if clip.interval < 5*time.Millisecond || clip.interval > time.Second {
		clip.interval = time.Second / 30
	}
	clip.frames = ivf.Frames
	if err := clip.markKeys(codec); err != nil {
		return nil, fmt.Errorf("ivf: %w", err)
	}
	return clip, nil
}

// parseAnnexB reads an H.264 Annex-B stream, one access unit per frame.
func parseAnnexB(data []byte) (*videoClip, error) {
	clip := &videoClip{
		codec:    webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: h264Fmtp},
		frames:   video.SplitAnnexB(data),
		interval: annexBInterval,
	}
	if err := clip.markKeys(video.H264); err != nil {
		return nil, fmt.Errorf("h264: %w", err)
	}
	return clip, nil
}

func (c *videoClip) markKeys(codec video.Codec) error {
	if len(c.frames) == 0 {
		return errors.New("no frames")
	}
	hasKey := false
	c.key = make([]bool, len(c.frames))
	for i, f := range c.frames {
		c.key[i] = video.IsKeyFrame(codec, f)
		hasKey = hasKey || c.key[i]
	}
	if !hasKey {
		return errors.New("no key frame")
	}
	return nil
}

// nextKey returns the index of the first key frame at or after i, looping.
func (c *videoClip) nextKey(i int) int {
	for k := 0; k < len(c.frames); k++ {
		j := (i + k) % len(c.frames)
		if c.key[j] {
			return j
		}
	}
	return i % len(c.frames)
}

// playClip loops clip on track in real time until stop closes. After a PLI
// it skips to the clip's next key frame and sends it at once.
func playClip(clip *videoClip, track *webrtc.TrackLocalStaticSample, pli <-chan struct{}, stop <-chan struct{}, log zerolog.Logger) error {
	tick := time.NewTicker(clip.interval)
	defer tick.Stop()
	i := clip.nextKey(0)
	for {
		if err := track.WriteSample(pmedia.Sample{Data: clip.frames[i], Duration: clip.interval}); err != nil {
			return err
		}
		i = (i + 1) % len(clip.frames)
		select {
		case <-stop:
			return nil
		case <-pli:
			i = clip.nextKey(i)
			log.Debug().Int("frame", i).Msg("PLI: sending the next key frame")
		case <-tick.C:
		}
	}
}

// addVideo adds a send-only track for clip that offers only the clip's
// codec, as a hardware encoder would; PLIs from the server go to pli.
func (p *peer) addVideo(clip *videoClip, pli chan<- struct{}) (*webrtc.TrackLocalStaticSample, error) {
	track, err := webrtc.NewTrackLocalStaticSample(clip.codec, "video", "callbot")
	if err != nil {
		return nil, fmt.Errorf("video track: %w", err)
	}
	vtr, err := p.pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, fmt.Errorf("video transceiver: %w", err)
	}
	if err := vtr.SetCodecPreferences([]webrtc.RTPCodecParameters{{RTPCodecCapability: clip.codec}}); err != nil {
		return nil, fmt.Errorf("video codec: %w", err)
	}
	p.readRTCP(vtr.Sender(), pli)
	return track, nil
}
