package callbot

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/duplex-ai/duplex/media"
	"github.com/duplex-ai/duplex/media/video"
)

// Each codec's clip, sent by the callbot's peer connection as a track of
// that codec, is negotiated, packetized by pion, received by a second pion
// peer and decoded by video.Receiver: the picture is the clip's red.
func TestVideoLoopbackEachCodec(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, name := range []string{"h264", "vp8", "vp9"} {
		t.Run(name, func(t *testing.T) {
			clip, err := loadVideo(ffmpegClip(t, name))
			if err != nil {
				t.Fatal(err)
			}
			snap, mime := loopback(t, clip)
			if mime != clip.codec.MimeType {
				t.Errorf("received %s, sent %s", mime, clip.codec.MimeType)
			}
			b := snap.Image.Bounds()
			r, g, bl, _ := snap.Image.At(b.Dx()/2, b.Dy()/2).RGBA()
			if snap.Width != 320 || snap.Height != 240 || r>>8 < 230 || g>>8 > 25 || bl>>8 > 25 {
				t.Fatalf("%dx%d picture, centre %d,%d,%d; want 320x240 red", snap.Width, snap.Height, r>>8, g>>8, bl>>8)
			}
		})
	}
}

// loopback sends clip from one callbot peer connection to another and
// returns the first picture the receiving side decodes.
func loopback(t *testing.T, clip *videoClip) (*media.Snapshot, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	var ps, pr peer
	if err := ps.open(peerConfig{}, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	send := ps.pc
	defer send.Close()
	if err := pr.open(peerConfig{}, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	recv := pr.pc
	defer recv.Close()

	track, err := webrtc.NewTrackLocalStaticSample(clip.codec, "video", "callbot")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := send.AddTrack(track)
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(2)
	go func() { // RTCP (PLI, NACK) for the sender's interceptors
		defer wg.Done()
		for {
			if _, _, err := sender.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	go func() { // the clip, looping in real time
		defer wg.Done()
		tick := time.NewTicker(clip.interval)
		defer tick.Stop()
		for i := 0; ; i = (i + 1) % len(clip.frames) {
			if err := track.WriteSample(pmedia.Sample{Data: clip.frames[i], Duration: clip.interval}); err != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()

	type result struct {
		snap *media.Snapshot
		mime string
		err  error
	}
	got := make(chan result, 1)
	recv.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		mime := tr.Codec().MimeType
		vc, err := video.CodecFromMime(mime)
		if err != nil {
			got <- result{err: err}
			return
		}
		ssrc := uint32(tr.SSRC())
		vr, err := video.NewReceiver(video.ReceiverOptions{Codec: vc, RequestKeyFrame: func() error {
			return recv.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
		}})
		if err != nil {
			got <- result{err: err}
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = vr.Run(ctx, tr)
		}()
		for { // ErrNoVideo until Run has pushed a first packet
			s, err := vr.Snapshot(ctx)
			if errors.Is(err, media.ErrNoVideo) && ctx.Err() == nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			got <- result{s, mime, err}
			return
		}
	})

	offer, err := send.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(send)
	if err := send.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := recv.SetRemoteDescription(*send.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := recv.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(recv)
	if err := recv.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := send.SetRemoteDescription(*recv.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.snap, r.mime
	case <-ctx.Done():
		t.Fatal(errors.New("no picture in 15 s"))
	}
	return nil, ""
}
