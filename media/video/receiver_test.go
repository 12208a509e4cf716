package video

import (
	"context"
	"errors"
	"fmt"
	"github.com/duplex-ai/duplex/clock"
	"github.com/duplex-ai/duplex/media"
	"image"
	"io"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// pushAll pushes pkts into v, advancing clk by one frame (1/15 s) whenever
// the RTP timestamp moves on.
func pushAll(v *Receiver, clk *clock.Manual, pkts []*rtp.Packet) {
	for i, p := range pkts {
		if clk != nil && i > 0 && p.Timestamp != pkts[i-1].Timestamp {
			clk.Advance(time.Second / 15)
		}
		v.Push(p)
	}
}

var codecFiles = map[Codec]string{H264: "%s-320x240.h264", VP8: "%s-320x240-vp8.ivf", VP9: "%s-320x240-vp9.ivf"}

// Each codec, packetized as a browser would (H.264: STAP-A and FU-A), is
// decoded frame by frame and shows its colour.
func TestVideoReceiverColours(t *testing.T) {
	want := map[string][3]int{"red": {255, 0, 0}, "green": {0, 128, 0}, "blue": {0, 0, 255}}
	for c, file := range codecFiles {
		for colour, rgb := range want {
			t.Run(c.String()+"-"+colour, func(t *testing.T) {
				_, frames := videoFrames(t, fmt.Sprintf(file, colour))
				clk := newFakeClock()
				var p plis
				v := newVideoReceiver(t, ReceiverOptions{Codec: c, Clock: clk, RequestKeyFrame: p.request})
				pkts, _ := videoStream(c, frames, 300, 65500, 1<<32-3000) // both wrap
				pushAll(v, clk, pkts)
				st := v.Stats()
				// The sample builder hands a frame out when the next one starts.
				n := uint64(len(frames) - 1)
				if st.Codec != c || st.Frames != n || st.KeyFrames != 1 || st.Decoded != n || st.Dropped != 0 || st.DecodeErrors != 0 || p.n != 0 {
					t.Fatalf("stats %+v, %d PLIs", st, p.n)
				}
				if st.Width != 320 || st.Height != 240 {
					t.Errorf("size %dx%d", st.Width, st.Height)
				}
				snap, err := v.Snapshot(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if c := meanRGB(snap.Image, 160, 120, 4); !near(c, rgb, 12) {
					t.Fatalf("colour %v, want %v", c, rgb)
				}
			})
		}
	}
}

func TestVideoReceiverBars(t *testing.T) {
	white, black := [3]int{255, 255, 255}, [3]int{0, 0, 0}
	bars := [][3]int{white, {255, 255, 0}, {0, 255, 255}, {0, 255, 0}, {255, 0, 255}, {255, 0, 0}, {0, 0, 255}, black}
	for _, size := range []string{"640x480", "1280x720"} {
		t.Run(size, func(t *testing.T) {
			_, frames := videoFrames(t, "bars-"+size+".ivf")
			v := newVideoReceiver(t, ReceiverOptions{})
			pkts, _ := videoStream(VP8, frames, 1200, 0, 0)
			pushAll(v, nil, pkts)
			snap := v.Latest()
			if snap == nil || fmt.Sprintf("%dx%d", snap.Width, snap.Height) != size {
				t.Fatalf("snapshot %+v", snap)
			}
			W, H := snap.Image.Bounds().Dx(), snap.Image.Bounds().Dy()
			for i, want := range bars {
				x := (2*i + 1) * W / 16
				if c := meanRGB(snap.Image, x, H/2, 3); !near(c, want, 16) {
					t.Errorf("bar %d at x=%d: %v, want %v", i, x, c, want)
				}
			}
		})
	}
}

// squareCentre returns the centroid of the bright pixels.
func squareCentre(t *testing.T, img image.Image) (float64, float64) {
	t.Helper()
	var sx, sy, n float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			if c := rgbAt(img, x, y); c[0] > 128 && c[1] > 128 && c[2] > 128 {
				sx += float64(x)
				sy += float64(y)
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no square")
	}
	return sx / n, sy / n
}

// Every frame is decoded: the picture follows a moving square between key
// frames (the key-frame-only decoder saw it jump once a second).
func TestVideoReceiverMovingSquare(t *testing.T) {
	_, frames := videoFrames(t, "square-640x480.ivf")
	clk := newFakeClock()
	v := newVideoReceiver(t, ReceiverOptions{Clock: clk, IdleInterval: -1})
	pkts, first := videoStream(VP8, frames, 1200, 0, 0)
	const w, h, sq = 640, 480, 480 / 6
	for i := 1; i < len(frames); i += 4 {
		end := len(pkts)
		if i+1 < len(frames) {
			end = first[i+1]
		}
		pushAll(v, clk, pkts[:end])
		// pkts[:end] ends with frame i; frame i-1 is the latest handed out.
		snap := v.Latest()
		secs := float64(i-1) / 15
		wantX := float64(w-sq)*secs/2 + float64(sq)/2
		x, y := squareCentre(t, snap.Image)
		if d := x - wantX; d > 4 || d < -4 {
			t.Errorf("frame %d (t=%.2fs): square at x=%.1f, want %.1f", i-1, secs, x, wantX)
		}
		if d := y - h/2; d > 4 || d < -4 {
			t.Errorf("frame %d: square at y=%.1f", i-1, y)
		}
		v.Close()
		v = newVideoReceiver(t, ReceiverOptions{Clock: clk, IdleInterval: -1})
	}
}

// A key frame is asked for at start (inter frames without one) and after
// loss, rate-limited, and not otherwise: Refresh with a decoder in step
// needs no PLI.
func TestVideoReceiverPLI(t *testing.T) {
	for c, file := range codecFiles {
		t.Run(c.String(), func(t *testing.T) {
			_, red := videoFrames(t, fmt.Sprintf(file, "red"))
			_, blue := videoFrames(t, fmt.Sprintf(file, "blue"))
			frames := append(append(append([][]byte{}, red...), blue...), red...) // key frames at 0, 15, 30
			pkts, first := videoStream(c, frames, 300, 0, 0)
			clk := newFakeClock()
			var p plis
			v := newVideoReceiver(t, ReceiverOptions{Codec: c, Clock: clk, RequestKeyFrame: p.request})
			// Joined mid-stream: inter frames only. One PLI, repeated after 1 s.
			pushAll(v, clk, pkts[first[1]:first[8]])
			if p.n != 1 || v.Latest() != nil {
				t.Fatalf("start: %d PLIs, latest %v", p.n, v.Latest())
			}
			clk.Advance(time.Second)
			pushAll(v, clk, pkts[first[8]:first[14]])
			if p.n != 2 {
				t.Fatalf("after 1 s: %d PLIs, want 2", p.n)
			}
			// The key frame comes: pictures, no more PLIs.
			pushAll(v, clk, pkts[first[14]:first[20]])
			if s := v.Latest(); s == nil || !near(meanRGB(s.Image, 160, 120, 4), [3]int{0, 0, 255}, 12) {
				t.Fatalf("after the key frame: %+v", s)
			}
			clk.Advance(3 * time.Second)
			v.Refresh()
			pushAll(v, clk, pkts[first[20]:first[23]])
			st := v.Stats()
			if p.n != 2 || st.PLIs != 2 || st.Skipped != 14 || st.Pictures < 2 {
				t.Fatalf("Refresh in step: %d PLIs, stats %+v", p.n, st)
			}
			// Loss: a packet of frame 24 never comes. Frames wait for a key
			// frame and a PLI goes out.
			pushAll(v, clk, pkts[first[23]:first[24]])
			pushAll(v, clk, pkts[first[24]+1:])
			if st := v.Stats(); p.n != 3 || st.Dropped == 0 || st.Skipped < 14+5 {
				t.Fatalf("after loss: %d PLIs, stats %+v", p.n, st)
			}
			// The next key frame (red) restores pictures.
			if s := v.Latest(); s == nil || !near(meanRGB(s.Image, 160, 120, 4), [3]int{255, 0, 0}, 12) {
				t.Fatalf("after the next key frame: %+v", s)
			}
		})
	}
	// A failing RequestKeyFrame is counted and retried a second later.
	_, frames := videoFrames(t, "red-320x240-vp8.ivf")
	pkts, first := videoStream(VP8, frames, 1200, 0, 0)
	clk := newFakeClock()
	fails := 0
	v := newVideoReceiver(t, ReceiverOptions{Clock: clk, RequestKeyFrame: func() error { fails++; return errors.New("no") }})
	pushAll(v, clk, pkts[first[1]:first[4]])
	v.Refresh()
	clk.Advance(time.Second)
	v.Refresh()
	if st := v.Stats(); fails != 2 || st.PLIErrors != 2 {
		t.Errorf("%d calls, stats %+v", fails, st)
	}
}

func TestVideoSnapshot(t *testing.T) {
	_, frames := videoFrames(t, "red-640x480.ivf")
	pkts, first := videoStream(VP8, frames, 1200, 0, 0)
	ctx := context.Background()

	t.Run("no video", func(t *testing.T) {
		v := newVideoReceiver(t, ReceiverOptions{})
		if s, err := v.Snapshot(ctx); !errors.Is(err, media.ErrNoVideo) || s != nil {
			t.Errorf("%v %v", s, err)
		}
	})

	t.Run("fresh, stale, next frame", func(t *testing.T) {
		clk := newFakeClock()
		var p plis
		v := newVideoReceiver(t, ReceiverOptions{Clock: clk, RequestKeyFrame: p.request, IdleInterval: time.Hour})
		pushAll(v, clk, pkts[:first[3]])
		s1, err := v.Snapshot(ctx)
		if err != nil || s1.ID != 1 {
			t.Fatalf("fresh: %+v %v", s1, err)
		}
		// Stale (video still flowing): the next decoded frame, no PLI.
		clk.Advance(2*time.Second + time.Millisecond)
		v.Push(pkts[first[3]])
		done := make(chan *media.Snapshot)
		go func() {
			s, err := v.Snapshot(ctx)
			if err != nil {
				t.Error(err)
			}
			done <- s
		}()
		waitFor(t, func() bool {
			v.mu.Lock()
			defer v.mu.Unlock()
			return v.want
		})
		at := clk.Now()
		v.Push(pkts[first[4]]) // completes frame 3
		s2 := <-done
		if s2 == nil || s2.ID != 2 || !s2.Captured.Equal(at) || p.n != 0 {
			t.Fatalf("next frame: %+v, %d PLIs", s2, p.n)
		}
		// Timeout: the stale picture stays available through Latest.
		clk.Advance(3 * time.Second)
		tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		v.Push(pkts[first[4]+1])
		if _, err := v.Snapshot(tctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("timeout: %v", err)
		}
		if l := v.Latest(); l != s2 {
			t.Errorf("latest %+v", l)
		}
		// Stalled: no packet for longer than MaxAge means no video.
		clk.Advance(2*time.Second + time.Millisecond)
		if _, err := v.Snapshot(ctx); !errors.Is(err, media.ErrNoVideo) {
			t.Errorf("stalled: %v", err)
		}
	})

	t.Run("stream ends while waiting", func(t *testing.T) {
		v := newVideoReceiver(t, ReceiverOptions{})
		src := &gatedSource{pkts: pkts[first[1]:first[5]], gate: make(chan struct{})}
		runDone := make(chan error)
		go func() { runDone <- v.Run(ctx, src) }()
		waitFor(t, func() bool { return v.Stats().Packets == uint64(first[5]-first[1]) })
		snapDone := make(chan error)
		go func() {
			_, err := v.Snapshot(ctx)
			snapDone <- err
		}()
		time.Sleep(10 * time.Millisecond) // let Snapshot wait
		close(src.gate)
		if err := <-runDone; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := <-snapDone; !errors.Is(err, media.ErrNoVideo) {
			t.Errorf("Snapshot: %v", err)
		}
	})

	t.Run("Run cancelled", func(t *testing.T) {
		v := newVideoReceiver(t, ReceiverOptions{})
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- v.Run(cctx, &blockingSource{unblock: make(chan struct{})}) }()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	})

	t.Run("input above the cap is downscaled", func(t *testing.T) {
		v := newVideoReceiver(t, ReceiverOptions{MaxWidth: 640, MaxHeight: 640})
		_, f720 := videoFrames(t, "red-1280x720.ivf")
		p720, _ := videoStream(VP8, f720[:2], 1200, 0, 0)
		pushAll(v, nil, p720)
		s, err := v.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b := s.Image.Bounds(); b.Dx() != 640 || b.Dy() != 360 || s.Width != 1280 || s.Height != 720 {
			t.Errorf("image %v from %dx%d", b, s.Width, s.Height)
		}
		if c := meanRGB(s.Image, 320, 180, 2); !near(c, [3]int{255, 0, 0}, 12) {
			t.Errorf("colour %v", c)
		}
	})

	t.Run("options", func(t *testing.T) {
		for _, o := range []ReceiverOptions{{MaxAge: -1}, {PLIInterval: -1}, {MaxWidth: 8, MaxHeight: 8}, {MaxFrameBytes: 10}, {Ring: -1}, {SampleInterval: -1}} {
			if _, err := NewReceiver(o); !errors.Is(err, media.ErrInvalidOption) {
				t.Errorf("%+v: %v", o, err)
			}
		}
		if _, err := NewReceiver(ReceiverOptions{Codec: 7}); !errors.Is(err, ErrCodec) {
			t.Errorf("codec 7: %v", err)
		}
	})
}

// Sampling: a picture a second while on, every IdleInterval while off; the
// ring answers "what was shown at t" and "three frames across the turn"
// for a scene that changes colour.
func TestVideoReceiverSampling(t *testing.T) {
	for c, file := range codecFiles {
		t.Run(c.String(), func(t *testing.T) {
			var frames [][]byte
			for _, colour := range []string{"red", "green", "blue", "red"} {
				_, f := videoFrames(t, fmt.Sprintf(file, colour))
				frames = append(frames, f...) // 1 s of each
			}
			pkts, _ := videoStream(c, frames, 1200, 0, 0)
			clk := newFakeClock()
			t0 := clk.Now()
			v := newVideoReceiver(t, ReceiverOptions{Codec: c, Clock: clk, IdleInterval: 3 * time.Second})
			v.SetSampling(true)
			pushAll(v, clk, pkts)
			st := v.Stats()
			// 59 frames handed out over 58/15 s: pictures at 0, 1, 2, 3 s.
			if st.Pictures != 4 || st.Decoded != 59 || st.FPS < 14.5 || st.FPS > 15.5 {
				t.Fatalf("stats %+v", st)
			}
			colour := func(s *media.Snapshot) [3]int { return meanRGB(s.Image, 160, 120, 4) }
			red, green, blue := [3]int{255, 0, 0}, [3]int{0, 128, 0}, [3]int{0, 0, 255}
			for _, tc := range []struct {
				at   time.Duration
				want [3]int
			}{{500 * time.Millisecond, red}, {1500 * time.Millisecond, green}, {2500 * time.Millisecond, blue}, {3500 * time.Millisecond, red}} {
				if s := v.PictureAt(t0.Add(tc.at)); s == nil || !near(colour(s), tc.want, 12) {
					t.Errorf("at %v: %v, want %v", tc.at, s, tc.want)
				}
			}
			across := v.PicturesBetween(t0.Add(500*time.Millisecond), t0.Add(3500*time.Millisecond), 3)
			if len(across) != 3 || !near(colour(across[0]), green, 12) || !near(colour(across[2]), red, 12) ||
				across[0].ID >= across[1].ID || across[1].ID >= across[2].ID {
				t.Errorf("across the turn: %v", across)
			}
			// Idle: one picture per IdleInterval.
			v.SetSampling(false)
			more, _ := videoStream(c, frames, 1200, uint16(len(pkts)), uint32(len(frames))*videoClockRate/15)
			pushAll(v, clk, more)
			if st := v.Stats(); st.Pictures != 5 {
				t.Errorf("idle: %d pictures, want 5", st.Pictures)
			}
		})
	}
}

func TestVideoReceiverRing(t *testing.T) {
	_, frames := videoFrames(t, "red-320x240-vp8.ivf")
	pkts, _ := videoStream(VP8, frames, 1200, 0, 0)
	clk := newFakeClock()
	t0 := clk.Now()
	v := newVideoReceiver(t, ReceiverOptions{Clock: clk, IdleInterval: -1, Ring: 4})
	if v.PictureAt(t0) != nil || v.PicturesBetween(t0, t0.Add(time.Hour), 3) != nil {
		t.Fatal("pictures before any frame")
	}
	pushAll(v, clk, pkts) // 14 pictures, 4 kept
	got := v.PicturesBetween(t0, t0.Add(time.Hour), 10)
	if len(got) != 4 || got[0].ID != 11 || got[3].ID != 14 {
		t.Fatalf("ring %v", got)
	}
	if s := v.PictureAt(t0); s == nil || s.ID != 11 {
		t.Fatalf("before the ring: %v", s)
	}
	if one := v.PicturesBetween(t0, t0.Add(time.Hour), 1); len(one) != 1 || one[0].ID != 14 {
		t.Fatalf("one: %v", one)
	}
}

// gatedSource yields pkts, then blocks until gate closes, then io.EOF.
type gatedSource struct {
	pkts []*rtp.Packet
	gate chan struct{}
}

func (s *gatedSource) ReadRTP() (*rtp.Packet, interceptor.Attributes, error) {
	if len(s.pkts) > 0 {
		p := s.pkts[0]
		s.pkts = s.pkts[1:]
		return p, nil, nil
	}
	<-s.gate
	return nil, nil, io.EOF
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// Padding-only packets (bandwidth probes, in the media stream's sequence)
// are not loss: every frame is still decoded and no PLI goes out, also
// when a packet arrives after a padding packet that followed it.
func TestVideoReceiverPadding(t *testing.T) {
	for c, file := range codecFiles {
		t.Run(c.String(), func(t *testing.T) {
			_, frames := videoFrames(t, fmt.Sprintf(file, "green"))
			pkts, _ := videoStream(c, frames, 300, 65530, 0)
			var in []*rtp.Packet
			seq := uint16(65530)
			for i, p := range pkts {
				q := *p
				q.SequenceNumber = seq
				seq++
				in = append(in, &q)
				if p.Marker && i%3 == 0 { // three probes after every third marker
					for range 3 {
						in = append(in, &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: p.Timestamp, Padding: true}})
						seq++
					}
				}
			}
			// Swap a packet with the padding packet after it.
			for i := 1; i+1 < len(in); i++ {
				if len(in[i].Payload) > 0 && len(in[i+1].Payload) == 0 {
					in[i], in[i+1] = in[i+1], in[i]
					break
				}
			}
			clk := newFakeClock()
			var p plis
			v := newVideoReceiver(t, ReceiverOptions{Codec: c, Clock: clk, RequestKeyFrame: p.request})
			pushAll(v, clk, in)
			st := v.Stats()
			n := uint64(len(frames) - 1)
			if st.Frames != n || st.Decoded != n || st.Dropped != 0 || st.BadPackets == 0 || p.n != 0 {
				t.Fatalf("stats %+v, %d PLIs", st, p.n)
			}
			if s := v.Latest(); s == nil || !near(meanRGB(s.Image, 160, 120, 4), [3]int{0, 128, 0}, 12) {
				t.Fatalf("picture %+v", s)
			}
		})
	}
}

// Frames no other frame refers to (the upper layer of a two-layer VP8
// stream) are skipped while idle and decoded while sampling; either way
// the lower layer keeps the picture current.
func TestVideoReceiverNonRefWhenIdle(t *testing.T) {
	_, frames := videoFrames(t, "layers-160x120-vp8.ivf")
	pkts, _ := videoStream(VP8, frames, 1200, 0, 0)
	n := uint64(len(frames) - 1)
	for _, tc := range []struct {
		name     string
		sampling bool
		decodeNR bool
	}{{"idle", false, false}, {"sampling", true, false}, {"idle, DecodeNonRefWhenIdle", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			v := newVideoReceiver(t, ReceiverOptions{Clock: clk, DecodeNonRefWhenIdle: tc.decodeNR})
			v.SetSampling(tc.sampling)
			pushAll(v, clk, pkts)
			st := v.Stats()
			if st.Frames != n || st.Decoded+st.Skipped != n || st.DecodeErrors != 0 {
				t.Fatalf("stats %+v", st)
			}
			skips := !tc.sampling && !tc.decodeNR
			if skips && (st.Skipped < n/3 || st.Decoded < n/3) {
				t.Fatalf("idle: %d decoded, %d skipped of %d; want about half skipped", st.Decoded, st.Skipped, n)
			}
			if !skips && st.Skipped != 0 {
				t.Fatalf("%d skipped, want none", st.Skipped)
			}
		})
	}
}

// TestVideoReceiverDecodeSlots: while every shared decode slot is taken,
// a receiver's frames wait (its Push blocks, nothing is decoded); once a
// slot is free they are decoded, and the receiver gives the slot back.
func TestVideoReceiverDecodeSlots(t *testing.T) {
	_, frames := videoFrames(t, fmt.Sprintf(codecFiles[VP8], "red"))
	pkts, _ := videoStream(VP8, frames[:3], 1200, 0, 0)
	slots := make(chan struct{}, 1)
	slots <- struct{}{} // another receiver is decoding
	clk := newFakeClock()
	v := newVideoReceiver(t, ReceiverOptions{Codec: VP8, Clock: clk, DecodeSlots: slots})
	done := make(chan struct{})
	go func() {
		defer close(done)
		pushAll(v, clk, pkts)
	}()
	select {
	case <-done:
		t.Fatal("the frames were pushed while no decode slot was free")
	case <-time.After(50 * time.Millisecond): // real time: only a chance to go wrong
	}
	if st := v.Stats(); st.Decoded != 0 {
		t.Fatalf("decoded %d frames while no slot was free", st.Decoded)
	}
	<-slots
	<-done
	if st := v.Stats(); st.Decoded < 1 || st.Pictures < 1 {
		t.Fatalf("after the slot was freed: %+v", st)
	}
	if len(slots) != 0 {
		t.Fatalf("%d slots still held after the frames were decoded", len(slots))
	}
}
