package callbot

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// fakeDecoder "decodes" a payload to len 960 samples of value payload[0]
// (0 = silence); PLC yields samples of value -1.
type fakeDecoder struct{ plc int }

func (d *fakeDecoder) Decode(p []byte) ([]int16, error) {
	if p[0] == 0xff {
		return nil, errors.New("corrupt")
	}
	out := make([]int16, frameSamples)
	for i := range out {
		out[i] = int16(p[0]) * 100
	}
	return out, nil
}

func (d *fakeDecoder) DecodePLC(n int) ([]int16, error) {
	d.plc++
	out := make([]int16, n)
	for i := range out {
		out[i] = -1
	}
	return out, nil
}

func TestReceiverTimeline(t *testing.T) {
	dec := &fakeDecoder{}
	r := &receiver{dec: dec}
	t0 := time.Unix(0, 0)
	pkt := func(seq uint16, ts uint32, v byte) *rtp.Packet {
		return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts}, Payload: []byte{v}}
	}
	base := uint32(math.MaxUint32 - 960) // timestamps wrap
	arrive := t0.Add(100 * time.Millisecond)
	r.push(pkt(65535, base, 10), arrive)   // at 0
	r.push(pkt(0, base+960, 20), arrive)   // at 960 (seq and ts wrap)
	r.push(pkt(0, base+960, 20), arrive)   // duplicate: dropped
	r.push(pkt(3, base+4*960, 30), arrive) // seq 1,2 lost: PLC at 1920, 2880
	r.push(pkt(4, base+10*960, 0), arrive) // pause: silence 4800..9599, silent frame at 9600
	r.push(pkt(5, base+11*960, 0xff), arrive)
	r.push(&rtp.Packet{Header: rtp.Header{SequenceNumber: 6}}, arrive) // padding only: ignored

	if dec.plc != 2 || r.lost != 2 || r.late != 1 || r.decodeErrs != 1 {
		t.Fatalf("plc %d lost %d late %d decodeErrs %d", dec.plc, r.lost, r.late, r.decodeErrs)
	}
	if got, want := r.voicedSamples, int64(3*960); got != want {
		t.Fatalf("voiced samples %d, want %d", got, want)
	}
	if len(r.voiced) != 3 {
		t.Fatalf("voiced times %d", len(r.voiced))
	}
	tl := r.timeline(t0) // first packet 100 ms = 4800 samples after t0
	if len(tl) != 4800+10*960+960 {
		t.Fatalf("timeline length %d", len(tl))
	}
	check := func(pos int, want int16) {
		t.Helper()
		if tl[4800+pos] != want {
			t.Errorf("sample %d = %d, want %d", pos, tl[4800+pos], want)
		}
	}
	check(0, 1000)
	check(960, 2000)
	check(1920, -1)
	check(2880, -1)
	check(3840, 3000)
	check(4800, 0)
	check(9600, 0)
	if tl[0] != 0 || tl[4799] != 0 {
		t.Error("lead-in is not silent")
	}
	if p := r.problems(); len(p) != 1 {
		t.Errorf("problems %v", p)
	}
	// First packet before t0: the head is cut.
	if got := r.timeline(arrive.Add(20 * time.Millisecond)); len(got) != len(r.buf)-960 || got[0] != 2000 {
		t.Errorf("early start: len %d first %d", len(got), got[0])
	}
}

func TestReceiverBoundsTimestampJumps(t *testing.T) {
	r := &receiver{dec: &fakeDecoder{}}
	now := time.Now()
	r.push(&rtp.Packet{Header: rtp.Header{SequenceNumber: 1, Timestamp: 0}, Payload: []byte{1}}, now)
	r.push(&rtp.Packet{Header: rtp.Header{SequenceNumber: 2, Timestamp: 1 << 31}, Payload: []byte{1}}, now) // backwards: late
	r.push(&rtp.Packet{Header: rtp.Header{SequenceNumber: 3, Timestamp: 1 << 30}, Payload: []byte{1}}, now) // 6 h ahead
	if len(r.buf) != 2*960 || !r.overflow || r.late != 1 {                                                  // seq 2 concealed, seq 3 dropped
		t.Fatalf("buf %d overflow %v late %d", len(r.buf), r.overflow, r.late)
	}
}

func TestDBFS(t *testing.T) {
	full := make([]int16, 960)
	quiet := make([]int16, 960)
	for i := range full {
		full[i] = 32767
		quiet[i] = 200 // ≈ -44.3 dBFS
	}
	if d := dbfs(full); d < -0.01 || d > 0 {
		t.Errorf("full scale %f", d)
	}
	if d := dbfs(quiet); d < voicedDBFS || d > speechDBFS {
		t.Errorf("quiet %f", d)
	}
	if !math.IsInf(dbfs(make([]int16, 10)), -1) || !math.IsInf(dbfs(nil), -1) {
		t.Error("silence is not -inf")
	}
}
